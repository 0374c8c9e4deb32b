//! The committed `vectors/` are exactly what the generator writes, and the reference library
//! passes every one of them through every API (the same check as `cargo xtask vectors verify`).

#[test]
fn committed_vectors_are_fresh_and_pass_the_reference_library() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    match e2eb_vectors::verify::verify(&dir) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
        }
        Err(report) => panic!("{report}"),
    }
}

#[test]
fn there_are_at_least_150_backup_vectors_and_every_flag_is_documented() {
    let files = e2eb_vectors::generate::generate().unwrap();
    let (_, backups) = &files[0];
    assert!(
        backups.number_of_tests >= 150,
        "{}",
        backups.number_of_tests
    );
    for (_, file) in &files {
        for group in &file.test_groups {
            let flags: Vec<&String> = match group {
                e2eb_vectors::model::TestGroup::BackupDecryption(g) => {
                    g.tests.iter().flat_map(|t| &t.flags).collect()
                }
                e2eb_vectors::model::TestGroup::RecoveryKeyParsing(g) => {
                    g.tests.iter().flat_map(|t| &t.flags).collect()
                }
                e2eb_vectors::model::TestGroup::Crypt15Decryption(g) => {
                    g.tests.iter().flat_map(|t| &t.flags).collect()
                }
                e2eb_vectors::model::TestGroup::RecoveryKeyFile(g)
                | e2eb_vectors::model::TestGroup::PasswordFile(g)
                | e2eb_vectors::model::TestGroup::PasswordNormalization(g) => {
                    g.tests.iter().flat_map(|t| &t.flags).collect()
                }
            };
            for flag in flags {
                assert!(file.notes.contains_key(flag), "flag {flag} has no note");
            }
        }
    }
}

#[test]
fn every_vault_protocol_flag_is_documented_and_both_results_occur() {
    let file = e2eb_vectors::vault_protocol::file().unwrap();
    for flag in file.flags() {
        assert!(file.notes.contains_key(flag), "flag {flag} has no note");
    }
    let groups = &file.test_groups;
    assert_eq!(groups.len(), 3);
    let results: Vec<&str> = groups
        .iter()
        .flat_map(|group| -> Vec<&str> {
            match group {
                e2eb_vectors::vault_protocol::VaultGroup::VaultLogin(g) => {
                    g.tests.iter().map(|t| t.result.as_str()).collect()
                }
                e2eb_vectors::vault_protocol::VaultGroup::VaultEnvelope(g) => {
                    g.tests.iter().map(|t| t.result.as_str()).collect()
                }
                e2eb_vectors::vault_protocol::VaultGroup::VaultId(g) => {
                    g.tests.iter().map(|t| t.result.as_str()).collect()
                }
            }
        })
        .collect();
    assert_eq!(results.len(), file.number_of_tests);
    assert!(results.contains(&"valid") && results.contains(&"invalid"));
}
