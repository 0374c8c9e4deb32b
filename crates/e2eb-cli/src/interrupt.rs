//! Ctrl-C, SIGTERM and SIGHUP: remove the temporary output files before exiting, so that an
//! interrupted run leaves neither a partial OUT (it never could: OUT appears only by rename)
//! nor a hidden temporary file that may hold decrypted data.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files to remove if the process is interrupted.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler; call once, before any temporary file exists.
pub fn install() {
    crate::signals::on_termination(|exit_status| {
        let pending = PENDING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for path in pending.iter() {
            let _ = std::fs::remove_file(path);
        }
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"\ne2eb: interrupted; nothing was written\n",
        );
        std::process::exit(exit_status);
    });
}

/// Registers `path` for removal on interruption until [`forget`] is called.
pub fn remove_on_interrupt(path: &Path) {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(path.to_path_buf());
}

/// Stops tracking `path` (it was renamed into place or already removed).
pub fn forget(path: &Path) {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .retain(|pending| pending != path);
}
