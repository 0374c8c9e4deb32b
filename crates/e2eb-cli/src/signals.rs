//! Termination signals (Ctrl-C, SIGTERM, SIGHUP): the handler runs on its own thread and is
//! told the exit status the signal conventionally gives (128 + its number: 130, 143, 129), so
//! that scripts and shells can tell an interruption from a failure and from each other.

/// Exit status after SIGINT, as shells report it (128 + 2): where the signal is not told.
#[cfg(not(unix))]
const INTERRUPTED: i32 = 130;

/// Runs `handler` with the signal's exit status when SIGINT, SIGTERM or SIGHUP arrives. A
/// prompt's terminal settings are restored first, so that an interrupted prompt does not leave
/// the terminal without echo. Failing to install only loses the clean-up: not worth refusing
/// to run over.
#[cfg(unix)]
pub fn on_termination(handler: impl Fn(i32) + Send + 'static) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                crate::prompt::restore_terminal();
                handler(128 + signal);
            }
        });
}

#[cfg(not(unix))]
pub fn on_termination(handler: impl Fn(i32) + Send + 'static) {
    let _ = ctrlc::set_handler(move || {
        crate::prompt::restore_terminal();
        handler(INTERRUPTED)
    });
}
