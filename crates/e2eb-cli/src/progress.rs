//! A progress bar on stderr, counting input bytes as the library reads them, so the library
//! needs no progress hook.

use std::io::{IsTerminal, Read};

use e2eb::ReadAt;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressBarIter, ProgressDrawTarget, ProgressStyle};

/// Only a person watching a terminal wants a bar; in a pipeline or a log it would be noise.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar that clears itself when dropped, so that an error message printed after it starts on
/// a clean line.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// `verb` heads the bar ("encrypting"); `len` is the input's length where known.
    pub fn new(enabled: bool, verb: &'static str, len: Option<u64>) -> Progress {
        if !enabled {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        let template = if len.is_some() {
            "{prefix} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}"
        } else {
            "{prefix} {spinner} {binary_bytes} {binary_bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(verb);
        // Ticks while no byte moves, e.g. during a slow password KDF before the payload.
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar }
    }

    pub fn wrap<R: Read>(&self, reader: R) -> ProgressBarIter<R> {
        self.bar.wrap_read(reader)
    }

    /// Counts what several threads read from `source` at explicit offsets.
    pub fn wrap_at<R: ReadAt>(&self, source: R) -> CountedReadAt<R> {
        CountedReadAt {
            source,
            bar: self.bar.clone(),
        }
    }
}

/// A [`ReadAt`] source whose reads move the bar.
#[derive(Debug)]
pub struct CountedReadAt<R> {
    source: R,
    bar: ProgressBar,
}

impl<R: ReadAt> ReadAt for CountedReadAt<R> {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let read = self.source.read_at(buffer, offset)?;
        self.bar.inc(read as u64);
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
