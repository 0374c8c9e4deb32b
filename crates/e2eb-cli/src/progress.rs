//! Progress on stderr: a spinner with the elapsed time while a password's key is derived (which
//! can take seconds with no byte moving), then a bar counting input bytes as the library reads
//! them, so the library needs no progress hook.

use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2eb::{KdfParams, ReadAt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike, WeakProgressBar};

/// Every bar drawn so far, for an interruption to clear before it writes its message: a
/// spinner frame left on the line would read as part of it.
static DRAWN: Mutex<Vec<WeakProgressBar>> = Mutex::new(Vec::new());

/// Columns left free at the end of a bar's line. indicatif fills the line to the terminal's
/// last column, so that the cursor waits there; the "^C" the terminal echoes for Ctrl-C then
/// wraps onto a line of its own, and clearing "the bar's line" clears that one, leaving the
/// spinner's last frame above the interruption's message. Two columns hold the "^C".
const ROOM_AT_LINE_END: u16 = 2;

/// Standard error as indicatif draws on it, [`ROOM_AT_LINE_END`] columns narrower.
#[derive(Debug)]
struct Stderr(console::Term);

impl TermLike for Stderr {
    fn width(&self) -> u16 {
        TermLike::width(&self.0)
            .saturating_sub(ROOM_AT_LINE_END)
            .max(1)
    }

    fn height(&self) -> u16 {
        TermLike::height(&self.0)
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        TermLike::move_cursor_up(&self.0, n)
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        TermLike::move_cursor_down(&self.0, n)
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        TermLike::move_cursor_right(&self.0, n)
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        TermLike::move_cursor_left(&self.0, n)
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        TermLike::write_line(&self.0, s)
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        TermLike::write_str(&self.0, s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        TermLike::clear_line(&self.0)
    }

    fn flush(&self) -> std::io::Result<()> {
        TermLike::flush(&self.0)
    }
}

/// Where bars are drawn: stderr, a terminal (only then is progress [`wanted`]).
fn draw_target() -> ProgressDrawTarget {
    ProgressDrawTarget::term_like(Box::new(Stderr(console::Term::stderr())))
}

/// Clears every bar still drawn and stops it drawing again; for the interruption handler,
/// before anything else is written.
pub fn clear_all() {
    let drawn = std::mem::take(
        &mut *DRAWN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    for bar in drawn.iter().filter_map(WeakProgressBar::upgrade) {
        bar.finish_and_clear();
    }
}

/// Only a person watching a terminal wants a bar; in a pipeline or a log it would be noise.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// How a password KDF is named on the spinner: "Argon2id, 64 MiB, t=3".
pub fn kdf_description(params: &KdfParams) -> String {
    let bytes = params.memory_bytes();
    // Exact where that is short ("2 GiB"), else rounded: scrypt's memory is a little over a
    // power of two.
    let exact = e2eb_measure::units::format_bytes(bytes);
    let memory = if bytes >= 1 << 20 && !(exact.ends_with("MiB") || exact.ends_with("GiB")) {
        e2eb_measure::safety::approx_bytes(u64::try_from(bytes).unwrap_or(u64::MAX))
    } else {
        exact
    };
    match params {
        KdfParams::Argon2id(argon2) => {
            format!("Argon2id, {memory}, t={}", argon2.passes())
        }
        KdfParams::Scrypt(scrypt) => format!("scrypt, {memory}, p={}", scrypt.p()),
        _ => params.kind().to_string(),
    }
}

/// The spinner's line while a key is derived: "deriving key (Argon2id, 64 MiB, t=3)…".
fn deriving_message(kdfs: &[KdfParams]) -> String {
    let mut described: Vec<String> = Vec::new();
    for kdf in kdfs {
        let text = kdf_description(kdf);
        if !described.contains(&text) {
            described.push(text);
        }
    }
    if described.is_empty() {
        "opening the key slots…".to_owned()
    } else {
        format!("deriving key ({})…", described.join("; "))
    }
}

/// Progress of one run: first, where a password is involved, a key-derivation spinner; then
/// the byte bar. Everything it drew is cleared when it is dropped or finished, so that whatever
/// is written next (an error, a warning, plaintext on the same terminal) starts on a clean line.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// The bar's template for the byte phase; `None` where no bar is drawn.
    bytes_template: Option<&'static str>,
    /// Set once the byte phase began (or was skipped).
    bytes_started: AtomicBool,
    /// Whether the first byte counted starts the byte phase (encryption: the key is derived
    /// before any input is read), or only [`Progress::key_ready`] does (decryption: the header
    /// is read before the key is derived).
    first_byte_starts_bytes: bool,
    /// Whether a stream's first bytes are parsed as a backup header, to name the KDF on the
    /// spinner (decryption with a password, where the header only arrives through the stream).
    names_kdf_from_header: bool,
}

/// Longest start of a stream kept to find the header in; a header is rarely over a KiB.
const LONGEST_SNIFFED_HEADER: usize = 64 * 1024;

impl Progress {
    /// Progress for encrypting (or converting) `len` input bytes (`None`: unknown) under
    /// `verb` ("encrypting"); `kdfs` are the password slots' KDFs, derived before the first
    /// input byte is read.
    pub fn for_encryption(
        enabled: bool,
        verb: &'static str,
        len: Option<u64>,
        kdfs: &[KdfParams],
    ) -> Progress {
        let deriving = (!kdfs.is_empty()).then(|| deriving_message(kdfs));
        Progress::start(enabled, verb, len, deriving, true)
    }

    /// Progress for decrypting `len` input bytes with a password (whose KDF is only known once
    /// the header is read: "deriving key…" until then) or a recovery key (no spinner worth
    /// showing). Call [`Progress::key_ready`] once the backup is unlocked.
    pub fn for_decryption(
        enabled: bool,
        verb: &'static str,
        len: Option<u64>,
        password: bool,
    ) -> Progress {
        let deriving = password.then(|| "deriving key…".to_owned());
        let mut progress = Progress::start(enabled, verb, len, deriving, false);
        // Not yet shared: no reader was made from it.
        if enabled
            && password
            && let Some(shared) = Arc::get_mut(&mut progress.shared)
        {
            shared.names_kdf_from_header = true;
        }
        progress
    }

    /// Byte progress only, for runs that derive no key.
    pub fn new(enabled: bool, verb: &'static str, len: Option<u64>) -> Progress {
        Progress::start(enabled, verb, len, None, true)
    }

    fn start(
        enabled: bool,
        verb: &'static str,
        len: Option<u64>,
        deriving: Option<String>,
        first_byte_starts_bytes: bool,
    ) -> Progress {
        if !enabled {
            return Progress {
                bar: ProgressBar::hidden(),
                shared: Arc::new(Shared {
                    bytes_template: None,
                    bytes_started: AtomicBool::new(true),
                    first_byte_starts_bytes,
                    names_kdf_from_header: false,
                }),
            };
        }
        let bar = ProgressBar::with_draw_target(len, draw_target());
        DRAWN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(bar.downgrade());
        let template = if len.is_some() {
            "{prefix} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}"
        } else {
            "{prefix} {spinner} {binary_bytes} {binary_bytes_per_sec}"
        };
        let in_key_phase = match deriving {
            Some(message) => {
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                    bar.set_style(style);
                }
                bar.set_message(message);
                true
            }
            None => {
                set_bytes_style(&bar, template);
                false
            }
        };
        // After the style: setting the prefix draws, and indicatif's default style is a bar.
        bar.set_prefix(verb);
        // Ticks while no byte moves: the spinner's elapsed time, or a stalled input.
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress {
            bar,
            shared: Arc::new(Shared {
                bytes_template: Some(template),
                bytes_started: AtomicBool::new(!in_key_phase),
                first_byte_starts_bytes,
                names_kdf_from_header: false,
            }),
        }
    }

    /// Names the KDF being run, once it is known (a backup's header says it).
    pub fn deriving(&self, kdfs: &[KdfParams]) {
        if !self.shared.bytes_started.load(Ordering::Relaxed) && !kdfs.is_empty() {
            self.bar.set_message(deriving_message(kdfs));
        }
    }

    /// The key is derived: the byte bar takes over, or, where `show_bytes` is false (the output
    /// is this terminal, where a bar would mix into the data), nothing more is drawn.
    pub fn key_ready(&self, show_bytes: bool) {
        if show_bytes {
            begin_bytes(&self.bar, &self.shared);
        } else {
            self.shared.bytes_started.store(true, Ordering::Relaxed);
            self.bar.finish_and_clear();
        }
    }

    /// Runs `prompt` with nothing drawn: the bar is taken off the screen (and stops drawing)
    /// until it returns, then drawn again with its elapsed time from zero.
    pub fn paused<T>(&self, prompt: impl FnOnce() -> T) -> T {
        if self.bar.is_hidden() {
            return prompt();
        }
        // No frame is drawn once the target is hidden; the last one is erased by hand (one
        // line: carriage return, erase line), since a hidden target erases nothing.
        self.bar.set_draw_target(ProgressDrawTarget::hidden());
        let _ = std::io::stderr().write_all(b"\r\x1b[2K");
        let outcome = prompt();
        self.bar.reset_elapsed();
        self.bar.set_draw_target(draw_target());
        outcome
    }

    /// Counts the bytes read from zero again, for a source that is read again from its start.
    pub fn rewind(&self) {
        self.bar.set_position(0);
    }

    pub fn wrap<R: Read>(&self, reader: R) -> CountedRead<R> {
        CountedRead {
            reader,
            bar: self.bar.clone(),
            header_start: self.shared.names_kdf_from_header.then(Vec::new),
            shared: Arc::clone(&self.shared),
        }
    }

    /// Counts what several threads read from `source` at explicit offsets.
    pub fn wrap_at<R: ReadAt>(&self, source: R) -> CountedReadAt<R> {
        CountedReadAt {
            source,
            bar: self.bar.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

fn begin_bytes(bar: &ProgressBar, shared: &Shared) {
    if !shared.bytes_started.swap(true, Ordering::Relaxed) {
        if let Some(template) = shared.bytes_template {
            set_bytes_style(bar, template);
        }
        bar.reset_elapsed();
        bar.reset_eta();
        // Drawn now, not at the next tick: the spinner's line must not linger into the
        // byte phase, however short that is.
        bar.tick();
    }
}

fn set_bytes_style(bar: &ProgressBar, template: &str) {
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
}

fn count(bar: &ProgressBar, shared: &Shared, read: usize) {
    if read > 0 && shared.first_byte_starts_bytes {
        begin_bytes(bar, shared);
    }
    bar.inc(read as u64);
}

/// A [`Read`] whose reads move the bar.
#[derive(Debug)]
pub struct CountedRead<R> {
    reader: R,
    bar: ProgressBar,
    shared: Arc<Shared>,
    /// The stream's first bytes, until they hold a whole backup header.
    header_start: Option<Vec<u8>>,
}

impl<R: Read> CountedRead<R> {
    /// Names the KDF on the spinner once the header has come through.
    fn look_for_header(&mut self, read: &[u8]) {
        let Some(start) = &mut self.header_start else {
            return;
        };
        start.extend_from_slice(read);
        match e2eb::Header::parse(start) {
            Ok((header, _)) => {
                let kdfs: Vec<KdfParams> = header
                    .slots()
                    .iter()
                    .filter_map(|slot| match slot {
                        e2eb::KeySlot::Password { kdf, .. } => Some(*kdf),
                        _ => None,
                    })
                    .collect();
                if !self.shared.bytes_started.load(Ordering::Relaxed) && !kdfs.is_empty() {
                    self.bar.set_message(deriving_message(&kdfs));
                }
                self.header_start = None;
            }
            Err(e2eb::Error::Truncated(_)) if start.len() < LONGEST_SNIFFED_HEADER => {}
            // Not a header: the decryption reports why.
            Err(_) => self.header_start = None,
        }
    }
}

impl<R: Read> Read for CountedRead<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.reader.read(buffer)?;
        self.look_for_header(&buffer[..read]);
        count(&self.bar, &self.shared, read);
        Ok(read)
    }
}

/// A [`ReadAt`] source whose reads move the bar.
#[derive(Debug)]
pub struct CountedReadAt<R> {
    source: R,
    bar: ProgressBar,
    shared: Arc<Shared>,
}

impl<R: ReadAt> ReadAt for CountedReadAt<R> {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let read = self.source.read_at(buffer, offset)?;
        count(&self.bar, &self.shared, read);
        Ok(read)
    }

    fn size(&self) -> std::io::Result<u64> {
        self.source.size()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spinner_names_the_kdf_and_its_cost() {
        let argon2 = e2eb::KdfKind::Argon2id.default_params();
        assert_eq!(
            deriving_message(&[argon2, argon2]),
            "deriving key (Argon2id, 64 MiB, t=3)…"
        );
        let scrypt = e2eb::KdfKind::Scrypt.default_params();
        assert_eq!(
            deriving_message(&[argon2, scrypt]),
            "deriving key (Argon2id, 64 MiB, t=3; scrypt, 128 MiB, p=1)…"
        );
    }
}
