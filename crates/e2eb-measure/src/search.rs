//! The search for the setting that takes a target time: memory first, then iterations.
//!
//! Like cryptsetup's PBKDF calibration and RFC 9106's advice, memory is what the search gives
//! up last: it starts at the memory cap with one iteration; if that is already too slow it
//! shrinks the memory; if it is too fast it adds iterations at the cap until one more would
//! overshoot, then shrinks the memory at that iteration count to land on the target. More
//! memory at equal time costs a GPU attacker more (see [`crate::attacker`]).
//!
//! The search is generic over the cost function, `FnMut(&KdfParams) -> Result<f64, String>`:
//! a timer on this machine (`e2eb tune`), a cost model of another device's benchmark grid
//! (`cargo xtask tune`), or a synthetic function in tests.

use std::collections::HashMap;

use e2eb::KdfParams;

use crate::family::{Family, MIN_MEMORY_BYTES, iterations_of, memory_of};

/// A landing counts when the time is within these fractions of the target.
pub const WINDOW: (f64, f64) = (0.95, 1.10);

/// Trials a search makes at most. Each one costs about the target time on a real machine.
pub const DEFAULT_MAX_TRIALS: usize = 16;

/// What to search for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchSpec {
    /// The KDF and the parameters held fixed.
    pub family: Family,
    /// Wall time one derivation should take.
    pub target_seconds: f64,
    /// The most memory a setting may use.
    pub memory_cap_bytes: u64,
    /// The most settings to try.
    pub max_trials: usize,
    /// The search stops at a time within these fractions of the target: [`WINDOW`], or
    /// narrower where trials are free (a model's predictions).
    pub window: (f64, f64),
}

impl SearchSpec {
    /// A search within [`WINDOW`] and at most [`DEFAULT_MAX_TRIALS`] trials.
    pub fn new(family: Family, target_seconds: f64, memory_cap_bytes: u64) -> SearchSpec {
        SearchSpec {
            family,
            target_seconds,
            memory_cap_bytes,
            max_trials: DEFAULT_MAX_TRIALS,
            window: WINDOW,
        }
    }
}

/// One setting the search tried, and its time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    pub params: KdfParams,
    pub seconds: f64,
}

/// How the search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Landing {
    /// Within the search's window of the target.
    OnTarget,
    /// Even the smallest setting (1 MiB, one iteration) takes longer than the target.
    TooSlowAtMinimum,
    /// Even the memory cap with the most iterations the decrypt caps allow is faster than the
    /// target.
    TooFastAtCaps,
    /// The memory steps or the trial budget ran out before the window was hit; the closest
    /// setting tried is returned.
    Closest,
}

/// The setting the search settled on.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub params: KdfParams,
    /// Its time as the cost function gave it.
    pub seconds: f64,
    pub landing: Landing,
    /// Every setting tried, in order.
    pub trials: Vec<Trial>,
}

/// Finds the setting of `spec.family` that takes `spec.target_seconds` by `seconds_of`.
///
/// Errors: a target or memory cap that makes no sense, or a cost function that fails or returns
/// something other than a positive, finite number of seconds.
pub fn search<F>(spec: &SearchSpec, seconds_of: F) -> Result<Outcome, String>
where
    F: FnMut(&KdfParams) -> Result<f64, String>,
{
    search_seeded(spec, &[], seconds_of)
}

/// [`search`], starting from times already known: a setting among `known` is not measured
/// again, and `known` does not count against `spec.max_trials`. A search whose result, timed
/// again, missed the window is seeded with its trials and the new time, and continues from
/// there.
pub fn search_seeded<F>(
    spec: &SearchSpec,
    known: &[Trial],
    seconds_of: F,
) -> Result<Outcome, String>
where
    F: FnMut(&KdfParams) -> Result<f64, String>,
{
    if !(spec.target_seconds.is_finite() && spec.target_seconds > 0.0) {
        return Err(format!(
            "the target time must be a positive number of seconds, not {}",
            spec.target_seconds
        ));
    }
    let (low, high) = spec.window;
    if !(low.is_finite() && high.is_finite() && 0.0 < low && low <= 1.0 && 1.0 <= high) {
        return Err(format!(
            "the window {low}–{high} around the target must contain it"
        ));
    }
    if spec.memory_cap_bytes < MIN_MEMORY_BYTES {
        return Err(format!(
            "the memory cap of {} bytes is below the smallest setting, 1 MiB",
            spec.memory_cap_bytes
        ));
    }
    let mut searcher = Searcher {
        spec,
        seconds_of,
        trials: known.to_vec(),
        measured: 0,
        known: known
            .iter()
            .map(|trial| (trial.params, trial.seconds))
            .collect(),
        low: spec.target_seconds * low,
        high: spec.target_seconds * high,
    };
    match searcher.run() {
        Ok(outcome) => Ok(outcome),
        Err(Stop::Failed(message)) => Err(message),
        Err(Stop::OutOfTrials) => Ok(searcher.closest(Landing::Closest)),
    }
}

enum Stop {
    Failed(String),
    OutOfTrials,
}

struct Searcher<'a, F> {
    spec: &'a SearchSpec,
    seconds_of: F,
    trials: Vec<Trial>,
    /// Settings measured by this search (not seeded).
    measured: usize,
    known: HashMap<KdfParams, f64>,
    low: f64,
    high: f64,
}

/// A measured point at one iteration count: `(memory bytes, seconds)`.
type Point = (u64, f64);

impl<F> Searcher<'_, F>
where
    F: FnMut(&KdfParams) -> Result<f64, String>,
{
    fn run(&mut self) -> Result<Outcome, Stop> {
        let family = self.spec.family;
        let cap = family.representable_memory(self.spec.memory_cap_bytes);
        let first = self.time(cap, 1)?;
        if first > self.high {
            return self.shrink_memory(1, (cap, first));
        }
        if first >= self.low {
            return Ok(self.done(cap, 1, first, Landing::OnTarget));
        }
        // Too fast at the cap: bracket the fewest iterations that reach the window's floor.
        let mut fast: (u32, f64) = (1, first);
        let mut slow: Option<(u32, f64)> = None;
        let max = family.max_iterations();
        loop {
            if let Some((iterations, seconds)) = slow
                && iterations == fast.0 + 1
            {
                if seconds <= self.high {
                    return Ok(self.done(cap, iterations, seconds, Landing::OnTarget));
                }
                return self.shrink_memory(iterations, (cap, seconds));
            }
            if slow.is_none() && fast.0 == max {
                return Ok(self.done(cap, max, fast.1, Landing::TooFastAtCaps));
            }
            let next = self.next_iterations(fast, slow, max);
            let seconds = self.time(cap, next)?;
            if seconds < self.low {
                fast = (next, seconds);
            } else {
                slow = Some((next, seconds));
            }
        }
    }

    /// The iteration count to try next, strictly between the bracket's ends: where a line
    /// through the measured ends (or, with one end, a line through the origin, which a fixed
    /// cost per derivation only makes an underestimate) reaches the window's floor.
    fn next_iterations(&self, fast: (u32, f64), slow: Option<(u32, f64)>, max: u32) -> u32 {
        let aim = self.low.max(self.spec.target_seconds * 0.97);
        let estimate = match slow {
            Some((slow_iterations, slow_seconds)) if slow_seconds > fast.1 => {
                let per_iteration = (slow_seconds - fast.1) / f64::from(slow_iterations - fast.0);
                f64::from(fast.0) + (aim - fast.1) / per_iteration
            }
            _ => f64::from(fast.0) * aim / fast.1,
        };
        let upper = slow.map_or(max, |(iterations, _)| iterations - 1);
        let estimate = if estimate.is_finite() {
            estimate.ceil().clamp(1.0, f64::from(max)) as u32
        } else {
            upper
        };
        // max then min rather than clamp: the bracket guarantees fast + 1 <= upper, and this
        // cannot panic if it ever did not.
        estimate.max(fast.0 + 1).min(upper)
    }

    /// At `iterations`, finds the memory below `too_slow` whose time lands in the window:
    /// a secant in log memory against log time between the bracket's ends (time grows about
    /// in proportion to memory), bisecting in log memory when the secant leaves the bracket.
    fn shrink_memory(&mut self, iterations: u32, too_slow: Point) -> Result<Outcome, Stop> {
        let family = self.spec.family;
        let floor = family.representable_memory(MIN_MEMORY_BYTES);
        let target = self.spec.target_seconds;
        let mut upper = too_slow;
        let mut lower: Option<Point> = None;
        loop {
            if upper.0 <= floor {
                return Ok(self.done(upper.0, iterations, upper.1, Landing::TooSlowAtMinimum));
            }
            let guess = match lower {
                Some(lower) => {
                    let slope = ((upper.1 / lower.1).ln() / (upper.0 as f64 / lower.0 as f64).ln())
                        .clamp(0.25, 4.0);
                    let secant = lower.0 as f64 * ((target / lower.1).ln() / slope).exp();
                    let inside = secant > lower.0 as f64 && secant < upper.0 as f64;
                    if secant.is_finite() && inside {
                        secant
                    } else {
                        (lower.0 as f64 * upper.0 as f64).sqrt()
                    }
                }
                None => upper.0 as f64 * target / upper.1,
            };
            // The representable memories either side of the guess, nearer one first; the
            // first strictly inside the bracket is tried.
            let guess = guess.max(floor as f64);
            let below = family.representable_memory(guess as u64);
            let above = family.next_memory_above(guess as u64);
            let inside =
                |memory: u64| memory < upper.0 && lower.is_none_or(|lower| memory > lower.0);
            let (near, far) = if guess / below as f64 <= above as f64 / guess {
                (below, above)
            } else {
                (above, below)
            };
            let Some(memory) = [near, far].into_iter().find(|&memory| inside(memory)) else {
                // No representable memory between the bracket's ends.
                return Ok(self.closest(Landing::Closest));
            };
            let seconds = self.time(memory, iterations)?;
            if seconds > self.high {
                upper = (memory, seconds);
            } else if seconds >= self.low {
                return Ok(self.done(memory, iterations, seconds, Landing::OnTarget));
            } else {
                lower = Some((memory, seconds));
            }
        }
    }

    /// The time of the setting for `memory` and `iterations`, measured once per setting.
    fn time(&mut self, memory: u64, iterations: u32) -> Result<f64, Stop> {
        let params = self.spec.family.params(memory, iterations);
        if let Some(&seconds) = self.known.get(&params) {
            return Ok(seconds);
        }
        if self.measured >= self.spec.max_trials.max(1) {
            return Err(Stop::OutOfTrials);
        }
        self.measured += 1;
        let seconds = (self.seconds_of)(&params).map_err(Stop::Failed)?;
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(Stop::Failed(format!(
                "timing {params} gave {seconds} s, not a positive number of seconds"
            )));
        }
        self.known.insert(params, seconds);
        self.trials.push(Trial { params, seconds });
        Ok(seconds)
    }

    fn done(&self, memory: u64, iterations: u32, seconds: f64, landing: Landing) -> Outcome {
        Outcome {
            params: self.spec.family.params(memory, iterations),
            seconds,
            landing,
            trials: self.trials.clone(),
        }
    }

    /// The trial closest to the target in ratio, preferring one within the window; among
    /// those, the one with the most memory.
    fn closest(&self, landing: Landing) -> Outcome {
        let target = self.spec.target_seconds;
        let distance = |trial: &Trial| (trial.seconds / target).ln().abs();
        let on_target = |trial: &Trial| trial.seconds >= self.low && trial.seconds <= self.high;
        let best = self
            .trials
            .iter()
            .filter(|trial| on_target(trial))
            .max_by_key(|trial| (memory_of(&trial.params), iterations_of(&trial.params)))
            .or_else(|| {
                self.trials
                    .iter()
                    .min_by(|a, b| distance(a).total_cmp(&distance(b)))
            });
        match best {
            Some(trial) => Outcome {
                params: trial.params,
                seconds: trial.seconds,
                landing: if on_target(trial) {
                    Landing::OnTarget
                } else {
                    landing
                },
                trials: self.trials.clone(),
            },
            // `time` records a trial before any search step can end, so this is unreachable
            // in practice; an answer that says nothing was tried is still truthful.
            None => Outcome {
                params: self.spec.family.params(MIN_MEMORY_BYTES, 1),
                seconds: f64::NAN,
                landing,
                trials: Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::lanes_of;

    const MIB: f64 = (1u64 << 20) as f64;

    fn spec(family: Family, target_seconds: f64, cap_mib: u64) -> SearchSpec {
        SearchSpec::new(family, target_seconds, cap_mib << 20)
    }

    /// A VM-like Argon2id: page faults on fresh memory (0.4 ms/MiB, once), and passes whose
    /// cost per MiB grows with memory as it outgrows caches, spread over lanes.
    fn vm_like(params: &KdfParams) -> Result<f64, String> {
        let mib = memory_of(params) as f64 / MIB;
        let passes = f64::from(iterations_of(params));
        let lanes = f64::from(lanes_of(params));
        Ok(mib * (0.4e-3 + 0.3e-3 * mib.powf(0.15) * passes / lanes.powf(0.8)))
    }

    fn assert_on_target(outcome: &Outcome, spec: &SearchSpec) {
        let ratio = outcome.seconds / spec.target_seconds;
        assert_eq!(outcome.landing, Landing::OnTarget, "{outcome:?}");
        assert!((WINDOW.0..=WINDOW.1).contains(&ratio), "{ratio}");
        assert!(memory_of(&outcome.params) <= spec.memory_cap_bytes);
        assert!(outcome.trials.len() <= spec.max_trials);
        assert_eq!(
            vm_like(&outcome.params).unwrap(),
            outcome.seconds,
            "the time reported is the cost function's"
        );
    }

    #[test]
    fn converges_over_targets_caps_and_lanes() {
        for lanes in [1, 2, 4] {
            for cap in [16, 64, 256, 1024] {
                for target in [0.01, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0] {
                    let family = Family::Argon2id { lanes };
                    let spec = spec(family, target, cap);
                    let outcome = search(&spec, vm_like).unwrap();
                    let most = vm_like(&family.params(cap << 20, 64)).unwrap();
                    if most < WINDOW.0 * target {
                        assert_eq!(outcome.landing, Landing::TooFastAtCaps);
                        continue;
                    }
                    assert_on_target(&outcome, &spec);
                    assert!(
                        outcome.trials.len() <= 8,
                        "{lanes} {cap} {target}: {} trials",
                        outcome.trials.len()
                    );
                }
            }
        }
    }

    #[test]
    fn memory_comes_first() {
        // 1 GiB at t = 1 takes ~0.86 s here: a 2 s target keeps the whole cap and adds passes
        // only until one more would overshoot, then trims memory at that pass count.
        let spec = spec(Family::Argon2id { lanes: 1 }, 2.0, 1024);
        let outcome = search(&spec, vm_like).unwrap();
        assert_on_target(&outcome, &spec);
        let passes = iterations_of(&outcome.params);
        let fewer = Family::Argon2id { lanes: 1 }.params(1 << 30, passes - 1);
        assert!(
            vm_like(&fewer).unwrap() < 0.95 * 2.0,
            "with one pass fewer even the whole cap is too fast"
        );
        // A target the cap overshoots at one pass shrinks memory and keeps t = 1.
        let spec = SearchSpec {
            target_seconds: 0.3,
            ..spec
        };
        let outcome = search(&spec, vm_like).unwrap();
        assert_on_target(&outcome, &spec);
        assert_eq!(iterations_of(&outcome.params), 1);
    }

    #[test]
    fn scrypt_lands_between_powers_of_two() {
        // Time proportional to r·N·p: r fills in between the doublings of N.
        let cost = |params: &KdfParams| {
            Ok(memory_of(params) as f64 / MIB * 2e-3 * f64::from(iterations_of(params)))
        };
        for target in [0.05, 0.3, 0.7, 1.0, 3.0] {
            let spec = spec(Family::Scrypt, target, 1024);
            let outcome = search(&spec, cost).unwrap();
            let ratio = outcome.seconds / target;
            assert_eq!(outcome.landing, Landing::OnTarget, "{target}: {outcome:?}");
            assert!((WINDOW.0..=WINDOW.1).contains(&ratio), "{target}: {ratio}");
        }
        // 3 s needs 1.5 GiB-equivalents of work: the 1 GiB cap with p = 2, memory trimmed.
        let outcome = search(&spec(Family::Scrypt, 3.0, 1024), cost).unwrap();
        assert_eq!(iterations_of(&outcome.params), 2);
    }

    #[test]
    fn unreachable_targets_say_so() {
        let slow = |_: &KdfParams| Ok(1.0);
        let outcome = search(&spec(Family::Argon2id { lanes: 1 }, 0.1, 64), slow).unwrap();
        assert_eq!(outcome.landing, Landing::TooSlowAtMinimum);
        assert_eq!(memory_of(&outcome.params), 1 << 20);

        let fast = |params: &KdfParams| Ok(1e-6 * f64::from(iterations_of(params)));
        let outcome = search(&spec(Family::Argon2id { lanes: 1 }, 10.0, 64), fast).unwrap();
        assert_eq!(outcome.landing, Landing::TooFastAtCaps);
        assert_eq!(iterations_of(&outcome.params), 64);
        assert_eq!(memory_of(&outcome.params), 64 << 20);
    }

    #[test]
    fn a_narrow_window_lands_nearer() {
        for target in [0.05, 0.3, 1.0, 3.0] {
            let narrow = SearchSpec {
                window: (0.99, 1.01),
                max_trials: 64,
                ..spec(Family::Argon2id { lanes: 2 }, target, 1024)
            };
            let outcome = search(&narrow, vm_like).unwrap();
            assert_eq!(outcome.landing, Landing::OnTarget, "{target}: {outcome:?}");
            assert!((outcome.seconds / target - 1.0).abs() <= 0.01);
        }
    }

    #[test]
    fn a_step_cost_ends_at_the_closest_setting() {
        // Time jumps from 0.5 s to 2 s between 100 and 101 MiB: nothing lands at 1 s.
        let step = |params: &KdfParams| {
            Ok(if memory_of(params) <= 100 << 20 {
                0.5
            } else {
                2.0
            })
        };
        let outcome = search(&spec(Family::Argon2id { lanes: 1 }, 1.0, 1024), step).unwrap();
        assert_eq!(outcome.landing, Landing::Closest);
        assert!(outcome.trials.len() <= DEFAULT_MAX_TRIALS);
    }

    #[test]
    fn a_seeded_search_continues_from_a_retimed_result() {
        let spec = spec(Family::Argon2id { lanes: 2 }, 0.5, 1024);
        let first = search(&spec, vm_like).unwrap();
        assert_eq!(first.landing, Landing::OnTarget);
        // Timed again, the chosen setting took 20 % longer (a noisy first figure).
        let mut seeds = first.trials.clone();
        for trial in &mut seeds {
            if trial.params == first.params {
                trial.seconds *= 1.2;
            }
        }
        let mut calls = 0;
        let again = search_seeded(&spec, &seeds, |params: &KdfParams| {
            calls += 1;
            vm_like(params)
        })
        .unwrap();
        assert_eq!(again.landing, Landing::OnTarget);
        assert_ne!(again.params, first.params, "the miss moved the search");
        assert!(memory_of(&again.params) < memory_of(&first.params));
        assert_eq!(
            again.trials.len(),
            seeds.len() + calls,
            "seeds are not re-measured"
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let family = Family::Argon2id { lanes: 1 };
        for target in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(search(&spec(family, target, 64), vm_like).is_err());
        }
        assert!(search(&spec(family, 1.0, 0), vm_like).is_err());
        let broken = |_: &KdfParams| Err("no memory".to_owned());
        assert_eq!(
            search(&spec(family, 1.0, 64), broken).unwrap_err(),
            "no memory"
        );
        let inverted = SearchSpec {
            window: (1.1, 0.9),
            ..spec(family, 1.0, 64)
        };
        assert!(search(&inverted, vm_like).is_err());
        let negative = |_: &KdfParams| Ok(-1.0);
        assert!(search(&spec(family, 1.0, 64), negative).is_err());
    }
}
