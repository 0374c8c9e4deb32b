//! Checking `crypt15_test.json` against the reference reader: every test's verdict, class and
//! released bytes, through each way `e2eb-whatsapp` reads a backup.

use super::*;

/// Every way of reading: in memory, and streamed from a trickling input in small reads, with
/// the key as hex and as an `encrypted_backup.key` file.
fn outcomes(key_hex: &str, backup: &[u8]) -> Result<Vec<(&'static str, Outcome)>, String> {
    let key = Crypt15Key::parse_hex(key_hex).map_err(|e| format!("key: {e}"))?;
    let from_file = Crypt15Key::from_key_file(&key.to_java_serialized())
        .map_err(|e| format!("key file: {e}"))?;
    let class = |error: e2eb_whatsapp::Error| error.class().to_string();
    let mut all: Vec<(&'static str, Outcome)> = Vec::new();
    all.push((
        "in memory",
        decrypt_to_vec(&key, backup)
            .map(|(output, summary)| (output, Some(summary)))
            .map_err(class),
    ));
    let streamed = Crypt15Reader::new(
        &from_file,
        Trickle {
            data: backup,
            step: 7,
        },
    )
    .map_err(class)
    .and_then(|mut reader| {
        let mut output = Vec::new();
        let mut buffer = [0u8; 1000];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => break Ok((output, reader.summary().cloned())),
                Ok(len) => output.extend_from_slice(&buffer[..len]),
                Err(error) => break Err(class(e2eb_whatsapp::Error::from_io(error))),
            }
        }
    });
    all.push(("streamed, key file", streamed));
    Ok(all)
}

fn check_test(test: &Crypt15Test) -> Result<(), String> {
    let backup = test.backup()?;
    for (api, outcome) in outcomes(&test.key, &backup)? {
        match (test.is_valid(), outcome) {
            (true, Ok((output, summary))) => {
                if Some(output.len() as u64) != test.msg_length
                    || Some(hex::encode(Sha512::digest(&output))) != test.msg_sha512
                {
                    return Err(format!("{api}: the output differs"));
                }
                if let Some(msg) = &test.msg
                    && hex::encode(&output) != *msg
                {
                    return Err(format!("{api}: the output differs from msg"));
                }
                let summary = summary.ok_or(format!("{api}: no summary at the end"))?;
                if Some(md5_name(summary.md5_trailer)) != test.md5_trailer.as_deref() {
                    return Err(format!("{api}: MD5 trailer {:?}", summary.md5_trailer));
                }
                if Some(summary.output_is_zip) != test.output_is_zip {
                    return Err(format!("{api}: outputIsZip differs"));
                }
                if Some(intermediates(&backup, &summary)) != test.intermediates {
                    return Err(format!("{api}: the intermediate values differ"));
                }
            }
            (true, Err(class)) => return Err(format!("{api}: valid backup refused with {class}")),
            (false, Ok(_)) => return Err(format!("{api}: invalid backup accepted")),
            (false, Err(class)) => {
                if Some(&class) != test.error.as_ref() {
                    return Err(format!("{api}: error {class}, expected {:?}", test.error));
                }
            }
        }
    }
    Ok(())
}

/// Runs the reference reader over a group; returns (passed, failures).
pub fn check_group(group: &Crypt15Group) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for test in &group.tests {
        match check_test(test) {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!(
                "crypt15 tc {} ({}): {why}",
                test.tc_id, test.comment
            )),
        }
    }
    (passed, failures)
}
