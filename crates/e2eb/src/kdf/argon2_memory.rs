//! Argon2id's working memory. Every block is derived from the password, and a single one lets
//! an attacker test a guess for the price of a few BLAKE2b calls instead of a whole derivation,
//! so the blocks are wiped when the derivation ends, whether it succeeded or not (the reference
//! C code does the same; the `argon2` crate leaves this to whoever owns the memory).
//!
//! For a fixed wait, every moment spent on anything but Argon2's fill is security given away.
//! The `argon2` crate takes its memory only as initialised blocks (`&mut [Block]`); its own
//! allocation zeroes it on one thread first (its blocks are 64-byte aligned, which the
//! allocator's lazily zeroed pages do not serve), and a `Vec` of blocks has to be written before
//! the fill can start, a pass over the memory that Argon2 does not need: pass 0 writes every
//! block before it reads it. The reference C code hands the fill memory straight from the
//! allocator, whose pages the kernel zeroes on first touch, inside the parallel fill.
//!
//! On unix e2eb does the same: the blocks live in an anonymous mapping, which the kernel zeroes
//! page by page as the fill first touches it, on the filling threads; with fewer lanes than
//! CPUs, its pages are touched on every CPU before the fill (see `touch_pages`). Viewing that
//! mapping as `[Block]` is the crate's only `unsafe` code, in [`Mapping::blocks`]; the
//! conditions it relies on are checked at compile time where they can be, at allocation where they cannot, and by
//! tests. No safe route exists in `argon2` 0.6: `hash_password_into_with_memory` and
//! `fill_memory` take `impl AsMut<[Block]>`, `Block`'s words are private, it implements neither
//! `bytemuck` nor `zerocopy`'s traits, and `hash_password_into` allocates with `alloc_zeroed`
//! (one thread) and frees the memory unwiped. Should a release take `&mut [MaybeUninit<Block>]`
//! or a byte slice, this module goes back to safe code.
//!
//! Elsewhere (no mapping API) the blocks are a `Vec`, written in parallel before the fill.
//!
//! On Linux the mapping is advised to use transparent huge pages (one page fault where there
//! were 512, and fewer TLB misses in the fill's random reads), except in a virtual machine that
//! hands its free memory back to the host (see `advise_huge_pages` for the figures both ways).
//!
//! Wiping is shared out over the CPUs (one piece per lane, or per CPU where there are more), as
//! is the up-front write of the fallback: neither is Argon2 work, so even one lane gets every
//! CPU for them.

use argon2::Block;
use rayon::prelude::*;
use zeroize::Zeroize;

use crate::error::{Error, Result};

// The mapping's view relies on `Block` being 128 words with no padding (so that any initialised
// bytes are a valid `Block`) and on its alignment dividing the mapping's; a change of `Block` in
// a future `argon2` release stops the build here.
const _: () = assert!(size_of::<Block>() == 1024 && align_of::<Block>() == 64);
const _: () = assert!(size_of::<Block>() == 128 * size_of::<u64>());
/// Mappings start on a page boundary; no unix target has pages under 4 KiB.
#[cfg(unix)]
const MAPPING_ALIGN: usize = 4096;
#[cfg(unix)]
const _: () = assert!(MAPPING_ALIGN.is_multiple_of(align_of::<Block>()));

/// Argon2id's working memory, wiped on every CPU when dropped.
pub(super) struct Argon2Memory {
    storage: Storage,
    piece_len: usize,
}

enum Storage {
    #[cfg(unix)]
    Mapped(Mapping),
    #[cfg_attr(unix, allow(dead_code))]
    Written(Vec<Block>),
}

impl Argon2Memory {
    /// The `params.block_count()` blocks, all zero; [`Error::KdfMemory`] where the memory
    /// cannot be had.
    pub(super) fn allocate(params: &argon2::Params) -> Result<Argon2Memory> {
        let count = params.block_count();
        let piece_len = piece_len(params);
        #[cfg(unix)]
        {
            let mapping = Mapping::new(count).map_err(|_| Error::KdfMemory {
                needed: count as u128 * 1024,
            })?;
            let touch = lanes(params) < rayon::current_num_threads();
            let mut memory = Argon2Memory {
                storage: Storage::Mapped(mapping),
                piece_len,
            };
            if touch {
                memory.touch_pages();
            }
            Ok(memory)
        }
        #[cfg(not(unix))]
        Ok(Argon2Memory {
            storage: Storage::Written(written(count, piece_len)?),
            piece_len,
        })
    }

    /// A fill of fewer lanes than there are CPUs would take every page fault, and the kernel's
    /// zeroing behind it, on those few threads: every page is touched first, one word written,
    /// on every CPU. The kernel's zeroing is still the only pass over the memory before the
    /// fill. m = 256 MiB, t = 2, p = 1 on 2 CPUs, medians of 4 interleaved rounds: 0.36 s
    /// touched first against 0.44 s untouched (the reference C code: 0.38 s).
    #[cfg(unix)]
    fn touch_pages(&mut self) {
        const BLOCKS_PER_PAGE: usize = MAPPING_ALIGN / size_of::<Block>();
        let pages_per_piece = self.piece_len.div_ceil(BLOCKS_PER_PAGE);
        self.blocks()
            .par_chunks_mut(BLOCKS_PER_PAGE)
            .with_min_len(pages_per_piece)
            .for_each(|page| page[0].as_mut()[0] = 0);
    }

    /// The fallback of targets without a mapping, for its tests elsewhere.
    #[cfg(test)]
    pub(super) fn allocate_written(params: &argon2::Params) -> Result<Argon2Memory> {
        let piece_len = piece_len(params);
        let storage = Storage::Written(written(params.block_count(), piece_len)?);
        Ok(Argon2Memory { storage, piece_len })
    }

    /// The blocks, for the `argon2` crate.
    pub(super) fn blocks(&mut self) -> &mut [Block] {
        match &mut self.storage {
            #[cfg(unix)]
            Storage::Mapped(mapping) => mapping.blocks(),
            Storage::Written(blocks) => blocks,
        }
    }

    pub(super) fn wipe(&mut self) {
        let piece_len = self.piece_len;
        self.blocks()
            .par_chunks_mut(piece_len)
            .for_each(|piece| piece.iter_mut().for_each(Zeroize::zeroize));
    }
}

impl Drop for Argon2Memory {
    /// Wipes the blocks; the mapping or the `Vec` is freed after this.
    fn drop(&mut self) {
        self.wipe();
    }
}

/// Blocks per piece of parallel work: one piece per lane, or per CPU where there are more.
fn piece_len(params: &argon2::Params) -> usize {
    let pieces = lanes(params).max(rayon::current_num_threads()).max(1);
    params.block_count().div_ceil(pieces).max(1)
}

fn lanes(params: &argon2::Params) -> usize {
    usize::try_from(params.p_cost()).unwrap_or(1)
}

/// `count` zero blocks in a `Vec`, written in parallel.
#[cfg(any(not(unix), test))]
fn written(count: usize, piece_len: usize) -> Result<Vec<Block>> {
    let mut blocks = Vec::new();
    blocks
        .try_reserve_exact(count)
        .map_err(|_| Error::KdfMemory {
            needed: count as u128 * 1024,
        })?;
    (0..count)
        .into_par_iter()
        .with_min_len(piece_len)
        .map(|_| Block::new())
        .collect_into_vec(&mut blocks);
    Ok(blocks)
}

/// Blocks in an anonymous mapping: untouched until the fill writes them, unmapped when dropped.
#[cfg(unix)]
struct Mapping {
    map: memmap2::MmapMut,
}

#[cfg(unix)]
impl Mapping {
    /// `count` blocks; the error where the size overflows or the kernel refuses the mapping.
    fn new(count: usize) -> std::io::Result<Mapping> {
        let len = count
            .checked_mul(size_of::<Block>())
            .filter(|&len| len > 0 && isize::try_from(len).is_ok())
            .ok_or_else(|| std::io::Error::other("size out of range"))?;
        let map = memmap2::MmapMut::map_anon(len)?;
        // Checked here rather than trusted, so that `blocks` never sees a misaligned mapping.
        if !map.as_ptr().cast::<Block>().is_aligned() || map.len() != len {
            return Err(std::io::Error::other("the mapping is not block-aligned"));
        }
        advise_huge_pages(&map);
        Ok(Mapping { map })
    }

    /// The mapping as blocks.
    #[allow(unsafe_code)]
    fn blocks(&mut self) -> &mut [Block] {
        let bytes: &mut [u8] = &mut self.map;
        let count = bytes.len() / size_of::<Block>();
        // SAFETY: `slice::from_raw_parts_mut` needs, for `count` blocks at `bytes`:
        // - a non-null pointer aligned for `Block`: `bytes` is the start of a mapping, which the
        //   kernel places on a page boundary (`MAPPING_ALIGN`, asserted at compile time to be a
        //   multiple of `Block`'s 64 bytes), and `Mapping::new` returns an error for any
        //   mapping not aligned for `Block`, so none reaches this point;
        // - `count * size_of::<Block>()` bytes within one allocation, at most `isize::MAX`:
        //   `count` is `bytes.len()` rounded down to whole blocks, and `bytes` is one mapping;
        // - memory that is initialised and holds a valid `Block` at every block: `bytes` is an
        //   initialised `[u8]` (an anonymous mapping reads as zeros until written, and is only
        //   ever written through this view), and `Block` is 128 `u64` words with no padding
        //   (asserted above), for which every initialised bit pattern is valid; fresh, it is
        //   all zeros, which is `Block::new()` (tested);
        // - no other access to that memory while the slice lives: the slice reborrows
        //   `&mut self.map` (the same lifetime as `bytes`), the mapping is private to this
        //   `Mapping` (`MAP_PRIVATE | MAP_ANONYMOUS`: no file, no other mapping, and a child
        //   process gets a copy-on-write copy, never this memory), and it is unmapped only when
        //   the `MmapMut` is dropped, which that borrow rules out.
        unsafe { std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<Block>(), count) }
    }
}

/// Asks for transparent huge pages (2 MiB on x86-64), unless a hypervisor takes free memory
/// back. Measured on a 2-vCPU virtual machine (Linux 6.18, THP mode `madvise`, virtio-balloon
/// free page reporting on), m = 256 MiB, t = 2, the reference C code (small pages) alongside:
/// - memory the host still backs (just freed by another derivation, as on a machine with no
///   host): faulting in 256 MiB on both CPUs took 0.015 s with huge pages against 0.09 s with
///   small ones; derivations p=1 0.27 s against 0.36 s (C 0.40 s), p=2 0.15 s at best against
///   0.24 s (C 0.20 s at best);
/// - memory the host has taken back (after a 3 s pause, past the kernel's 2 s reporting
///   delay): faulting in took 0.28-0.33 s with huge pages against 0.07-0.09 s; derivations p=1
///   0.54 s against 0.36 s (C 0.38 s), p=2 0.49-0.54 s against 0.30 s (C 0.21-0.33 s).
///
/// Small pages cost the same either way there, so a time that `e2eb tune` measures in a loop
/// also holds for a user's first unlock; with huge pages a loop saw p=2 take 0.15-0.25 s, and
/// a first derivation after a pause 0.49-0.54 s. Where the mode is `never` (or THP is not built), the advice is declined
/// or ignored and small pages serve, which is why its outcome is not needed.
#[cfg(target_os = "linux")]
fn advise_huge_pages(map: &memmap2::MmapMut) {
    if !host_takes_back_free_memory() {
        let _ = map.advise(memmap2::Advice::HugePage);
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn advise_huge_pages(_: &memmap2::MmapMut) {}

/// Whether a virtio memory balloon has negotiated free page reporting: the guest then reports
/// its free memory to the host, which reclaims it and faults it in again on the next touch.
/// Read once per process from sysfs; unreadable means no.
#[cfg(target_os = "linux")]
fn host_takes_back_free_memory() -> bool {
    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        let Ok(devices) = std::fs::read_dir("/sys/bus/virtio/devices") else {
            return false;
        };
        devices.filter_map(|entry| entry.ok()).any(|device| {
            let read = |name| std::fs::read_to_string(device.path().join(name)).unwrap_or_default();
            is_balloon_reporting_free_pages(&read("device"), &read("features"))
        })
    })
}

/// A virtio device's sysfs `device` (its id, `0x0005` for a memory balloon) and `features`
/// (one `0` or `1` per feature bit, bit 0 first, as negotiated with the driver) say free page
/// reporting when bit 5, `VIRTIO_BALLOON_F_PAGE_REPORTING`, is set on a balloon.
#[cfg(any(target_os = "linux", test))]
fn is_balloon_reporting_free_pages(device: &str, features: &str) -> bool {
    const BALLOON_DEVICE_ID: &str = "0x0005";
    const PAGE_REPORTING_BIT: usize = 5;
    device.trim() == BALLOON_DEVICE_ID
        && features.trim().as_bytes().get(PAGE_REPORTING_BIT) == Some(&b'1')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(memory_kib: u32, lanes: u32) -> argon2::Params {
        argon2::Params::new(memory_kib, 1, lanes, Some(32)).unwrap()
    }

    fn is_zero(blocks: &[Block]) -> bool {
        blocks
            .iter()
            .all(|block| block.as_ref() == Block::new().as_ref())
    }

    #[test]
    fn fresh_memory_reads_as_zero_blocks() {
        for params in [params(8, 1), params(48, 3), params(4096, 4)] {
            for mut memory in [
                Argon2Memory::allocate(&params).unwrap(),
                Argon2Memory::allocate_written(&params).unwrap(),
            ] {
                let blocks = memory.blocks();
                assert_eq!(blocks.len(), params.block_count());
                assert!(is_zero(blocks));
                assert_eq!(Block::default().as_ref(), Block::new().as_ref());
                assert!(blocks.as_ptr().is_aligned());
            }
        }
    }

    #[test]
    fn both_memories_give_the_same_hash_and_are_wiped() {
        let params = params(256, 2);
        let hash = |mut memory: Argon2Memory| {
            let mut out = [0u8; 32];
            argon2::Argon2::new(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                params.clone(),
            )
            .hash_password_into_with_memory(b"password", &[7u8; 32], &mut out, memory.blocks())
            .unwrap();
            assert!(!is_zero(memory.blocks()), "the derivation wrote nothing");
            memory.wipe();
            assert!(is_zero(memory.blocks()));
            out
        };
        let mapped = hash(Argon2Memory::allocate(&params).unwrap());
        assert_eq!(
            mapped,
            hash(Argon2Memory::allocate_written(&params).unwrap())
        );
        #[cfg(unix)]
        {
            let mut touched = Argon2Memory::allocate(&params).unwrap();
            touched.touch_pages();
            assert!(is_zero(touched.blocks()));
            assert_eq!(mapped, hash(touched));
        }
    }

    #[test]
    fn free_page_reporting_is_read_from_a_balloon_s_negotiated_features() {
        // As this crate's measurements' virtual machine shows them, and with bit 5 cleared.
        let reporting = "0110010100000000000000000000000010000000000000000000000000000000";
        let without = "0110000100000000000000000000000010000000000000000000000000000000";
        assert!(is_balloon_reporting_free_pages(
            "0x0005\n",
            &format!("{reporting}\n")
        ));
        assert!(!is_balloon_reporting_free_pages("0x0005\n", without));
        // A network device (id 1) with the same bit set is not a balloon.
        assert!(!is_balloon_reporting_free_pages("0x0001\n", reporting));
        assert!(!is_balloon_reporting_free_pages("0x0005", "01100"));
        assert!(!is_balloon_reporting_free_pages("", ""));
    }

    #[cfg(unix)]
    #[test]
    fn a_mapping_too_large_is_an_error() {
        assert!(Mapping::new(usize::MAX / 512).is_err());
        assert!(Mapping::new(0).is_err());
        // Larger than any address space this runs on, though its size fits an `isize`.
        let error = Mapping::new(isize::MAX as usize / 1024).err();
        assert!(error.is_some());
    }
}
