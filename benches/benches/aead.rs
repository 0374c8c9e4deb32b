//! AEAD seal throughput per message size for both suites, through e2eb's `ChunkAead` interface
//! (16 KiB is the payload's chunk size).
//!
//! `cargo bench -p e2eb-benches --bench aead`

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use e2eb::Suite;

const SIZES: [usize; 5] = [64, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];
const KEY: [u8; 32] = [0x42; 32];
const NONCE: [u8; 12] = [0x24; 12];

fn aead(c: &mut Criterion) {
    for suite in Suite::ALL {
        let cipher = suite.cipher(&KEY);
        let mut group = c.benchmark_group(format!("aead-seal/{suite}"));
        group
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for size in SIZES {
            let mut buffer = e2eb_benches::pattern(size);
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_function(BenchmarkId::from_parameter(size), |b| {
                b.iter(|| cipher.seal_in_place(&NONCE, &mut buffer))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, aead);
criterion_main!(benches);
