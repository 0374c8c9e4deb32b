//! AEAD seal and open throughput per message size for both suites and every backend, through
//! e2eb's `ChunkAead` interface (16 KiB is the payload's chunk size).
//!
//! `cargo bench -p e2eb-benches --bench aead` (add e.g. `-- aws-lc/16384` to pick one).

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use e2eb::{Backend, Suite};

const SIZES: [usize; 5] = [64, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];
const KEY: [u8; 32] = [0x42; 32];
const NONCE: [u8; 12] = [0x24; 12];

fn aead(c: &mut Criterion) {
    for suite in Suite::ALL {
        for direction in ["seal", "open"] {
            let mut group = c.benchmark_group(format!("aead-{direction}/{suite}"));
            group
                .sample_size(30)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(2));
            for size in SIZES {
                group.throughput(Throughput::Bytes(size as u64));
                for &backend in Backend::compiled() {
                    let cipher = backend.cipher(suite, &KEY);
                    let mut buffer = e2eb_benches::pattern(size);
                    let id = BenchmarkId::new(backend.name(), size);
                    if direction == "seal" {
                        group.bench_function(id, |b| {
                            b.iter(|| cipher.seal_in_place(&NONCE, &mut buffer))
                        });
                    } else {
                        // Out of place, so that no copy back into the buffer is timed.
                        let mut ciphertext = buffer.clone();
                        let tag = cipher.seal_in_place(&NONCE, &mut ciphertext);
                        group.bench_function(id, |b| {
                            b.iter(|| {
                                cipher
                                    .open_to(&NONCE, &ciphertext, &tag, &mut buffer)
                                    .expect("the benchmark's own ciphertext authenticates")
                            })
                        });
                    }
                }
            }
            group.finish();
        }
    }
}

criterion_group!(benches, aead);
criterion_main!(benches);
