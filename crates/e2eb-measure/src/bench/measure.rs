//! Repeated, warmed-up timing: the sampling loop behind every figure `cargo xtask bench` reports.

use std::time::{Duration, Instant};

/// How long to warm up and how to split the measurement into samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Time spent running the operation untimed first (caches, page faults, CPU frequency),
    /// also used to estimate how many calls make one sample.
    pub warm_up: Duration,
    /// Number of timed samples; statistics are taken over these.
    pub samples: usize,
    /// Shortest wall time of one sample: fast operations are repeated within a sample until it
    /// lasts this long, so that timer resolution and call overhead stay negligible.
    pub sample_time: Duration,
}

/// Runs `operation` per `plan` and returns the seconds that one call took, averaged within each
/// sample, one value per sample. The warm-up runs the operation at least once.
pub fn seconds_per_call(plan: &Plan, mut operation: impl FnMut()) -> Vec<f64> {
    let calls = calls_per_sample(plan, &mut operation);
    (0..plan.samples.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                operation();
            }
            start.elapsed().as_secs_f64() / calls as f64
        })
        .collect()
}

/// Like [`seconds_per_call`], as bytes per second for an operation that processes `bytes` per call.
pub fn bytes_per_second(plan: &Plan, bytes: u64, operation: impl FnMut()) -> Vec<f64> {
    seconds_per_call(plan, operation)
        .into_iter()
        .map(|seconds| bytes as f64 / seconds)
        .collect()
}

/// Like [`bytes_per_second`] for a long operation (one call per sample; `plan.sample_time` is
/// not used) that needs its input made afresh each time, as an operation that consumes or
/// overwrites it: `prepare` runs untimed before every call of `operation`, warm-up included,
/// and both are handed `input`.
pub fn bytes_per_second_prepared<T: ?Sized>(
    plan: &Plan,
    bytes: u64,
    input: &mut T,
    mut prepare: impl FnMut(&mut T),
    mut operation: impl FnMut(&mut T),
) -> Vec<f64> {
    let mut timed_call = || {
        prepare(input);
        let start = Instant::now();
        operation(input);
        start.elapsed().as_secs_f64()
    };
    let warm_up = Instant::now();
    loop {
        timed_call();
        if warm_up.elapsed() >= plan.warm_up {
            break;
        }
    }
    (0..plan.samples.max(1))
        .map(|_| bytes as f64 / timed_call())
        .collect()
}

/// Warms up and returns how many calls fill `plan.sample_time`.
fn calls_per_sample(plan: &Plan, operation: &mut impl FnMut()) -> u64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while calls == 0 || start.elapsed() < plan.warm_up {
        operation();
        calls += 1;
    }
    let per_call = start.elapsed().as_secs_f64() / calls as f64;
    if per_call <= 0.0 {
        return 1;
    }
    (plan.sample_time.as_secs_f64() / per_call).ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_sample_and_at_least_one_warm_up_call() {
        let mut calls = 0;
        let plan = Plan {
            warm_up: Duration::ZERO,
            samples: 3,
            sample_time: Duration::ZERO,
        };
        let seconds = seconds_per_call(&plan, || calls += 1);
        assert_eq!(seconds.len(), 3);
        assert_eq!(calls, 1 + 3, "one warm-up call, then one call per sample");
        assert!(seconds.iter().all(|&s| s >= 0.0));
    }

    #[test]
    fn prepared_calls_time_the_operation_alone() {
        let mut prepared = 0;
        let mut operated = 0;
        let plan = Plan {
            warm_up: Duration::ZERO,
            samples: 4,
            sample_time: Duration::from_secs(60),
        };
        let mut input = 0u32;
        let throughput = bytes_per_second_prepared(
            &plan,
            1 << 20,
            &mut input,
            |input| {
                prepared += 1;
                *input = prepared;
                std::thread::sleep(Duration::from_millis(20));
            },
            |input| {
                operated += 1;
                assert_eq!(*input, operated, "prepared just before");
            },
        );
        assert_eq!(throughput.len(), 4);
        assert_eq!(
            (prepared, operated),
            (5, 5),
            "one warm-up call, then one per sample"
        );
        // A 20 ms preparation counted in the time would cap the rate near 50 MB/s.
        assert!(throughput.iter().all(|&rate| rate > 1e9), "{throughput:?}");
    }

    #[test]
    fn fast_operations_are_repeated_within_a_sample() {
        let mut calls = 0u64;
        let plan = Plan {
            warm_up: Duration::from_millis(5),
            samples: 2,
            sample_time: Duration::from_millis(5),
        };
        let throughput = bytes_per_second(&plan, 64, || {
            calls = std::hint::black_box(calls + 1);
        });
        assert_eq!(throughput.len(), 2);
        assert!(calls > 100, "{calls} calls");
        assert!(throughput.iter().all(|&t| t.is_finite() && t > 0.0));
    }
}
