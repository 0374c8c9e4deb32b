//! A backup's payload (c2sp.org/chunked-encryption, 16 KiB chunks, AES-256-GCM) over 256 MiB in
//! memory, with every AEAD backend of the build, on 1 and 2 sealing threads (and every available
//! CPU where there are more), so that one run shows the backends side by side and the parallel
//! speedup. One way in per door of the library that moves a whole payload (ids
//! `MODE/BACKEND/THREADS`):
//!
//! - `to-vec`: `encrypt_to_vec` / `decrypt_to_vec`, a new 256 MiB buffer each time, so the
//!   kernel's page faults on fresh memory are in the figure, as a caller pays them;
//! - `stream`: `encrypt` / `unlock` + `decrypt_to` from a byte slice into a reused `Vec`: the
//!   batched pipeline for any reader, the pool's threads reading in turn;
//! - `by-offsets`: `encrypt_file` / `unlock_file` + `decrypt_to` from a byte slice into a reused
//!   `Vec`: the path the CLI takes for a named file, where the pool threads read the chunks they
//!   seal or open;
//! - `buffer`: `Encryptor::backup_buffer_in` + `BackupBuffer::seal` / `Decryptor::open_buffer`,
//!   every chunk sealed or opened where it lies in the backup, nothing moved (the plaintext, laid
//!   out in the chunks' windows as a caller's reads would put it, or the backup is refilled
//!   before each pass, untimed).
//!
//! Second, 256 KiB and 1 MiB that stay in the CPU's caches are sealed on one thread, three ways
//! per backend, to show what the format costs beside the bare AEAD once memory bandwidth is out of
//! the picture: `raw` (the backend's out-of-place seal over the 64 chunks, fixed nonce), `chunks`
//! (the payload layer: `PayloadCipher::seal_chunk_from`, with its nonces and index checks) and
//! `backup` (`encrypt_to_vec`: a whole backup, header and key schedule included).
//!
//! `cargo bench -p e2eb-benches --bench payload` (add e.g. `-- buffer/ring` to pick some)

use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use e2eb::hazmat::{PayloadCipher, PayloadSchedule};
use e2eb::payload::{CHUNK_LEN, SALT_LEN, SEALED_CHUNK_LEN};
use e2eb::{Backend, Decryptor, Encryptor, RecoveryKey, Secret, Suite, Threads};

const PLAINTEXT_LEN: usize = 256 << 20;
const SUITE: Suite = Suite::Aes256Gcm;

fn thread_counts() -> Vec<usize> {
    let available = Threads::available().get();
    let mut counts = vec![1, 2];
    if available > 2 {
        counts.push(available);
    }
    counts
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    // One pass over 256 MiB takes a few hundredths of a second or more: a few passes per sample
    // and ten samples keep each benchmark within seconds while still giving criterion a spread.
    group
        .throughput(Throughput::Bytes(PLAINTEXT_LEN as u64))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

fn key() -> RecoveryKey {
    RecoveryKey::from_bytes([0x42; 32])
}

fn encryptor(backend: Backend, threads: usize) -> Encryptor {
    // A recovery-key slot costs one HKDF: the header is noise next to 256 MiB.
    Encryptor::new(SUITE)
        .recovery_key(key())
        .threads(Threads::new(threads))
        .backend(backend)
}

fn decryptor(backend: Backend, threads: usize) -> Decryptor {
    Decryptor::new(Secret::RecoveryKey(key()))
        .threads(Threads::new(threads))
        .backend(backend)
}

fn payload(c: &mut Criterion) {
    let plaintext = e2eb_benches::pattern(PLAINTEXT_LEN);
    let sealed = encryptor(Backend::RustCrypto, 1)
        .encrypt_to_vec(&plaintext)
        .expect("encrypts");
    let mut opened = decryptor(Backend::RustCrypto, 1)
        .decrypt_to_vec(&sealed)
        .expect("decrypts");
    assert!(opened == plaintext, "the payload round-trips");
    let mut scratch = Vec::with_capacity(sealed.len());
    let backends = Backend::compiled();
    let chunks_offset = sealed.len() - e2eb::payload::sealed_len(PLAINTEXT_LEN as u64) as usize;

    let mut group = c.benchmark_group(format!("payload-encrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        for &backend in backends {
            let id = |mode: &str| BenchmarkId::new(format!("{mode}/{backend}"), threads);
            group.bench_function(id("to-vec"), |b| {
                b.iter(|| {
                    encryptor(backend, threads)
                        .encrypt_to_vec(&plaintext)
                        .expect("encrypts")
                })
            });
            group.bench_function(id("stream"), |b| {
                b.iter(|| {
                    scratch.clear();
                    encryptor(backend, threads)
                        .encrypt(&plaintext[..], &mut scratch)
                        .expect("encrypts")
                })
            });
            group.bench_function(id("by-offsets"), |b| {
                b.iter(|| {
                    scratch.clear();
                    encryptor(backend, threads)
                        .encrypt_file(&plaintext.as_slice(), &mut scratch)
                        .expect("encrypts")
                })
            });
            group.bench_function(id("buffer"), |b| {
                time_refilled(
                    b,
                    threads,
                    sealed.len(),
                    |buffer| e2eb_benches::lay_out(buffer, &plaintext, chunks_offset),
                    |buffer| {
                        let backup = encryptor(backend, threads)
                            .backup_buffer_in(PLAINTEXT_LEN, std::mem::take(buffer))
                            .expect("makes the buffer");
                        *buffer = backup.seal().expect("encrypts");
                    },
                )
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group(format!("payload-decrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        for &backend in backends {
            let id = |mode: &str| BenchmarkId::new(format!("{mode}/{backend}"), threads);
            group.bench_function(id("to-vec"), |b| {
                b.iter(|| {
                    decryptor(backend, threads)
                        .decrypt_to_vec(&sealed)
                        .expect("decrypts")
                })
            });
            group.bench_function(id("stream"), |b| {
                b.iter(|| {
                    opened.clear();
                    decryptor(backend, threads)
                        .unlock(&sealed[..])
                        .and_then(|unlocked| unlocked.decrypt_to(&mut opened))
                        .expect("decrypts")
                })
            });
            group.bench_function(id("by-offsets"), |b| {
                b.iter(|| {
                    opened.clear();
                    decryptor(backend, threads)
                        .unlock_file(sealed.as_slice())
                        .and_then(|unlocked| unlocked.decrypt_to(&mut opened))
                        .expect("decrypts")
                })
            });
            group.bench_function(id("buffer"), |b| {
                time_in_place(b, threads, &sealed, sealed.len(), |buffer| {
                    decryptor(backend, threads)
                        .open_buffer(buffer)
                        .expect("decrypts");
                })
            });
        }
    }
    group.finish();
    assert!(opened == plaintext, "the payload round-trips");
}

/// Times `operation` on a buffer (of `capacity`, so that it never grows while timed) refilled
/// with `input` before each pass, untimed: in place, a pass consumes its input.
fn time_in_place(
    b: &mut criterion::Bencher<'_>,
    threads: usize,
    input: &[u8],
    capacity: usize,
    operation: impl FnMut(&mut Vec<u8>),
) {
    time_refilled(
        b,
        threads,
        capacity,
        |buffer| e2eb_benches::copy_into(buffer, input),
        operation,
    )
}

/// Times `operation` on a buffer (of `capacity`, so that it never grows while timed) that
/// `refill` prepares before each pass, untimed, on as many threads as the pass uses
/// (`e2eb_benches::on_threads` says why).
fn time_refilled(
    b: &mut criterion::Bencher<'_>,
    threads: usize,
    capacity: usize,
    refill: impl Fn(&mut Vec<u8>) + Sync,
    mut operation: impl FnMut(&mut Vec<u8>),
) {
    let mut buffer = Vec::with_capacity(capacity);
    b.iter_custom(|passes| {
        let mut timed = Duration::ZERO;
        for _ in 0..passes {
            e2eb_benches::on_threads(threads, || refill(&mut buffer));
            let start = std::time::Instant::now();
            operation(&mut buffer);
            timed += start.elapsed();
        }
        timed
    })
}

fn in_cache(c: &mut Criterion) {
    for (len, label) in [(256 << 10, "256KiB"), (1 << 20, "1MiB")] {
        in_cache_of(c, len, label);
    }
}

fn in_cache_of(c: &mut Criterion, len: usize, label: &str) {
    let plaintext = e2eb_benches::pattern(len);
    let mut sealed = vec![0u8; len / CHUNK_LEN * SEALED_CHUNK_LEN];
    let schedule = PayloadSchedule::derive(SUITE, &[0x42; 32], &[0; SALT_LEN], b"bench")
        .expect("a 32-byte key");
    let mut group = c.benchmark_group(format!("payload-encrypt-{label}-in-cache/{SUITE}"));
    group
        .throughput(Throughput::Bytes(len as u64))
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &backend in Backend::compiled() {
        let aead = backend.cipher(SUITE, &[0x42; 32]);
        group.bench_function(BenchmarkId::new("raw", backend), |b| {
            b.iter(|| {
                for (piece, chunk) in plaintext
                    .chunks(CHUNK_LEN)
                    .zip(sealed.chunks_mut(SEALED_CHUNK_LEN))
                {
                    let (ciphertext, tag) = chunk.split_at_mut(CHUNK_LEN);
                    tag.copy_from_slice(&aead.seal_to(&[0x24; 12], piece, ciphertext));
                }
            })
        });
        let cipher = PayloadCipher::from_schedule(SUITE, backend, &schedule);
        group.bench_function(BenchmarkId::new("chunks", backend), |b| {
            b.iter(|| {
                for (index, (piece, chunk)) in plaintext
                    .chunks(CHUNK_LEN)
                    .zip(sealed.chunks_mut(SEALED_CHUNK_LEN))
                    .enumerate()
                {
                    cipher
                        .seal_chunk_from(index as u64, piece, chunk)
                        .expect("in range");
                }
            })
        });
        group.bench_function(BenchmarkId::new("backup", backend), |b| {
            b.iter(|| {
                encryptor(backend, 1)
                    .encrypt_to_vec(&plaintext)
                    .expect("encrypts")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, in_cache, payload);
criterion_main!(benches);
