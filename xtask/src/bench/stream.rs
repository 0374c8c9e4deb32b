//! A whole backup in memory (header with a recovery-key slot, payload sealed in 16 KiB chunks)
//! across thread counts and AEAD backends, four ways: through the streaming pipeline, by
//! offsets (as the CLI reads a named file), memory to memory, and in place.

use e2eb::{Backend, Decryptor, Encryptor, RecoveryKey, Secret, Suite, Threads};
use e2eb_benches::measure::{self, Plan};

use super::{Profile, Progress};
use crate::schema::StreamFigure;
use crate::stats::Summary;

/// 1, 2, 4, … below `available`, then `available` itself.
pub fn thread_counts(available: usize) -> Vec<usize> {
    let available = available.max(1);
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |count| count.checked_mul(2))
        .take_while(|&count| count < available)
        .collect();
    counts.push(available);
    counts
}

/// How the payload reaches the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `encrypt_stream` / `decrypt_stream` from a byte slice into a `Vec`: the pipeline for any
    /// reader and writer, whose reads and writes (two copies) are the calling thread's.
    Stream,
    /// `encrypt_into` / `decrypt_into`: memory to memory, each chunk copied and sealed by the
    /// thread that owns it.
    InMemory,
    /// `encrypt_file` / `decrypt_file` from a byte slice into a `Vec`: the CLI's path for a
    /// named file, where the pool threads read the chunks they seal or open.
    ByOffsets,
    /// `encrypt_in_place` / `decrypt_in_place`: the plaintext buffer turned into the backup and
    /// back, refilled untimed before each pass.
    InPlace,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Stream => "stream",
            Mode::InMemory => "in-memory",
            Mode::ByOffsets => "by-offsets",
            Mode::InPlace => "in-place",
        }
    }
}

pub fn measure(
    profile: &Profile,
    thread_counts: &[usize],
    progress: &Progress,
) -> Result<Vec<StreamFigure>, String> {
    let plaintext = e2eb_benches::pattern(profile.stream_bytes);
    // One pass per sample: a pass over tens of MiB is long enough to time on its own, and the
    // first (untimed) pass faults in the output buffer.
    let plan = Plan {
        warm_up: std::time::Duration::ZERO,
        samples: profile.stream_samples,
        sample_time: std::time::Duration::ZERO,
    };
    let recovery_key = RecoveryKey::generate().map_err(|error| error.to_string())?;
    let mut figures = Vec::new();
    // Output buffers are reused so that page faults on fresh memory stay out of the figures.
    let mut backup = Vec::with_capacity(profile.stream_bytes + profile.stream_bytes / 64 + 4096);
    let mut opened = Vec::with_capacity(profile.stream_bytes);
    let mut in_place = Vec::with_capacity(backup.capacity());
    let mb = profile.stream_bytes >> 20;
    for &suite in &profile.stream_suites {
        for &backend in Backend::compiled() {
            for mode in [Mode::Stream, Mode::ByOffsets, Mode::InMemory, Mode::InPlace] {
                for &threads in thread_counts {
                    progress.start(format!(
                        "{} {suite} {backend} encrypt {mb} MiB, {threads} threads",
                        mode.name()
                    ));
                    let encryptor = || {
                        Encryptor::new(suite)
                            .recovery_key(recovery_key.clone())
                            .threads(Threads::new(threads))
                            .backend(backend)
                    };
                    let mut failure = None;
                    let samples = timed_passes(
                        &plan,
                        mode,
                        plaintext.len(),
                        &mut in_place,
                        &plaintext,
                        |in_place| {
                            let outcome = match mode {
                                Mode::Stream => {
                                    backup.clear();
                                    encryptor()
                                        .encrypt_stream(&plaintext[..], &mut backup)
                                        .map(drop)
                                }
                                Mode::InMemory => encryptor().encrypt_into(&plaintext, &mut backup),
                                Mode::ByOffsets => {
                                    backup.clear();
                                    encryptor()
                                        .encrypt_file(plaintext.as_slice(), &mut backup)
                                        .map(drop)
                                }
                                Mode::InPlace => encryptor().encrypt_in_place(in_place),
                            };
                            if let Err(error) = outcome {
                                failure = Some(error);
                            }
                        },
                    );
                    if let Some(error) = failure {
                        return Err(format!("encrypting with {suite} ({backend}): {error}"));
                    }
                    figures.push(figure(
                        suite,
                        backend,
                        mode,
                        "encrypt",
                        threads,
                        plaintext.len(),
                        &samples,
                    ));
                    progress.done();
                }
                if mode == Mode::InPlace {
                    // In-place decryption opens the in-place backup.
                    backup.clear();
                    backup.extend_from_slice(&in_place);
                }
                for &threads in thread_counts {
                    progress.start(format!(
                        "{} {suite} {backend} decrypt {mb} MiB, {threads} threads",
                        mode.name()
                    ));
                    let decryptor = Decryptor::new(Secret::RecoveryKey(recovery_key.clone()))
                        .threads(Threads::new(threads))
                        .backend(backend);
                    let mut failure = None;
                    let samples = timed_passes(
                        &plan,
                        mode,
                        plaintext.len(),
                        &mut in_place,
                        &backup,
                        |in_place| {
                            let outcome = match mode {
                                Mode::Stream => {
                                    opened.clear();
                                    decryptor.decrypt_stream(&backup[..], &mut opened).map(drop)
                                }
                                Mode::InMemory => decryptor.decrypt_into(&backup, &mut opened),
                                Mode::ByOffsets => {
                                    opened.clear();
                                    decryptor
                                        .decrypt_file(backup.as_slice(), &mut opened)
                                        .map(drop)
                                }
                                Mode::InPlace => decryptor.decrypt_in_place(in_place),
                            };
                            if let Err(error) = outcome {
                                failure = Some(error);
                            }
                        },
                    );
                    if let Some(error) = failure {
                        return Err(format!("decrypting with {suite} ({backend}): {error}"));
                    }
                    let result = if mode == Mode::InPlace {
                        &in_place
                    } else {
                        &opened
                    };
                    if *result != plaintext {
                        return Err(format!(
                            "{suite} ({backend}, {}): the payload did not round-trip",
                            mode.name()
                        ));
                    }
                    figures.push(figure(
                        suite,
                        backend,
                        mode,
                        "decrypt",
                        threads,
                        plaintext.len(),
                        &samples,
                    ));
                    progress.done();
                }
            }
        }
    }
    add_speedups(&mut figures);
    Ok(figures)
}

/// Plaintext bytes per second of `operation` over `plan`'s passes, each over `plaintext_len`
/// bytes of plaintext. Only in place does a pass consume its input (the plaintext becomes the
/// backup, or the backup the plaintext), so only then is `input` copied into `buffer`, untimed,
/// before each.
fn timed_passes(
    plan: &Plan,
    mode: Mode,
    plaintext_len: usize,
    buffer: &mut Vec<u8>,
    input: &[u8],
    operation: impl FnMut(&mut Vec<u8>),
) -> Vec<f64> {
    measure::bytes_per_second_prepared(
        plan,
        plaintext_len as u64,
        buffer,
        |buffer| {
            if mode == Mode::InPlace {
                buffer.clear();
                buffer.extend_from_slice(input);
            }
        },
        operation,
    )
}

fn figure(
    suite: Suite,
    backend: Backend,
    mode: Mode,
    direction: &str,
    threads: usize,
    bytes: usize,
    samples: &[f64],
) -> StreamFigure {
    StreamFigure {
        suite: suite.name().into(),
        direction: direction.into(),
        backend: Some(backend.name().into()),
        mode: Some(mode.name().into()),
        threads,
        plaintext_bytes: bytes as u64,
        bytes_per_second: Summary::of(samples).expect("at least one finite sample"),
        speedup: None,
        efficiency: None,
    }
}

/// Fills in speedup (median over the median at one thread, same suite, direction, backend and
/// mode)
/// and parallel efficiency (speedup per thread).
pub fn add_speedups(figures: &mut [StreamFigure]) {
    let key = |figure: &StreamFigure| {
        (
            figure.suite.clone(),
            figure.direction.clone(),
            figure.backend_name().to_owned(),
            figure.mode_name().to_owned(),
        )
    };
    let baselines: Vec<((String, String, String, String), f64)> = figures
        .iter()
        .filter(|figure| figure.threads == 1)
        .map(|figure| (key(figure), figure.bytes_per_second.median))
        .collect();
    for figure in figures.iter_mut() {
        let own = key(figure);
        let baseline = baselines.iter().find(|(other, _)| *other == own);
        if let Some(&(_, single)) = baseline
            && single > 0.0
        {
            let speedup = figure.bytes_per_second.median / single;
            figure.speedup = Some(speedup);
            figure.efficiency = Some(speedup / figure.threads as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_double_up_to_the_host() {
        assert_eq!(thread_counts(1), vec![1]);
        assert_eq!(thread_counts(2), vec![1, 2]);
        assert_eq!(thread_counts(6), vec![1, 2, 4, 6]);
        assert_eq!(thread_counts(8), vec![1, 2, 4, 8]);
        assert_eq!(thread_counts(0), vec![1]);
    }

    #[test]
    fn speedup_is_relative_to_one_thread_of_the_same_kind() {
        let reference = Backend::RustCrypto;
        let mut figures = vec![
            figure(
                Suite::Aes256Gcm,
                reference,
                Mode::Stream,
                "encrypt",
                1,
                1,
                &[2.0],
            ),
            figure(
                Suite::Aes256Gcm,
                reference,
                Mode::Stream,
                "encrypt",
                2,
                1,
                &[3.0],
            ),
            figure(
                Suite::Aes256Gcm,
                reference,
                Mode::Stream,
                "decrypt",
                2,
                1,
                &[5.0],
            ),
            figure(
                Suite::Aes256Gcm,
                reference,
                Mode::InMemory,
                "encrypt",
                2,
                1,
                &[5.0],
            ),
        ];
        add_speedups(&mut figures);
        assert_eq!(figures[0].speedup, Some(1.0));
        assert_eq!(figures[1].speedup, Some(1.5));
        assert_eq!(figures[1].efficiency, Some(0.75));
        assert_eq!(figures[2].speedup, None, "no one-thread decrypt figure");
        assert_eq!(figures[3].speedup, None, "no one-thread in-memory figure");
    }
}
