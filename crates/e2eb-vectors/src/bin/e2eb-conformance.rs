//! The reference implementation behind the conformance protocol of vectors/README.md: reads one
//! request on standard input, writes one answer on standard output. `cargo xtask vectors check`
//! runs it to test the runner itself; other implementations provide a program like it.

use std::io::Read;

use e2eb::{Decryptor, KdfCaps, RecoveryKey, Threads};
use e2eb_vectors::check::{Answer, Released, Request, sha512_hex};
use e2eb_vectors::generate::library_caps;
use e2eb_vectors::recovery_keys::error_class;
use e2eb_vectors::secret_inputs::{SecretInputKind, evaluate};

fn answer(request: Request) -> Answer {
    let mut answer = Answer {
        result: "invalid".into(),
        msg_sha512: None,
        msg_length: None,
        key: None,
        output: None,
        over_cap: None,
        error: None,
        detail: None,
        released: None,
    };
    match request {
        Request::BackupDecryption {
            backup,
            secret,
            caps,
            ..
        } => {
            // Streamed, as the CLI decrypts into a pipe: what reaches the writer before an
            // error is what this implementation releases.
            let mut released = Vec::new();
            let outcome = (|| -> Result<(), e2eb::Error> {
                let backup = hex::decode(backup)
                    .map_err(|e| e2eb::Error::MalformedHeader(format!("request hex: {e}")))?;
                let secret = secret.to_library()?;
                let caps: KdfCaps = library_caps(&caps);
                Decryptor::new(secret)
                    .caps(caps)
                    .threads(Threads::new(1))
                    .unlock(backup.as_slice())?
                    .decrypt_to(&mut released)?;
                Ok(())
            })();
            match outcome {
                Ok(()) => {
                    answer.result = "valid".into();
                    answer.msg_length = Some(released.len() as u64);
                    answer.msg_sha512 = Some(sha512_hex(&released));
                }
                Err(error) => {
                    answer.error = Some(error.class().into());
                    answer.over_cap = e2eb_vectors::model::OverCap::of(&error);
                    answer.released = Some(Released {
                        msg_length: released.len() as u64,
                        msg_sha512: sha512_hex(&released),
                    });
                }
            }
        }
        Request::Crypt15Decryption { backup, key, .. } => {
            let outcome = (|| -> Result<Vec<u8>, e2eb_whatsapp::Error> {
                let backup = hex::decode(backup).map_err(|e| {
                    e2eb_whatsapp::Error::from_io(std::io::Error::other(format!(
                        "request hex: {e}"
                    )))
                })?;
                let key: [u8; 32] = hex::decode(key)
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| {
                        e2eb_whatsapp::Error::from_io(std::io::Error::other(
                            "the request's key is not 32 bytes of hex",
                        ))
                    })?;
                let key = e2eb_whatsapp::Crypt15Key::from_bytes(key);
                Ok(e2eb_whatsapp::decrypt_to_vec(&key, &backup)?.0)
            })();
            match outcome {
                Ok(output) => {
                    answer.result = "valid".into();
                    answer.msg_length = Some(output.len() as u64);
                    answer.msg_sha512 = Some(sha512_hex(&output));
                }
                Err(error) => answer.error = Some(error.class().into()),
            }
        }
        Request::RecoveryKeyFile { input, .. } => {
            secret_input(&mut answer, SecretInputKind::RecoveryKeyFile, &input)
        }
        Request::PasswordFile { input, .. } => {
            secret_input(&mut answer, SecretInputKind::PasswordFile, &input)
        }
        Request::PasswordNormalization { input, .. } => {
            secret_input(&mut answer, SecretInputKind::PasswordNormalization, &input)
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

fn secret_input(answer: &mut Answer, kind: SecretInputKind, input: &str) {
    let Ok(input) = hex::decode(input) else {
        answer.error = Some("request hex".into());
        return;
    };
    match evaluate(kind, &input) {
        Ok(output) => {
            answer.result = "valid".into();
            answer.output = Some(hex::encode(output));
        }
        Err((class, detail)) => {
            answer.error = Some(class.into());
            answer.detail = detail;
        }
    }
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
