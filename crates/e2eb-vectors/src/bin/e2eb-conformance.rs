//! The reference implementation behind the conformance protocol of vectors/README.md: reads one
//! request on standard input, writes one answer on standard output. `cargo xtask vectors check`
//! runs it to test the runner itself; other implementations provide a program like it.

use std::io::Read;

use e2eb::{Decryptor, KdfCaps, Password, RecoveryKey, Secret, Threads};
use e2eb_vectors::check::{Answer, Request, sha512_hex};
use e2eb_vectors::generate::library_caps;
use e2eb_vectors::model::SecretInput;
use e2eb_vectors::recovery_keys::error_class;

fn answer(request: Request) -> Answer {
    let mut answer = Answer {
        result: "invalid".into(),
        msg_sha512: None,
        msg_length: None,
        key: None,
        error: None,
        detail: None,
    };
    match request {
        Request::BackupDecryption {
            backup,
            secret,
            caps,
            ..
        } => {
            let outcome = (|| -> Result<Vec<u8>, e2eb::Error> {
                let backup = hex::decode(backup)
                    .map_err(|e| e2eb::Error::MalformedHeader(format!("request hex: {e}")))?;
                let secret = match secret {
                    SecretInput::RecoveryKey(text) => {
                        Secret::RecoveryKey(RecoveryKey::parse(&text)?)
                    }
                    SecretInput::Password(password) => Secret::Password(Password::new(password)?),
                };
                let caps: KdfCaps = library_caps(&caps);
                Decryptor::new(secret)
                    .caps(caps)
                    .threads(Threads::new(1))
                    .decrypt_to_vec(&backup)
            })();
            match outcome {
                Ok(plaintext) => {
                    answer.result = "valid".into();
                    answer.msg_length = Some(plaintext.len() as u64);
                    answer.msg_sha512 = Some(sha512_hex(&plaintext));
                }
                Err(error) => answer.error = Some(error.class().into()),
            }
        }
        Request::RecoveryKeyParsing { text, .. } => match RecoveryKey::parse(&text) {
            Ok(key) => {
                answer.result = "valid".into();
                answer.key = Some(hex::encode(key.as_bytes()));
            }
            Err(error) => {
                let (class, detail) = error_class(&error);
                answer.error = Some(class.into());
                answer.detail = detail;
            }
        },
    }
    answer
}

fn main() -> std::process::ExitCode {
    let mut input = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("e2eb-conformance: reading the request: {error}");
        return std::process::ExitCode::FAILURE;
    }
    match serde_json::from_str::<Request>(&input) {
        Ok(request) => {
            println!(
                "{}",
                serde_json::to_string(&answer(request)).expect("answers serialise")
            );
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("e2eb-conformance: unreadable request: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
