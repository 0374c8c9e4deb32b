//! Peak memory of a round trip through a file far larger than any buffer: the process's
//! high-water mark must not grow with the backup. Alone in its test binary, so no other test
//! moves the mark.

use std::io::{Read, Write};

use e2eb_whatsapp::{Crypt15Key, EncryptOptions, decrypt, encrypt};

const DATA_LEN: u64 = 128 << 20;
/// Far below the data size: buffers, the inflater's window, the allocator's slack.
const ALLOWED_GROWTH: u64 = 24 << 20;

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `len` bytes of row-like data, made on the fly.
struct Rows {
    left: u64,
    counter: u64,
}

impl Read for Rows {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let len = (out.len() as u64).min(self.left) as usize;
        for byte in &mut out[..len] {
            self.counter = self
                .counter
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1);
            *byte = b"message text, ok "[(self.counter >> 60) as usize];
        }
        self.left -= len as u64;
        Ok(len)
    }
}

struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0 += data.len() as u64;
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_large_backup_round_trips_in_bounded_memory() {
    let Some(before) = peak_rss_bytes() else {
        println!("skipped: no /proc/self/status to read peak memory from");
        return;
    };
    let key = Crypt15Key::from_bytes([7; 32]);
    let options = EncryptOptions {
        compression_level: 1,
        ..EncryptOptions::default()
    };
    let mut file = tempfile::tempfile().unwrap();
    let rows = Rows {
        left: DATA_LEN,
        counter: 1,
    };
    let written = encrypt(&key, &options, rows, std::io::BufWriter::new(&mut file)).unwrap();
    assert_eq!(written.input_len, DATA_LEN);
    std::io::Seek::rewind(&mut file).unwrap();
    let mut counter = Counter(0);
    let summary = decrypt(&key, std::io::BufReader::new(file), &mut counter).unwrap();
    assert_eq!(summary.output_len, DATA_LEN);
    assert_eq!(counter.0, DATA_LEN);
    let after = peak_rss_bytes().unwrap();
    println!(
        "peak RSS {} MiB before, {} MiB after a {} MiB round trip",
        before >> 20,
        after >> 20,
        DATA_LEN >> 20
    );
    assert!(
        after.saturating_sub(before) < ALLOWED_GROWTH,
        "peak memory grew by {} MiB",
        (after - before) >> 20
    );
}
