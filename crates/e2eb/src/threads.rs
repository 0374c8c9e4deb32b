//! How many threads seal or open chunks, and the thread pools they run on.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};

/// How many threads seal or open chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads(usize);

impl Threads {
    /// `count` threads; 0 means one per available CPU.
    pub fn new(count: usize) -> Threads {
        if count == 0 {
            Threads::available()
        } else {
            Threads(count)
        }
    }

    /// One thread per available CPU.
    pub fn available() -> Threads {
        // Asked once per process: the standard library reads the cgroup files on every call,
        // which cost a small backup (every `Encryptor::new` asks) tens of microseconds.
        static AVAILABLE: OnceLock<usize> = OnceLock::new();
        Threads(
            *AVAILABLE.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from)),
        )
    }

    /// The thread count.
    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for Threads {
    fn default() -> Threads {
        Threads::available()
    }
}

/// Chunks (1 MiB) below which one thread does the work: splitting fewer costs more than it
/// saves. Waking pool threads costs tens of microseconds, more on virtual machines, while one
/// thread seals 1 MiB in 0.1-0.2 ms with the fast backends: on a 2-CPU VM, two threads were 1.5-3x
/// slower than one at 128-512 KiB and broke even around 1-2 MiB.
pub(crate) const PARALLEL_THRESHOLD_CHUNKS: usize = 64;

/// The rayon pool of `threads` threads, built on first use and kept for the life of the
/// process (as rayon's global pool is), so that many small backups do not each pay for
/// starting threads.
pub(crate) fn pool(threads: Threads) -> Result<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = pools.get(&threads.get()) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .thread_name(|index| format!("e2eb-chunks-{index}"))
        .build()
        .map_err(|error| Error::Io(io::Error::other(error)))?;
    let pool = Arc::new(pool);
    pools.insert(threads.get(), Arc::clone(&pool));
    Ok(pool)
}

/// Runs `work` on the pool of `threads` threads, telling it so, or inline for one thread or
/// `chunks` too few to share out.
pub(crate) fn on_pool<T: Send>(
    threads: Threads,
    chunks: usize,
    work: impl FnOnce(bool) -> T + Send,
) -> Result<T> {
    if threads.get() <= 1 || chunks < PARALLEL_THRESHOLD_CHUNKS {
        return Ok(work(false));
    }
    Ok(pool(threads)?.install(|| work(true)))
}
