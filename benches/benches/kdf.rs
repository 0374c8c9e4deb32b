//! Password KDF cost as a user meets it: making a backup with one password slot (the KDF, plus
//! microseconds of header and key wrapping) for a few Argon2id and scrypt settings.
//!
//! `cargo bench -p e2eb-benches --bench kdf`

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use e2eb::{Argon2idParams, Encryptor, KdfParams, Password, ScryptParams, Suite};

fn backup_with_password(kdf: KdfParams) -> Vec<u8> {
    let password = Password::new("correct horse battery staple".into()).expect("non-empty");
    Encryptor::new(Suite::Aes256Gcm)
        .password(password, kdf)
        .encrypt_to_vec(b"")
        .expect("encrypts")
}

fn kdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("kdf");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for passes in 1..=3 {
        let params = Argon2idParams::unvalidated(16 * 1024, passes, 1);
        group.bench_function(BenchmarkId::new("argon2id", params), |b| {
            b.iter(|| backup_with_password(KdfParams::Argon2id(params)))
        });
    }
    for log_n in [14, 15] {
        let params = ScryptParams::unvalidated(log_n, 8, 1);
        group.bench_function(BenchmarkId::new("scrypt", params), |b| {
            b.iter(|| backup_with_password(KdfParams::Scrypt(params)))
        });
    }
    group.finish();
}

criterion_group!(benches, kdf);
criterion_main!(benches);
