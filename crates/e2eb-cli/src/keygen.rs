//! `e2eb keygen`: a new recovery key, on stdout or in a file only its owner can read.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use e2eb::RecoveryKey;

use crate::cli::KeygenArgs;
use crate::error::Failure;
use crate::input::is_standard_stream;
use crate::output::{Contents, OutputPlan};
use crate::secrets;

pub fn run(args: KeygenArgs) -> Result<(), Failure> {
    let key = RecoveryKey::generate().map_err(|error| Failure::library(error, None))?;
    match args.output.as_deref() {
        Some(path) if !is_standard_stream(path) => {
            write_key_file(&key, path, args.force)?;
            remind(&format!(
                "The recovery key is in {} (readable by you only). Also write it down and keep \
                 it offline: anyone who has it can decrypt the backups it protects, and if it \
                 is lost, so are they (unless a password opens them).",
                path.display()
            ));
        }
        _ => {
            let mut stdout = io::stdout().lock();
            writeln!(stdout, "{}", key.display_grouped().as_str())
                .and_then(|()| stdout.flush())
                .map_err(|error| Failure::io("cannot write stdout", &error))?;
            remind(
                "Write this recovery key down and keep it offline: anyone who has it can decrypt \
                 the backups it protects, and if it is lost, so are they (unless a password \
                 opens them).",
            );
        }
    }
    Ok(())
}

fn write_key_file(key: &RecoveryKey, path: &Path, force: bool) -> Result<(), Failure> {
    let text = secrets::recovery_key_file_text(key);
    let label = path.display();
    if force {
        // Replacing a key file goes through a temporary file and a rename, so that a failed
        // write never leaves the old key destroyed and the new one incomplete.
        let mut output = OutputPlan::new(path, true, Contents::Private, None)?.open()?;
        output
            .write_all(text.as_bytes())
            .map_err(|error| Failure::io(format!("cannot write {label}"), &error))?;
        return output.commit();
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| {
            if error.kind() == io::ErrorKind::AlreadyExists {
                Failure::new(format!(
                    "{label} already exists; use --force to replace it (the key it holds would \
                     be lost)"
                ))
            } else {
                Failure::io(format!("cannot create {label}"), &error)
            }
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| {
            // An incomplete key file is worse than none: it could be taken for the key.
            let _ = fs::remove_file(path);
            Failure::io(format!("cannot write {label}"), &error)
        })
}

fn remind(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}
