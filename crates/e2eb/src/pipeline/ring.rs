//! The pipeline on several threads: a ring of run slots that the pool's threads fill, seal or
//! open, and the calling thread drains in order.
//!
//! Each slot holds one run. The pool's threads take runs in order, each into the slot the ring
//! assigns it, once the calling thread has written that slot's previous run out; the calling
//! thread writes runs out in order as they are done. No thread waits for the others at any
//! boundary but a full ring or an unfinished next run, and the slots, a few hundred KiB per
//! thread, stay in the caches between their uses.
//!
//! Waiting costs: a thread put to sleep pays a wake-up that costs tens of microseconds or more
//! on virtual machines, as long as sealing a run. So a thread is woken only when what it waits
//! for may have happened: the calling thread sleeps until a group of runs is done (half the
//! ring) or the payload's end, and the pool's threads sleep only when the ring is full.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::{FIRST_BATCH_CHUNKS, RUN_CHUNKS, Work, lock_spinning, pipeline_stopped};
use crate::batch::Batch;
use crate::error::Result;
use crate::source::ChunkSource;

/// Slots per thread: enough that a thread seldom finds the ring full while the calling thread
/// writes, few enough that the ring stays in the caches.
const SLOTS_PER_THREAD: usize = 4;
/// The fewest slots, so that the calling thread drains groups of several runs on few threads.
const MIN_SLOTS: usize = 16;
const _: () = assert!(MIN_SLOTS * RUN_CHUNKS >= FIRST_BATCH_CHUNKS);

/// Runs the payload's chunks from `first_index` on through the ring on `pool`; `drain_one`
/// writes out one finished run, returning whether it was the last.
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

    fn wait<'a>(&self, states: MutexGuard<'a, States>) -> MutexGuard<'a, States> {
        self.changed
            .wait(states)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_done(&self, states: &States, run: u64) -> bool {
        let state = states.slots[self.slot_of(run)];
        state.run == run && state.done
    }

    /// Tells every waiting thread to stop.
    fn stop(&self) {
        let _states = self.lock_states();
        self.stopped.store(true, Ordering::Relaxed);
        self.changed.notify_all();
    }

    /// Writes the runs out in order through `drain_one` until the last.
    fn drain<S: ChunkSource + Sync + ?Sized>(
        &self,
        work: &Work<'_, S>,
        drain_one: &mut impl FnMut(&mut Batch) -> Result<bool>,
    ) -> Result<()> {
        let group = self.len() / 2;
        let mut run = 0u64;
        loop {
            let done = self.wait_for_group(work, run, group)?;
            for drained in run..run + done {
                let mut guard = self.slots[self.slot_of(drained)]
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let Slot { batch, outcome } = &mut *guard;
                std::mem::replace(outcome, Ok(()))?;
                if drain_one(batch)? {
                    return Ok(());
                }
            }
            let mut states = self.lock_states();
            for drained in run..run + done {
                let slot = self.slot_of(drained);
                states.slots[slot] = SlotState {
                    run: drained + self.len(),
                    done: false,
                };
            }
            if states.fillers_asleep > 0 {
                self.changed.notify_all();
            }
            run += done;
        }
    }

    /// Sleeps until runs `run` to `run + group - 1` are done, or those of them up to the
    /// payload's end once it is known; returns how many runs from `run` on are done.
    fn wait_for_group<S: ChunkSource + Sync + ?Sized>(
        &self,
        work: &Work<'_, S>,
        run: u64,
        group: u64,
    ) -> Result<u64> {
        let mut states = self.lock_states();
        loop {
            if self.stopped.load(Ordering::Relaxed) {
                return Err(pipeline_stopped());
            }
            let mut last = run + group - 1;
            while last > run && work.end.is_before(self.first_index_of(last)) {
                last -= 1;
            }
            // Woken when the last pending run of the group is done: runs finish nearly in order,
            // so that is usually one wake-up per group.
            match (run..=last).rfind(|&pending| !self.is_done(&states, pending)) {
                None => return Ok(last - run + 1),
                Some(pending) => {
                    states.drain_waits_for = Some(pending);
                    states = self.wait(states);
                    states.drain_waits_for = None;
                }
            }
        }
    }
}

impl<S: ChunkSource + Sync + ?Sized> Work<'_, S> {
    /// What each thread of the pool does: takes runs in order, waits for its slot to be free,
    /// reads the run into it and seals or opens it, until the payload's end or a stop.
    fn fill_ring(&self, ring: &Ring) {
        let _stop_if_panicking = StopIfPanicking(ring);
        let mut outcomes: [Result<usize>; RUN_CHUNKS] = std::array::from_fn(|_| Ok(0));
        loop {
            let reading_in_order = S::IN_ORDER.then(|| lock_spinning(&ring.reading_in_order));
            let run = ring.next_run.fetch_add(1, Ordering::Relaxed);
            let first_index = ring.first_index_of(run);
            if ring.stopped.load(Ordering::Relaxed)
                || self.cancelled.load(Ordering::Relaxed)
                || self.end.is_before(first_index)
            {
                return;
            }
            let slot = ring.slot_of(run);
            if !self.wait_until_free(ring, run) {
                return;
            }
            let mut guard = ring.slots[slot]
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let Slot { batch, outcome } = &mut *guard;
            batch.first_index = first_index;
            let read = self.fill(&mut batch.buffer, first_index);
            drop(reading_in_order);
            self.finish_run(&mut batch.buffer, &mut outcomes, first_index, read);
            *outcome = self.settle(batch, &mut outcomes);
            drop(guard);
            let mut states = ring.lock_states();
            states.slots[slot].done = true;
            // Where the payload ends, the calling thread may be waiting for runs past it.
            let ends_here = self.end.is_before(first_index + RUN_CHUNKS as u64);
            if states.drain_waits_for == Some(run) || ends_here {
                ring.changed.notify_all();
            }
        }
    }

    /// Waits until `run`'s slot is free for it; false if the ring stopped first.
    fn wait_until_free(&self, ring: &Ring, run: u64) -> bool {
        let slot = ring.slot_of(run);
        let mut states = ring.lock_states();
        loop {
            if ring.stopped.load(Ordering::Relaxed) {
                return false;
            }
            let state = states.slots[slot];
            if state.run == run && !state.done {
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
