//! How long refusing a hostile header takes: KDF parameters far above the caps (Argon2id
//! m = 4 TiB, t = 2^32-1; scrypt log2 N = 63, r·p near overflow) and slot lengths pointing past
//! the input must be refused before any KDF work or allocation, in well under 10 ms.
//!
//! `cargo bench -p e2eb-benches --bench hostile`

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use e2eb::hazmat::Entropy;
use e2eb::slot::SealedFileKey;
use e2eb::{
    Argon2idParams, Decryptor, Header, KdfCaps, KdfParams, KeySlot, Password, ScryptParams, Secret,
    Suite, Threads,
};

fn backup_with(slot: KeySlot) -> Vec<u8> {
    let header = Header::from_slots(Suite::Aes256Gcm, vec![slot]);
    let payload = e2eb::hazmat::chunked::encrypt_to_vec(
        Suite::Aes256Gcm,
        &[7; 32],
        header.as_bytes(),
        &mut Entropy::fixed(vec![9; 24]),
        b"hostile",
        Threads::new(1),
    )
    .expect("encrypts");
    [header.as_bytes(), &payload].concat()
}

fn password_slot(kdf: KdfParams) -> KeySlot {
    KeySlot::Password {
        kdf,
        salt: vec![1; 32],
        sealed: SealedFileKey {
            key_check: [0; 32],
            wrapped: [0; 48],
        },
    }
}

fn hostile(c: &mut Criterion) {
    let argon = |memory_kib, passes, lanes| {
        KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, passes, lanes))
    };
    let scrypt = |log_n, r, p| KdfParams::Scrypt(ScryptParams::unvalidated(log_n, r, p));
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "argon2id-m-4TiB",
            backup_with(password_slot(argon(u32::MAX, 1, 1))),
        ),
        (
            "argon2id-t-2^32-1",
            backup_with(password_slot(argon(64, u32::MAX, 1))),
        ),
        (
            "scrypt-logN-63",
            backup_with(password_slot(scrypt(63, 8, 1))),
        ),
        (
            "scrypt-r-p-2^30-1",
            backup_with(password_slot(scrypt(20, (1 << 15) - 1, 1 << 15))),
        ),
    ];
    // A slot whose length points far past the end of the input.
    let mut overlong = cases[0].1[..40].to_vec();
    overlong[12..14].copy_from_slice(&4096u16.to_be_bytes());
    cases.push(("slot-length-past-the-end", overlong));

    let caps = KdfCaps::default();
    let mut group = c.benchmark_group("refuse-hostile-header");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, backup) in &cases {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let secret = Secret::Password(Password::new("guess".into()).expect("non-empty"));
                let refused = Decryptor::new(secret)
                    .caps(caps)
                    .threads(Threads::new(1))
                    .decrypt_to_vec(backup);
                assert!(refused.is_err(), "{name} must be refused");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);
