//! The pipeline on several threads: a ring of run slots that the pool's threads and the calling
//! thread fill, seal or open, and that the calling thread drains in order.
//!
//! Each slot holds one run. Threads take runs in order, each into the slot the ring assigns it,
//! once that slot's previous run has been written out. The calling thread writes the runs out in
//! order as they are done and, whenever the next one is not, takes a run itself; the pool has one
//! thread fewer than the call's thread count. A calling thread that only wrote would make one
//! thread more than the CPUs asked for: on two CPUs the three took turns, and AES-GCM with the
//! fast backends lost a fifth of its two-thread speed to that. No thread waits for the others at
//! any boundary but a full ring or an unfinished next run, and the slots, a few hundred KiB per
//! thread, stay in the caches between their uses.
//!
//! Waiting costs: a thread put to sleep pays a wake-up that costs tens of microseconds or more
//! on virtual machines, as long as sealing a run. So a thread sleeps only when it has nothing to
//! do: the calling thread when the run it must write next is another thread's, unfinished, and
//! no slot is free for a run of its own; the pool's threads when the ring is full.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, TryLockError};

use super::{FIRST_BATCH_CHUNKS, RUN_CHUNKS, Work, lock_spinning, pipeline_stopped};
use crate::batch::Batch;
use crate::error::Result;
use crate::source::ChunkSource;

/// Slots per thread: enough that a thread seldom finds the ring full while the calling thread
/// writes, few enough that the ring stays in the caches.
const SLOTS_PER_THREAD: usize = 4;
/// The fewest slots, so that a thread seldom waits for the calling thread on few threads.
const MIN_SLOTS: usize = 16;
const _: () = assert!(MIN_SLOTS * RUN_CHUNKS >= FIRST_BATCH_CHUNKS);
/// Checks a waiting thread makes before it sleeps, a pause apart: about a run's sealing time
/// (tens of microseconds), after which a wake-up costs less than spinning on.
const SPINS_BEFORE_SLEEP: usize = 64;

/// A short wait between two checks of what another thread is doing.
fn pause() {
    for _ in 0..32 {
        std::hint::spin_loop();
    }
}

/// Runs the payload's chunks from `first_index` on through the ring, on the calling thread and
/// on `pool` (which has `threads - 1` threads); `drain_one` writes out one finished run,
/// returning whether it was the last.
pub(super) fn drive<S: ChunkSource + Sync + ?Sized>(
    work: &Work<'_, S>,
    pool: &rayon::ThreadPool,
    threads: usize,
    first_index: u64,
    mut drain_one: impl FnMut(&mut Batch) -> Result<bool>,
) -> Result<()> {
    let ring = Ring::new(threads, first_index);
    pool.in_place_scope(|scope| {
        scope.spawn_broadcast(|_, _| work.fill_ring(&ring));
        let _stop_if_panicking = StopIfPanicking(&ring);
        let drained = ring.drain(work, &mut drain_one);
        if drained.is_err() {
            work.cancelled.store(true, Ordering::Relaxed);
        }
        ring.stop();
        drained
    })
}

/// One slot: its run's chunks, and what sealing or opening them came to.
struct Slot {
    batch: Batch,
    outcome: Result<()>,
}

/// Which run a slot is for, and whether that run is done: free for run `run` when not
/// `done`, holding run `run` finished when `done`.
#[derive(Clone, Copy)]
struct SlotState {
    run: u64,
    done: bool,
}

struct States {
    slots: Vec<SlotState>,
    /// The run the calling thread sleeps until, if it sleeps.
    drain_waits_for: Option<u64>,
    /// Threads of the pool asleep on a full ring.
    fillers_asleep: usize,
}

struct Ring {
    slots: Vec<Mutex<Slot>>,
    states: Mutex<States>,
    changed: Condvar,
    /// The next run to hand out.
    next_run: AtomicU64,
    /// Held while a stream source is read, with the run handed out under it, so that the
    /// stream's bytes land in the runs in order.
    reading_in_order: Mutex<()>,
    /// Set when the calling thread is done with the ring, or a thread of the pool failed.
    stopped: AtomicBool,
    /// The index of run 0's first chunk.
    first_index: u64,
}

impl Ring {
    fn new(threads: usize, first_index: u64) -> Ring {
        let len = (threads * SLOTS_PER_THREAD).max(MIN_SLOTS);
        Ring {
            slots: (0..len)
                .map(|_| {
                    Mutex::new(Slot {
                        batch: Batch::new(RUN_CHUNKS, 0),
                        outcome: Ok(()),
                    })
                })
                .collect(),
            states: Mutex::new(States {
                slots: (0..len as u64)
                    .map(|run| SlotState { run, done: false })
                    .collect(),
                drain_waits_for: None,
                fillers_asleep: 0,
            }),
            changed: Condvar::new(),
            next_run: AtomicU64::new(0),
            reading_in_order: Mutex::new(()),
            stopped: AtomicBool::new(false),
            first_index,
        }
    }

    fn len(&self) -> u64 {
        self.slots.len() as u64
    }

    fn slot_of(&self, run: u64) -> usize {
        (run % self.len()) as usize
    }

    fn first_index_of(&self, run: u64) -> u64 {
        self.first_index + run * RUN_CHUNKS as u64
    }

    fn lock_states(&self) -> MutexGuard<'_, States> {
        // Held for a few instructions at a time: the standard lock's short spin suits it.
        self.states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_slot(&self, run: u64) -> MutexGuard<'_, Slot> {
        self.slots[self.slot_of(run)]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait<'a>(&self, states: MutexGuard<'a, States>) -> MutexGuard<'a, States> {
        self.changed
            .wait(states)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_done(&self, states: &States, run: u64) -> bool {
        let state = states.slots[self.slot_of(run)];
        state.run == run && state.done
    }

    fn is_free_for(&self, states: &States, run: u64) -> bool {
        let state = states.slots[self.slot_of(run)];
        state.run == run && !state.done
    }

    /// Tells every waiting thread to stop.
    fn stop(&self) {
        let _states = self.lock_states();
        self.stopped.store(true, Ordering::Relaxed);
        self.changed.notify_all();
    }

    /// On the calling thread: writes the runs out in order through `drain_one` until the last,
    /// taking runs itself while the next one to write is unfinished.
    fn drain<S: ChunkSource + Sync + ?Sized>(
        &self,
        work: &Work<'_, S>,
        drain_one: &mut impl FnMut(&mut Batch) -> Result<bool>,
    ) -> Result<()> {
        let mut outcomes: [Result<usize>; RUN_CHUNKS] = std::array::from_fn(|_| Ok(0));
        let mut run = 0u64;
        loop {
            let done = self.done_from(run);
            for drained in run..run + done {
                let mut guard = self.lock_slot(drained);
                let Slot { batch, outcome } = &mut *guard;
                std::mem::replace(outcome, Ok(()))?;
                if drain_one(batch)? {
                    return Ok(());
                }
            }
            if done > 0 {
                self.free(run..run + done);
                run += done;
                continue;
            }
            match self.claim_now::<S>(work) {
                Claim::Run(claimed) => work.fill_run(self, claimed, &mut outcomes),
                // Held for one run's read: worth a spin, never a sleep (a wake-up costs more).
                Claim::ReadLockBusy => pause(),
                Claim::NoSlotFree => self.wait_until_done(run)?,
            }
        }
    }

    /// How many runs from `run` on are done, in a row.
    fn done_from(&self, run: u64) -> u64 {
        let states = self.lock_states();
        (run..run + self.len())
            .take_while(|&pending| self.is_done(&states, pending))
            .count() as u64
    }

    /// Frees the slots of the written runs `runs` for the runs a ring's length later.
    fn free(&self, runs: std::ops::Range<u64>) {
        let mut states = self.lock_states();
        for drained in runs {
            states.slots[self.slot_of(drained)] = SlotState {
                run: drained + self.len(),
                done: false,
            };
        }
        if states.fillers_asleep > 0 {
            self.changed.notify_all();
        }
    }

    /// For the calling thread, which must never wait on a slot (only it frees them) nor on the
    /// read lock (a thread holding it may wait on a slot): claims the next run, with the read
    /// lock of a stream held, if its slot is free now.
    fn claim_now<S: ChunkSource + Sync + ?Sized>(&self, work: &Work<'_, S>) -> Claim<'_> {
        let reading_in_order = if S::IN_ORDER {
            match self.reading_in_order.try_lock() {
                Ok(guard) => Some(guard),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => return Claim::ReadLockBusy,
            }
        } else {
            None
        };
        loop {
            let run = self.next_run.load(Ordering::Relaxed);
            if work.end.is_before(self.first_index_of(run))
                || !self.is_free_for(&self.lock_states(), run)
            {
                return Claim::NoSlotFree;
            }
            // A pool thread may take the run first (reading at offsets, not under the read lock).
            if self
                .next_run
                .compare_exchange(run, run + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                return Claim::Run(Claimed {
                    run,
                    reading_in_order,
                });
            }
        }
    }

    /// Waits until run `run` is done: spinning a while first, since the run is usually being
    /// sealed or opened and done within a run's time, then asleep.
    fn wait_until_done(&self, run: u64) -> Result<()> {
        for _ in 0..SPINS_BEFORE_SLEEP {
            if self.is_done(&self.lock_states(), run) {
                return Ok(());
            }
            pause();
        }
        let mut states = self.lock_states();
        loop {
            if self.stopped.load(Ordering::Relaxed) {
                return Err(pipeline_stopped());
            }
            if self.is_done(&states, run) {
                return Ok(());
            }
            states.drain_waits_for = Some(run);
            states = self.wait(states);
            states.drain_waits_for = None;
        }
    }
}

/// What the calling thread's attempt to take a run came to.
enum Claim<'a> {
    Run(Claimed<'a>),
    /// Another thread is reading the stream: the next run is about to be taken.
    ReadLockBusy,
    /// The next run's slot still holds a run to write out, or the payload has ended.
    NoSlotFree,
}

/// A run taken by a thread whose slot is free for it, with the stream's read lock when the
/// source is a stream (released once the run is read).
struct Claimed<'a> {
    run: u64,
    reading_in_order: Option<MutexGuard<'a, ()>>,
}

impl<S: ChunkSource + Sync + ?Sized> Work<'_, S> {
    /// What each thread of the pool does: takes runs in order, waits for its slot to be free,
    /// and fills it, until the payload's end or a stop.
    fn fill_ring(&self, ring: &Ring) {
        let _stop_if_panicking = StopIfPanicking(ring);
        let mut outcomes: [Result<usize>; RUN_CHUNKS] = std::array::from_fn(|_| Ok(0));
        loop {
            let reading_in_order = S::IN_ORDER.then(|| lock_spinning(&ring.reading_in_order));
            let run = ring.next_run.fetch_add(1, Ordering::Relaxed);
            if ring.stopped.load(Ordering::Relaxed)
                || self.cancelled.load(Ordering::Relaxed)
                || self.end.is_before(ring.first_index_of(run))
            {
                return;
            }
            if !self.wait_until_free(ring, run) {
                return;
            }
            let claimed = Claimed {
                run,
                reading_in_order,
            };
            self.fill_run(ring, claimed, &mut outcomes);
        }
    }

    /// Reads a claimed run into its slot, seals or opens it, and marks it done.
    fn fill_run(
        &self,
        ring: &Ring,
        claimed: Claimed<'_>,
        outcomes: &mut [Result<usize>; RUN_CHUNKS],
    ) {
        let Claimed {
            run,
            reading_in_order,
        } = claimed;
        let first_index = ring.first_index_of(run);
        let mut guard = ring.lock_slot(run);
        let Slot { batch, outcome } = &mut *guard;
        batch.first_index = first_index;
        let read = self.fill(&mut batch.buffer, first_index);
        drop(reading_in_order);
        self.finish_run(&mut batch.buffer, outcomes, first_index, read);
        *outcome = self.settle(batch, outcomes);
        drop(guard);
        let mut states = ring.lock_states();
        states.slots[ring.slot_of(run)].done = true;
        if states.drain_waits_for == Some(run) {
            ring.changed.notify_all();
        }
    }

    /// Waits until `run`'s slot is free for it, spinning a while first as the calling thread
    /// does; false if the ring stopped first.
    fn wait_until_free(&self, ring: &Ring, run: u64) -> bool {
        for _ in 0..SPINS_BEFORE_SLEEP {
            if ring.is_free_for(&ring.lock_states(), run) {
                return true;
            }
            pause();
        }
        let mut states = ring.lock_states();
        loop {
            if ring.stopped.load(Ordering::Relaxed) {
                return false;
            }
            if ring.is_free_for(&states, run) {
                return true;
            }
            states.fillers_asleep += 1;
            states = ring.wait(states);
            states.fillers_asleep -= 1;
        }
    }
}

/// Stops the ring if a thread panics (one of the pool's, or the calling thread in the caller's
/// writer), so that no thread waits forever on it; the panic itself reaches the caller through
/// the scope.
struct StopIfPanicking<'a>(&'a Ring);

impl Drop for StopIfPanicking<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}
