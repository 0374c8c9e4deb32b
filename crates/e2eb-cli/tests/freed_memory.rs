//! The CLI zeroes every heap block before it frees it, so scrypt's working memory, which the
//! `scrypt` crate allocates and frees itself, does not stay readable in the process.
//!
//! From any 64-byte block of scrypt's `V`, or from its output `B'`, one password guess costs a
//! PBKDF2 call or a few Salsa20/8 calls instead of a whole derivation. The test opens a backup
//! whose scrypt slot is small enough for `V` to live in the heap rather than in its own mapping,
//! holds the CLI on a full pipe after the derivation, reads the CLI's writable memory through
//! `/proc/PID/mem`, and looks for every block of `V` and `B'`, recomputed here from the password
//! and the slot's salt. Each block is matched as a set of sixteen words, because the crate keeps
//! each block's words in a permuted order on x86 (SSE2). Built with the plain system allocator,
//! the CLI leaves 255 of the 256 blocks of a 16 KiB `V` in its heap, and all 1,024 of a 64 KiB one.
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::process::{Command, Stdio};

use e2eb::{Header, KeySlot};
use hmac::{KeyInit, Mac};

type Block = [u32; 16];

const PASSWORD: &str = "freed-memory probe password";

#[test]
fn scrypt_working_memory_is_not_left_in_the_heap() {
    // N = 2^4 and 2^6 with r = 8: 16 KiB and 64 KiB of V, which glibc serves from the heap. A
    // block at or over its mmap threshold (128 KiB at first) is unmapped when freed, where this
    // test cannot see whether it was zeroed.
    for log_n in [4u8, 6] {
        let scratch = tempfile::tempdir().unwrap();
        let password = scratch.path().join("password");
        std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
        let plaintext: Vec<u8> = (0..4u32 << 20).map(|i| (i * 7 + i / 4093) as u8).collect();
        let input = scratch.path().join("input");
        std::fs::write(&input, &plaintext).unwrap();
        let backup = scratch.path().join("backup.e2eb");
        let e2eb = env!("CARGO_BIN_EXE_e2eb");
        let encrypted = Command::new(e2eb)
            .args(["encrypt", "-q", "--kdf", "scrypt", "--accept-weak-kdf"])
            .arg("--kdf-params")
            .arg(format!("ln={log_n},r=8,p=1"))
            .arg("--password-file")
            .arg(&password)
            .arg("-o")
            .arg(&backup)
            .arg(&input)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(encrypted.status.success(), "{encrypted:?}");

        let bytes = std::fs::read(&backup).unwrap();
        let (header, _) = Header::parse(&bytes).unwrap();
        let KeySlot::Password { salt, .. } = &header.slots()[0] else {
            panic!("the backup's one slot is a password slot");
        };
        let secrets = ScryptBlocks::compute(PASSWORD.as_bytes(), salt, log_n, 8);

        // The first byte on the pipe comes after the derivation; with 4 MiB to write and no
        // reader, the CLI then waits on the full pipe while its memory is read.
        let mut decrypt = Command::new(e2eb)
            .args(["decrypt", "-o", "-", "--password-file"])
            .arg(&password)
            .arg(&backup)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = decrypt.stdout.take().unwrap();
        let mut first = [0u8; 1];
        stdout.read_exact(&mut first).unwrap();

        let scan = scan_writable_memory(decrypt.id(), &secrets);

        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).unwrap();
        let finished = decrypt.wait_with_output().unwrap();
        assert!(finished.status.success(), "{finished:?}");
        assert!(
            first[0] == plaintext[0] && rest == plaintext[1..],
            "the CLI decrypted the backup"
        );

        assert!(
            scan.heap_bytes > 0,
            "the CLI's heap was read (ln={log_n}): {} bytes in all",
            scan.bytes
        );
        assert_eq!(
            scan.found,
            0,
            "blocks of scrypt's V or B' (ln={log_n}, {} in all) left in the CLI's writable \
             memory, the first at {:x?}",
            secrets.blocks.len(),
            scan.first_addresses
        );
    }
}

/// What was read of a process's writable memory, and where secret blocks were found in it.
struct Scan {
    bytes: u64,
    heap_bytes: u64,
    /// How many blocks were found, and where the first few were.
    found: usize,
    first_addresses: Vec<u64>,
}

fn scan_writable_memory(pid: u32, secrets: &ScryptBlocks) -> Scan {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let memory = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut scan = Scan {
        bytes: 0,
        heap_bytes: 0,
        found: 0,
        first_addresses: Vec::new(),
    };
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (range, permissions) = (fields.next().unwrap(), fields.next().unwrap());
        if !permissions.starts_with("rw") {
            continue;
        }
        let is_heap = line.ends_with("[heap]");
        let (start, end) = range.split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let mut region = vec![0u8; (end - start) as usize];
        // A region the kernel will not show (a guard page, say) is skipped; the heap must read.
        let Ok(read) = memory.read_at(&mut region, start) else {
            assert!(!is_heap, "cannot read the CLI's heap");
            continue;
        };
        scan.bytes += read as u64;
        if is_heap {
            scan.heap_bytes += read as u64;
        }
        // Blocks start 16-byte aligned (the allocator's alignment plus multiples of 64).
        for offset in (0..read.saturating_sub(63)).step_by(16) {
            let word = |i: usize| {
                let at = offset + 4 * i;
                u32::from_le_bytes(region[at..at + 4].try_into().unwrap())
            };
            if !secrets.words.contains(&word(0)) {
                continue;
            }
            let mut block: Block = std::array::from_fn(word);
            block.sort_unstable();
            if secrets.blocks.contains(&block) {
                scan.found += 1;
                if scan.first_addresses.len() < 4 {
                    scan.first_addresses.push(start + offset as u64);
                }
            }
        }
    }
    scan
}

/// Every 64-byte block of scrypt's `V` and of its ROMix output `B'` (RFC 7914) for one lane,
/// each as its sorted words, and every word they hold.
struct ScryptBlocks {
    blocks: HashSet<Block>,
    words: HashSet<u32>,
}

impl ScryptBlocks {
    fn compute(password: &[u8], salt: &[u8], log_n: u8, r: usize) -> ScryptBlocks {
        let n = 1usize << log_n;
        let b = pbkdf2_sha256_one_pass(password, salt, 128 * r);
        let mut x: Vec<Block> = b
            .chunks_exact(64)
            .map(|block| {
                std::array::from_fn(|i| {
                    u32::from_le_bytes(block[4 * i..4 * i + 4].try_into().unwrap())
                })
            })
            .collect();
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(x.clone());
            x = block_mix(&x);
        }
        for _ in 0..n {
            let j = x[x.len() - 1][0] as usize & (n - 1);
            let mixed: Vec<Block> = x
                .iter()
                .zip(&v[j])
                .map(|(a, b)| std::array::from_fn(|i| a[i] ^ b[i]))
                .collect();
            x = block_mix(&mixed);
        }
        assert_eq!(
            pbkdf2_sha256_one_pass(password, &to_bytes(&x), 32),
            scrypt_reference(password, salt, log_n, r),
            "this test's scrypt agrees with the scrypt crate"
        );
        let mut blocks = HashSet::new();
        let mut words = HashSet::new();
        for block in v.iter().flatten().chain(&x) {
            words.extend(block.iter().copied());
            let mut sorted = *block;
            sorted.sort_unstable();
            blocks.insert(sorted);
        }
        ScryptBlocks { blocks, words }
    }
}

fn scrypt_reference(password: &[u8], salt: &[u8], log_n: u8, r: usize) -> Vec<u8> {
    let params = scrypt::Params::new(log_n, r as u32, 1).unwrap();
    let mut key = vec![0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key).unwrap();
    key
}

fn to_bytes(blocks: &[Block]) -> Vec<u8> {
    blocks
        .iter()
        .flatten()
        .flat_map(|word| word.to_le_bytes())
        .collect()
}

fn pbkdf2_sha256_one_pass(password: &[u8], salt: &[u8], length: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(length);
    for index in 1u32.. {
        if out.len() >= length {
            break;
        }
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(password).unwrap();
        mac.update(salt);
        mac.update(&index.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
    }
    out.truncate(length);
    out
}

/// BlockMix with Salsa20/8 (RFC 7914, section 4): even outputs first, then odd.
fn block_mix(input: &[Block]) -> Vec<Block> {
    let mut x = input[input.len() - 1];
    let mut outputs = Vec::with_capacity(input.len());
    for block in input {
        let mixed: Block = std::array::from_fn(|i| x[i] ^ block[i]);
        x = salsa20_8(&mixed);
        outputs.push(x);
    }
    let (even, odd): (Vec<_>, Vec<_>) = outputs.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    even.into_iter()
        .chain(odd)
        .map(|(_, block)| *block)
        .collect()
}

fn salsa20_8(input: &Block) -> Block {
    let mut x = *input;
    let quarter = |x: &mut Block, a: usize, b: usize, c: usize, d: usize| {
        x[b] ^= x[a].wrapping_add(x[d]).rotate_left(7);
        x[c] ^= x[b].wrapping_add(x[a]).rotate_left(9);
        x[d] ^= x[c].wrapping_add(x[b]).rotate_left(13);
        x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
    };
    for _ in 0..4 {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 5, 9, 13, 1);
        quarter(&mut x, 10, 14, 2, 6);
        quarter(&mut x, 15, 3, 7, 11);
        quarter(&mut x, 0, 1, 2, 3);
        quarter(&mut x, 5, 6, 7, 4);
        quarter(&mut x, 10, 11, 8, 9);
        quarter(&mut x, 15, 12, 13, 14);
    }
    std::array::from_fn(|i| x[i].wrapping_add(input[i]))
}
