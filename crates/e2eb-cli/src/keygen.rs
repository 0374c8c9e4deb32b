//! `e2eb keygen`: a new recovery key, on stdout or in a file only its owner can read.

use std::fs;
use std::io::{self, Write};
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
    if !force && fs::metadata(path).is_ok_and(|metadata| metadata.is_file()) {
        return Err(Failure::new(format!(
            "{label} already exists; use --force to replace it (the key it holds would be lost)"
        )));
    }
    // Through a temporary file renamed into place once complete and synced: an incomplete key
    // file is worse than none (it could be taken for the key), and a replaced one must not be
    // lost before the new one is whole. A device or pipe is written as a stream.
    let mut output = OutputPlan::new(path, force, Contents::Private, None)?.open()?;
    output
        .write_all(text.as_bytes())
        .map_err(|error| Failure::io(format!("cannot write {label}"), &error))?;
    output.commit()
}

fn remind(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}
