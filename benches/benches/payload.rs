//! A backup's payload (c2sp.org/chunked-encryption, 16 KiB chunks, AES-256-GCM) over 256 MiB in
//! memory, on 1 and 2 sealing threads (and every available CPU where there are more), so that
//! one run shows the parallel speedup. Three ways in:
//!
//! - `in-memory`: `Encryptor::encrypt_into` / `Decryptor::decrypt_into` into a reused buffer:
//!   each chunk is copied into place and sealed by one task (the payload encryption proper);
//! - `in-memory-fresh`: `encrypt_to_vec` / `decrypt_to_vec`, a new 256 MiB buffer each time, so
//!   the kernel's page faults on fresh memory are in the figure;
//! - `stream`: `encrypt_stream` / `decrypt_stream` from a byte slice into a reused `Vec`: the
//!   batched pipeline the CLI uses, with its two copies on the calling thread.
//!
//! `cargo bench -p e2eb-benches --bench payload`

use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use e2eb::{Decryptor, Encryptor, RecoveryKey, Secret, Suite, Threads};

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
    // One pass over 256 MiB takes a tenth of a second or more: a few passes per sample and ten
    // samples keep each benchmark within seconds while still giving criterion a spread.
    group
        .throughput(Throughput::Bytes(PLAINTEXT_LEN as u64))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
}

fn key() -> RecoveryKey {
    RecoveryKey::from_bytes([0x42; 32])
}

fn encryptor(threads: usize) -> Encryptor {
    // A recovery-key slot costs one HKDF: the header is noise next to 256 MiB.
    Encryptor::new(SUITE)
        .recovery_key(key())
        .threads(Threads::new(threads))
}

fn decryptor(threads: usize) -> Decryptor {
    Decryptor::new(Secret::RecoveryKey(key())).threads(Threads::new(threads))
}

fn payload(c: &mut Criterion) {
    let plaintext = e2eb_benches::pattern(PLAINTEXT_LEN);
    let mut sealed = Vec::new();
    encryptor(1)
        .encrypt_into(&plaintext, &mut sealed)
        .expect("encrypts");
    let mut opened = Vec::new();
    decryptor(1)
        .decrypt_into(&sealed, &mut opened)
        .expect("decrypts");
    assert!(opened == plaintext, "the payload round-trips");
    let mut scratch = sealed.clone();

    let mut group = c.benchmark_group(format!("payload-encrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        group.bench_function(BenchmarkId::new("in-memory", threads), |b| {
            b.iter(|| {
                encryptor(threads)
                    .encrypt_into(&plaintext, &mut scratch)
                    .expect("encrypts")
            })
        });
        group.bench_function(BenchmarkId::new("in-memory-fresh", threads), |b| {
            b.iter(|| {
                encryptor(threads)
                    .encrypt_to_vec(&plaintext)
                    .expect("encrypts")
            })
        });
        group.bench_function(BenchmarkId::new("stream", threads), |b| {
            b.iter(|| {
                scratch.clear();
                encryptor(threads)
                    .encrypt_stream(&plaintext[..], &mut scratch)
                    .expect("encrypts")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("payload-decrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        group.bench_function(BenchmarkId::new("in-memory", threads), |b| {
            b.iter(|| {
                decryptor(threads)
                    .decrypt_into(&sealed, &mut opened)
                    .expect("decrypts")
            })
        });
        group.bench_function(BenchmarkId::new("in-memory-fresh", threads), |b| {
            b.iter(|| {
                decryptor(threads)
                    .decrypt_to_vec(&sealed)
                    .expect("decrypts")
            })
        });
        group.bench_function(BenchmarkId::new("stream", threads), |b| {
            b.iter(|| {
                opened.clear();
                decryptor(threads)
                    .decrypt_stream(&sealed[..], &mut opened)
                    .expect("decrypts")
            })
        });
    }
    group.finish();
    assert!(opened == plaintext, "the payload round-trips");
}

criterion_group!(benches, payload);
criterion_main!(benches);
