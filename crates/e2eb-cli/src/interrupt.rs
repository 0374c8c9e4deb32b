//! Ctrl-C, SIGTERM and SIGHUP: clear the bars, remove the temporary output files before
//! exiting, and say what the interruption left: nothing under OUT's name (it appears only by
//! rename, once complete), an incomplete stream, or an output that was already complete.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What the run has done to its output so far, for the message an interruption prints.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Nothing has reached OUT's name or the stream yet.
    NothingWritten,
    /// Data has started to flow into a stream (named by the label), which is now incomplete.
    Releasing(String),
    /// OUT (named by the label) is complete and in place.
    Complete(String),
}

#[derive(Debug)]
struct State {
    /// Temporary files to remove if the process is interrupted.
    pending: Vec<PathBuf>,
    stage: Stage,
}

static STATE: Mutex<State> = Mutex::new(State {
    pending: Vec::new(),
    stage: Stage::NothingWritten,
});

/// Held while an output is made final, so that an interruption waits for the rename (a matter
/// of microseconds) and then reports what it did, rather than racing it.
static COMMITTING: Mutex<()> = Mutex::new(());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler; call once, before any temporary file exists.
pub fn install() {
    crate::signals::on_termination(|exit_status| {
        crate::progress::clear_all();
        let _committing = lock(&COMMITTING);
        let state = lock(&STATE);
        for path in &state.pending {
            let _ = std::fs::remove_file(path);
        }
        let message = match &state.stage {
            Stage::NothingWritten => "interrupted; nothing was written".to_string(),
            Stage::Releasing(label) => {
                format!("interrupted; what was written to {label} is incomplete: discard it")
            }
            Stage::Complete(label) => {
                format!("interrupted after the output was complete: {label} is written in full")
            }
        };
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("\ne2eb: {message}\n").as_bytes(),
        );
        std::process::exit(exit_status);
    });
}

/// Creates the file `path` with `create` and registers it for removal on interruption until
/// [`forget`] is called. Both happen under the handler's lock, so an interruption comes either
/// before the file exists or after it is registered, never in between.
pub fn create_removable<T>(path: &Path, create: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    let mut state = lock(&STATE);
    let created = create()?;
    state.pending.push(path.to_path_buf());
    Ok(created)
}

/// Stops tracking `path` (it was renamed into place or already removed).
pub fn forget(path: &Path) {
    lock(&STATE).pending.retain(|pending| pending != path);
}

/// Notes that data is flowing into the stream `label`: from now on an interruption leaves it
/// incomplete.
pub fn releasing_to(label: &str) {
    lock(&STATE).stage = Stage::Releasing(label.to_string());
}

/// Runs `make_final`, which puts the output `label` in place, with interruptions held back
/// until it returns; once it succeeded, an interruption says the output is complete.
pub fn committing<T, E>(label: &str, make_final: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let _committing = lock(&COMMITTING);
    let outcome = make_final();
    if outcome.is_ok() {
        lock(&STATE).stage = Stage::Complete(label.to_string());
    }
    outcome
}
