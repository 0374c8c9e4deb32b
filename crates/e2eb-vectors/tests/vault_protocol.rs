//! The vault protocol verifier fails when a published value is wrong: a named input, a transcript
//! message, an altered message that is the genuine one, an envelope or a vault id.

use e2eb_vectors::vault_protocol::{VaultGroup, VaultProtocolFile, run_reference};

fn committed() -> VaultProtocolFile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vectors")
        .join(e2eb_vectors::vault_protocol::FILE_NAME);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Keeps the test `tc_id` alone (and the server list), so that each case runs one test.
fn only(mut file: VaultProtocolFile, tc_id: u32) -> VaultProtocolFile {
    for group in &mut file.test_groups {
        match group {
            VaultGroup::VaultLogin(g) => g.tests.retain(|t| t.tc_id == tc_id),
            VaultGroup::VaultEnvelope(g) => g.tests.retain(|t| t.tc_id == tc_id),
            VaultGroup::VaultId(g) => g.tests.retain(|t| t.tc_id == tc_id),
        }
    }
    file
}

fn login(file: &mut VaultProtocolFile) -> &mut e2eb_vectors::vault_protocol::LoginTest {
    match &mut file.test_groups[0] {
        VaultGroup::VaultLogin(g) => &mut g.tests[0],
        _ => panic!("the first group is the logins"),
    }
}

fn flip_hex(text: &mut String, byte: usize) {
    let mut bytes = hex::decode(&*text).unwrap();
    bytes[byte] ^= 1;
    *text = hex::encode(bytes);
}

fn verdict(file: &VaultProtocolFile) -> (usize, Vec<String>) {
    run_reference(file)
}

#[test]
fn a_valid_login_passes_and_each_wrong_value_fails() {
    let file = only(committed(), 1);
    assert_eq!(verdict(&file), (1, vec![]));

    let mut wrong_input = file.clone();
    flip_hex(&mut login(&mut wrong_input).inputs.server_nonce, 0);
    let (passed, failures) = verdict(&wrong_input);
    assert_eq!(passed, 0);
    assert!(failures[0].contains("another transcript"), "{failures:?}");

    let mut wrong_blind = file.clone();
    flip_hex(&mut login(&mut wrong_blind).inputs.blind_login, 0);
    assert_eq!(verdict(&wrong_blind).0, 0);

    let mut wrong_message = file.clone();
    let ke3 = login(&mut wrong_message).transcript.ke3.as_mut().unwrap();
    flip_hex(ke3, 5);
    assert_eq!(verdict(&wrong_message).0, 0);

    let mut wrong_secret = file.clone();
    flip_hex(&mut login(&mut wrong_secret).vault_secret, 0);
    assert_eq!(verdict(&wrong_secret).0, 0);
}

#[test]
fn an_altered_message_must_differ_and_be_rejected_with_its_class() {
    // tc 10: KE2 with a bit of the masking nonce flipped.
    let file = only(committed(), 10);
    assert_eq!(verdict(&file), (1, vec![]));
    let mut genuine = file.clone();
    let test = login(&mut genuine);
    test.altered.as_mut().unwrap().value = test.transcript.ke2.clone();
    let (passed, failures) = verdict(&genuine);
    assert_eq!(passed, 0);
    assert!(failures[0].contains("genuine"), "{failures:?}");
    let mut other_class = file.clone();
    login(&mut other_class).error = Some("ServerFinishFails".into());
    assert_eq!(verdict(&other_class).0, 0);
}

#[test]
fn envelopes_and_vault_ids_are_checked() {
    // tc 23: a valid envelope; tc 37: server A's vault id.
    for tc in [23, 37] {
        let file = only(committed(), tc);
        assert_eq!(verdict(&file), (1, vec![]), "tc {tc}");
    }
    let mut envelope = only(committed(), 23);
    if let VaultGroup::VaultEnvelope(g) = &mut envelope.test_groups[1] {
        flip_hex(&mut g.tests[0].envelope, 20);
    }
    assert_eq!(verdict(&envelope).0, 0);
    let mut id = only(committed(), 37);
    if let VaultGroup::VaultId(g) = &mut id.test_groups[2] {
        flip_hex(&mut g.tests[0].vault_id, 0);
    }
    assert_eq!(verdict(&id).0, 0);
}
