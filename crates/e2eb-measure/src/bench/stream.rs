//! A whole backup in memory (header with a recovery-key slot, payload sealed in 16 KiB chunks)
//! across thread counts and AEAD backends, through each of the library's doors that moves a
//! whole payload: the streaming pipeline, by offsets (as the CLI reads a named file), from a
//! slice to a new vector, and in a backup buffer whose chunk windows hold the plaintext.

use super::measure::{self, Plan};
use e2eb::{Backend, Decryptor, Encryptor, RecoveryKey, Secret, Suite, Threads};

use super::{Profile, Progress};
use crate::schema::{MemoryFigure, StreamFigure};
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
    /// `encrypt` / `unlock` + `decrypt_to` from a byte slice into a `Vec`: the pipeline for any
    /// reader and writer, the pool's threads reading the stream in turn, the calling thread
    /// writing.
    Stream,
    /// `encrypt_file` / `unlock_file` + `decrypt_to` from a byte slice into a `Vec`: the CLI's
    /// path for a named file, where the pool threads read the chunks they seal or open.
    ByOffsets,
    /// `encrypt_to_vec` / `decrypt_to_vec`: from a slice into a new vector, each chunk sealed or
    /// opened straight from its source to its place by the thread that owns it (the new
    /// vector's page faults included, as a caller pays them).
    ToVec,
    /// `Encryptor::backup_buffer_in` + `BackupBuffer::seal` / `Decryptor::open_buffer`: the
    /// chunks sealed or opened where they lie, nothing moved; the plaintext (laid out in the
    /// chunks' windows, as a caller's reads would put it) or the backup is refilled untimed
    /// before each pass.
    Buffer,
}

/// How many ways the section measures, in each direction.
pub const MODE_COUNT: usize = Mode::ALL.len();

impl Mode {
    const ALL: [Mode; 4] = [Mode::Stream, Mode::ByOffsets, Mode::ToVec, Mode::Buffer];

    fn name(self) -> &'static str {
        match self {
            Mode::Stream => "stream",
            Mode::ByOffsets => "by-offsets",
            Mode::ToVec => "to-vec",
            Mode::Buffer => "buffer",
        }
    }
}

/// One pass per sample: a pass over tens of MiB is long enough to time on its own, and the
/// first (untimed) pass faults in the output buffer.
fn pass_plan(profile: &Profile) -> Plan {
    Plan {
        warm_up: std::time::Duration::ZERO,
        samples: profile.stream_samples,
        sample_time: std::time::Duration::ZERO,
    }
}

pub fn measure(
    profile: &Profile,
    thread_counts: &[usize],
    progress: &dyn Progress,
) -> Result<Vec<StreamFigure>, String> {
    let plaintext = super::pattern(profile.stream_bytes);
    let plan = pass_plan(profile);
    let recovery_key = RecoveryKey::generate().map_err(|error| error.to_string())?;
    let mut figures = Vec::new();
    // Output buffers are reused so that page faults on fresh memory stay out of the figures.
    let mut backup = Vec::with_capacity(profile.stream_bytes + profile.stream_bytes / 64 + 4096);
    let mut opened = Vec::with_capacity(profile.stream_bytes);
    let mut in_place = Vec::with_capacity(backup.capacity());
    let mb = profile.stream_bytes >> 20;
    for &suite in &profile.stream_suites {
        // Where the chunks start in a backup with one recovery-key slot, and so where a backup
        // buffer's plaintext windows are.
        let chunks_offset = Encryptor::new(suite)
            .recovery_key(recovery_key.clone())
            .encrypt_to_vec(&[])
            .map_err(|error| error.to_string())?
            .len()
            - e2eb::payload::sealed_len(0) as usize;
        // Refills run on as many threads as the pass they prepare (`super::on_threads`).
        let laid_out = |buffer: &mut Vec<u8>, threads: usize| {
            super::on_threads(threads, || {
                super::lay_out(buffer, &plaintext, chunks_offset)
            })
        };
        let copied = |buffer: &mut Vec<u8>, input: &[u8], threads: usize| {
            super::on_threads(threads, || super::copy_into(buffer, input))
        };
        for &backend in Backend::compiled() {
            for mode in Mode::ALL {
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
                    let samples = measure::bytes_per_second_prepared(
                        &plan,
                        plaintext.len() as u64,
                        &mut in_place,
                        |buffer| {
                            if mode == Mode::Buffer {
                                laid_out(buffer, threads);
                            }
                        },
                        |in_place| {
                            let outcome = match mode {
                                Mode::Stream => {
                                    backup.clear();
                                    encryptor().encrypt(&plaintext[..], &mut backup).map(drop)
                                }
                                Mode::ToVec => encryptor()
                                    .encrypt_to_vec(&plaintext)
                                    .map(|sealed| backup = sealed),
                                Mode::ByOffsets => {
                                    backup.clear();
                                    encryptor()
                                        .encrypt_file(plaintext.as_slice(), &mut backup)
                                        .map(drop)
                                }
                                Mode::Buffer => encryptor()
                                    .backup_buffer_in(plaintext.len(), std::mem::take(in_place))
                                    .and_then(|buffer| buffer.seal())
                                    .map(|sealed| *in_place = sealed),
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
                if mode == Mode::Buffer {
                    // Decryption in place opens the backup made in place.
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
                    let samples = measure::bytes_per_second_prepared(
                        &plan,
                        plaintext.len() as u64,
                        &mut in_place,
                        |buffer| {
                            if mode == Mode::Buffer {
                                copied(buffer, &backup, threads);
                            }
                        },
                        |in_place| {
                            let outcome = match mode {
                                Mode::Stream => {
                                    opened.clear();
                                    decryptor
                                        .unlock(&backup[..])
                                        .and_then(|unlocked| unlocked.decrypt_to(&mut opened))
                                        .map(drop)
                                }
                                Mode::ToVec => decryptor
                                    .decrypt_to_vec(&backup)
                                    .map(|plaintext| opened = plaintext),
                                Mode::ByOffsets => {
                                    opened.clear();
                                    decryptor
                                        .unlock_file(backup.as_slice())
                                        .and_then(|unlocked| unlocked.decrypt_to(&mut opened))
                                        .map(drop)
                                }
                                Mode::Buffer => decryptor.open_buffer(in_place).map(drop),
                            };
                            if let Err(error) = outcome {
                                failure = Some(error);
                            }
                        },
                    );
                    if let Some(error) = failure {
                        return Err(format!("decrypting with {suite} ({backend}): {error}"));
                    }
                    let round_trips = match mode {
                        Mode::Buffer => super::windows_hold(&in_place, chunks_offset, &plaintext),
                        _ => opened == plaintext,
                    };
                    if !round_trips {
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

/// The memory ceiling of the in-place modes on each thread count: passes that read and write
/// every byte of a buffer laid out as the backups are (XOR with a constant, which the compiler
/// vectorises, so memory is the only limit), in the same 16 KiB pieces, the buffer refilled
/// untimed before each pass as theirs is.
pub fn memory_ceiling(
    profile: &Profile,
    thread_counts: &[usize],
    progress: &dyn Progress,
) -> Result<Vec<MemoryFigure>, String> {
    use e2eb::payload::SEALED_CHUNK_LEN;
    use rayon::prelude::*;
    let plaintext = super::pattern(profile.stream_bytes);
    let plan = pass_plan(profile);
    // The offset of a backup with one recovery-key slot; any offset near it would do.
    let chunks_offset = 256;
    let mut buffer = Vec::new();
    super::lay_out(&mut buffer, &plaintext, chunks_offset);
    let bytes = buffer.len() as u64;
    let mut figures = Vec::new();
    for &threads in thread_counts {
        progress.start(format!(
            "memory ceiling {} MiB, {threads} threads",
            profile.stream_bytes >> 20
        ));
        let samples = measure::bytes_per_second_prepared(
            &plan,
            bytes,
            &mut buffer,
            |buffer| {
                super::on_threads(threads, || {
                    super::lay_out(buffer, &plaintext, chunks_offset)
                })
            },
            |buffer| {
                super::on_threads(threads, || {
                    buffer.par_chunks_mut(SEALED_CHUNK_LEN).for_each(|piece| {
                        piece.iter_mut().for_each(|byte| *byte ^= 0x5a);
                    })
                });
                std::hint::black_box(&buffer);
            },
        );
        figures.push(MemoryFigure {
            threads,
            bytes,
            bytes_per_second: Summary::of(&samples).ok_or("no finite memory ceiling sample")?,
        });
        progress.done();
    }
    Ok(figures)
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
                Mode::ToVec,
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
        assert_eq!(figures[3].speedup, None, "no one-thread to-vec figure");
    }
}
