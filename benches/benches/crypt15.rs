//! What the chunked design buys: WhatsApp's crypt15 backup is one AES-256-GCM message over a
//! zlib stream, so it decrypts on one core, tag and inflater in series; e2eb's payload is
//! independent 16 KiB chunks that open in parallel. Both decrypt the same 64 MiB here, from
//! memory into a reused buffer, for two kinds of data:
//!
//! - `sqlite-like`: pages of rows from a small vocabulary, which zlib shrinks several times, as
//!   it does a chat database;
//! - `incompressible`: the fixed pseudo-random pattern of the other benchmarks.
//!
//! Ids (`CONTENT/WHAT`):
//!
//! - `crypt15-zlib`: `e2eb_whatsapp::decrypt` of a msgstore-like backup: one GCM stream, then
//!   inflate, on the calling thread;
//! - `crypt15-stored`: the same with the data stored as it is (the multi-file layout): GCM
//!   without inflate (the reader hashes MD5 in both, to find out whether a trailer is there);
//! - `crypt15-md5-only`: `e2eb_whatsapp::inspect` of the stored backup: the MD5 pass alone, the
//!   part of the cost that the MD5 trailer adds;
//! - `e2eb/BACKEND/THREADS`: `Decryptor::decrypt_to_vec` on 1 and 2 threads, with the RustCrypto
//!   backend (the same AES and GHASH code as crypt15 here) and the build's fastest (`auto`).
//!
//! `cargo bench -p e2eb-benches --bench crypt15`

use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use e2eb::{Backend, Decryptor, Encryptor, RecoveryKey, Secret, Suite, Threads};
use e2eb_whatsapp::{Crypt15Key, EncryptOptions, Payload};

const DATA_LEN: usize = 64 << 20;

/// SQLite-like pages: a page header, then rows of a message table (ids, timestamps, short texts
/// from a small vocabulary), as a chat database holds them.
fn sqlite_like(len: usize) -> Vec<u8> {
    const WORDS: [&str; 16] = [
        "ok",
        "see you",
        "tomorrow",
        "thanks",
        "at 8",
        "haha",
        "where are you",
        "on my way",
        "lunch?",
        "sure",
        "call me",
        "photo",
        "good night",
        "yes",
        "no",
        "love it",
    ];
    const PAGE: usize = 4096;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::with_capacity(len + PAGE);
    let mut row_id = 1u64;
    while out.len() < len {
        let page_start = out.len();
        out.extend_from_slice(&[0x0d, 0, 0, 0, 0x20, 0x0f, 0xc0, 0]);
        while out.len() - page_start < PAGE - 96 {
            let random = next();
            row_id += 1;
            out.extend_from_slice(&row_id.to_be_bytes()[5..]);
            out.extend_from_slice(&(1_650_000_000_000 + row_id * 977).to_be_bytes()[2..]);
            out.push((random % 2) as u8);
            out.extend_from_slice(b"3456789012@s.whatsapp.net");
            for word in 0..(1 + random % 4) {
                out.extend_from_slice(WORDS[((random >> (8 * word)) % 16) as usize].as_bytes());
                out.push(b' ');
            }
        }
        out.resize(page_start + PAGE, 0);
    }
    out.truncate(len);
    out
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .throughput(Throughput::Bytes(DATA_LEN as u64))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

fn crypt15_backup(key: &Crypt15Key, data: &[u8], payload: Payload) -> Vec<u8> {
    let options = EncryptOptions {
        iv: Some([0x24; 16]),
        payload,
        ..EncryptOptions::default()
    };
    e2eb_whatsapp::encrypt_to_vec(key, &options, data).expect("encrypts")
}

fn crypt15(c: &mut Criterion) {
    let crypt15_key = Crypt15Key::from_bytes([0x42; 32]);
    let recovery_key = RecoveryKey::from_bytes([0x42; 32]);
    for (content, data) in [
        ("sqlite-like", sqlite_like(DATA_LEN)),
        ("incompressible", e2eb_benches::pattern(DATA_LEN)),
    ] {
        let zlib = crypt15_backup(&crypt15_key, &data, Payload::Zlib);
        // Stored data passes the payload check as a ZIP archive, as multi-file backups do.
        let mut archive = data.clone();
        archive[..4].copy_from_slice(&e2eb_whatsapp::ZIP_MAGIC);
        let stored = crypt15_backup(&crypt15_key, &archive, Payload::Zip);
        println!(
            "{content}: {} MiB of data, a crypt15 backup of {:.1} MiB (zlib ratio {:.2})",
            DATA_LEN >> 20,
            zlib.len() as f64 / f64::from(1 << 20),
            DATA_LEN as f64 / zlib.len() as f64
        );
        let e2eb_backup = Encryptor::new(Suite::Aes256Gcm)
            .recovery_key(recovery_key.clone())
            .encrypt_to_vec(&data)
            .expect("encrypts");

        let mut output = Vec::with_capacity(DATA_LEN);
        let mut group = c.benchmark_group(format!("crypt15-vs-e2eb-64MiB/{content}"));
        configure(&mut group);
        for (name, backup, expected) in [
            ("crypt15-zlib", &zlib, &data),
            ("crypt15-stored", &stored, &archive),
        ] {
            output.clear();
            e2eb_whatsapp::decrypt(&crypt15_key, &backup[..], &mut output).expect("decrypts");
            assert!(output == *expected, "crypt15 round-trips");
            group.bench_function(name, |b| {
                b.iter(|| {
                    output.clear();
                    e2eb_whatsapp::decrypt(&crypt15_key, &backup[..], &mut output)
                        .expect("decrypts")
                })
            });
        }
        group.bench_function("crypt15-md5-only", |b| {
            b.iter(|| e2eb_whatsapp::inspect(&stored[..]).expect("inspects"))
        });
        for (backend_name, backend) in
            [("rustcrypto", Backend::RustCrypto), ("auto", Backend::Auto)]
        {
            for threads in [1, 2] {
                let decryptor = Decryptor::new(Secret::RecoveryKey(recovery_key.clone()))
                    .threads(Threads::new(threads))
                    .backend(backend);
                let restored = decryptor.decrypt_to_vec(&e2eb_backup).expect("decrypts");
                assert!(restored == data, "e2eb round-trips");
                group.bench_function(
                    BenchmarkId::new(format!("e2eb/{backend_name}"), threads),
                    |b| b.iter(|| decryptor.decrypt_to_vec(&e2eb_backup).expect("decrypts")),
                );
            }
        }
        group.finish();
    }
}

criterion_group!(benches, crypt15);
criterion_main!(benches);
