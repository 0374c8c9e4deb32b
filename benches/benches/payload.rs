//! The payload layer (c2sp.org/chunked-encryption, 16 KiB chunks, AES-256-GCM) over 256 MiB in
//! memory, on 1 and 2 sealing threads (and every available CPU where there are more), so that
//! one run shows the parallel speedup.
//!
//! `cargo bench -p e2eb-benches --bench payload`

use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use e2eb::payload::{PREFIX_LEN, sealed_len};
use e2eb::{Entropy, Suite, Threads, chunked};

const PLAINTEXT_LEN: usize = 256 << 20;
const KEY: [u8; 32] = [0x42; 32];
const CONTEXT: &[u8] = b"e2eb-benches payload";
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
        .measurement_time(Duration::from_secs(8));
}

fn payload(c: &mut Criterion) {
    let plaintext = e2eb_benches::pattern(PLAINTEXT_LEN);
    // Output buffers are allocated once and reused, so page faults on fresh memory stay out of
    // the figures (the CLI streams to a file; allocation is not what this measures).
    let mut sealed = Vec::with_capacity(PREFIX_LEN + sealed_len(PLAINTEXT_LEN as u64) as usize);
    let mut opened = Vec::with_capacity(PLAINTEXT_LEN);

    let mut group = c.benchmark_group(format!("payload-encrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| {
                sealed.clear();
                chunked::encrypt(
                    SUITE,
                    &KEY,
                    CONTEXT,
                    &mut Entropy::os(),
                    &plaintext[..],
                    &mut sealed,
                    Threads::new(threads),
                )
                .expect("encrypts")
            })
        });
    }
    group.finish();

    sealed.clear();
    chunked::encrypt(
        SUITE,
        &KEY,
        CONTEXT,
        &mut Entropy::os(),
        &plaintext[..],
        &mut sealed,
        Threads::new(1),
    )
    .expect("encrypts");
    let mut group = c.benchmark_group(format!("payload-decrypt-256MiB/{SUITE}"));
    configure(&mut group);
    for threads in thread_counts() {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| {
                opened.clear();
                chunked::decrypt(
                    SUITE,
                    &KEY,
                    CONTEXT,
                    &sealed[..],
                    &mut opened,
                    Threads::new(threads),
                )
                .expect("decrypts")
            })
        });
    }
    group.finish();
    assert!(opened == plaintext, "the payload round-trips");
}

criterion_group!(benches, payload);
criterion_main!(benches);
