//! A backup's payload (c2sp.org/chunked-encryption, 16 KiB chunks, AES-256-GCM) over 256 MiB in
//! memory, with every AEAD backend of the build, on 1 and 2 sealing threads (and every available
//! CPU where there are more), so that one run shows the backends side by side and the parallel
//! speedup. Three ways in (ids `MODE/BACKEND/THREADS`):
//!
//! - `in-memory`: `Encryptor::encrypt_into` / `Decryptor::decrypt_into` into a reused buffer:
//!   each chunk is copied into place and sealed by one task (the payload encryption proper);
//! - `in-memory-fresh`: `encrypt_to_vec` / `decrypt_to_vec`, a new 256 MiB buffer each time, so
//!   the kernel's page faults on fresh memory are in the figure (`auto` backend only);
//! - `stream`: `encrypt_stream` / `decrypt_stream` from a byte slice into a reused `Vec`: the
//!   batched pipeline for any reader, with its two copies on the calling thread;
//! - `by-offsets` (encryption): `encrypt_file` from a byte slice into a reused `Vec`: the path
//!   the CLI takes for a named file, where the pool threads read the chunks they seal.
//!
//! `cargo bench -p e2eb-benches --bench payload` (add e.g. `-- in-memory/ring` to pick some)

use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
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
    let mut sealed = Vec::new();
    encryptor(Backend::RustCrypto, 1)
        .encrypt_into(&plaintext, &mut sealed)
        .expect("encrypts");
    let mut opened = Vec::new();
    decryptor(Backend::RustCrypto, 1)
        .decrypt_into(&sealed, &mut opened)
        .expect("decrypts");
    assert!(opened == plaintext, "the payload round-trips");
    let mut scratch = sealed.clone();
    let backends = Backend::compiled();

    let mut group = c.benchmark_group(format!("payload-encrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        for &backend in backends {
            let id = |mode: &str| BenchmarkId::new(format!("{mode}/{backend}"), threads);
            group.bench_function(id("in-memory"), |b| {
                b.iter(|| {
                    encryptor(backend, threads)
                        .encrypt_into(&plaintext, &mut scratch)
                        .expect("encrypts")
                })
            });
            group.bench_function(id("stream"), |b| {
                b.iter(|| {
                    scratch.clear();
                    encryptor(backend, threads)
                        .encrypt_stream(&plaintext[..], &mut scratch)
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
        }
        group.bench_function(BenchmarkId::new("in-memory-fresh/auto", threads), |b| {
            b.iter(|| {
                encryptor(Backend::Auto, threads)
                    .encrypt_to_vec(&plaintext)
                    .expect("encrypts")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("payload-decrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        for &backend in backends {
            let id = |mode: &str| BenchmarkId::new(format!("{mode}/{backend}"), threads);
            group.bench_function(id("in-memory"), |b| {
                b.iter(|| {
                    decryptor(backend, threads)
                        .decrypt_into(&sealed, &mut opened)
                        .expect("decrypts")
                })
            });
            group.bench_function(id("stream"), |b| {
                b.iter(|| {
                    opened.clear();
                    decryptor(backend, threads)
                        .decrypt_stream(&sealed[..], &mut opened)
                        .expect("decrypts")
                })
            });
        }
        group.bench_function(BenchmarkId::new("in-memory-fresh/auto", threads), |b| {
            b.iter(|| {
                decryptor(Backend::Auto, threads)
                    .decrypt_to_vec(&sealed)
                    .expect("decrypts")
            })
        });
    }
    group.finish();
    assert!(opened == plaintext, "the payload round-trips");
}

criterion_group!(benches, payload);
criterion_main!(benches);
