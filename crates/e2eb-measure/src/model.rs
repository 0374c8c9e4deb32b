//! A cost model of a KDF benchmark grid: wall time as a function of memory, iterations and
//! lanes, fitted by least squares, so that a device's grid (recorded there by
//! `cargo xtask bench`) predicts the setting that takes a target time on it.
//!
//! The form, with `M` the memory in MiB, `w` the iterations (Argon2id `t`, scrypt `p`) and `L`
//! the lanes that run at once (Argon2id `p`, at most the device's CPUs; 1 for scrypt):
//!
//! ```text
//! seconds = (a · M^(1+α) + b · M^(1+β) · w) / L^λ
//! ```
//!
//! `a` is what a derivation pays once for its memory (page faults on fresh memory, which
//! virtual machines make dear), `b` what each pass over it costs; `α` and `β` let the cost per
//! MiB grow as memory outgrows the caches and TLB; `λ` is the lanes' speed-up. For each
//! `(α, β, λ)` on a grid the best `a, b >= 0` follow from linear least squares on relative
//! errors; the fit is the `(α, β, λ)` with the smallest sum of squared relative errors. A
//! parameter the grid cannot pin down (one memory size, one iteration count, one lane count)
//! is held at a neutral value: `α = β = 0`, `a = 0`, `λ = 0`.
//!
//! Memory below [`REGIME_BOUNDARY_BYTES`] gets a fit of its own: glibc's allocator serves
//! smaller blocks from memory the previous derivation freed, so they skip the page faults that
//! larger ones, always fresh from the kernel, pay on every derivation; one curve through both
//! fits neither. Where a regime has no grid points the other's fit stands in.

use e2eb::{KdfKind, KdfParams};

use crate::family::{iterations_of, kind_name, lanes_of, memory_of};

/// Memory at and above which each derivation gets fresh pages from the kernel with glibc
/// (its largest mmap threshold on 64-bit systems).
pub const REGIME_BOUNDARY_BYTES: u64 = 32 << 20;

const MIB: f64 = (1u64 << 20) as f64;

/// One measured setting of a grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridPoint {
    pub params: KdfParams,
    /// Median seconds per derivation.
    pub seconds: f64,
}

/// The fitted model of one KDF on one device.
#[derive(Clone, Debug, PartialEq)]
pub struct CostModel {
    pub kind: KdfKind,
    /// Logical CPUs of the device: lanes beyond them add no speed.
    pub cpus: Option<u32>,
    /// The fit for memory below [`REGIME_BOUNDARY_BYTES`], if the grid has such points.
    pub small: Option<Fit>,
    /// The fit for memory at or above it, if the grid has such points.
    pub large: Option<Fit>,
}

/// The fitted constants of one regime (see the module documentation).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Fit {
    /// `a`: seconds per MiB^(1+α) paid once per derivation.
    pub once: f64,
    /// `b`: seconds per MiB^(1+β) per iteration.
    pub per_iteration: f64,
    /// `α`.
    pub once_exponent: f64,
    /// `β`.
    pub iteration_exponent: f64,
    /// `λ`.
    pub lane_exponent: f64,
    /// Grid points this regime was fitted to.
    pub points: usize,
    /// The smallest and largest memory among them, bytes.
    pub memory_range: (u64, u64),
    /// The lane counts among them.
    pub lanes: Vec<u32>,
}

impl Fit {
    fn seconds(&self, mib: f64, iterations: f64, lanes: f64) -> f64 {
        (self.once * mib.powf(1.0 + self.once_exponent)
            + self.per_iteration * mib.powf(1.0 + self.iteration_exponent) * iterations)
            / lanes.powf(self.lane_exponent)
    }
}

/// A grid point's variables: `(M in MiB, w, effective lanes, seconds)`.
type Row = (f64, f64, f64, f64);

impl CostModel {
    /// Fits the points of `kind` in `points` (others are ignored).
    pub fn fit(
        points: &[GridPoint],
        kind: KdfKind,
        cpus: Option<u32>,
    ) -> Result<CostModel, String> {
        let mut small = Vec::new();
        let mut large = Vec::new();
        for point in points.iter().filter(|point| point.params.kind() == kind) {
            if !(point.seconds.is_finite() && point.seconds > 0.0) {
                return Err(format!(
                    "{} {}: {} s is not a positive time",
                    kind_name(kind),
                    point.params,
                    point.seconds
                ));
            }
            if memory_of(&point.params) < REGIME_BOUNDARY_BYTES {
                small.push(*point);
            } else {
                large.push(*point);
            }
        }
        if small.is_empty() && large.is_empty() {
            return Err(format!("the grid has no {} figures", kind_name(kind)));
        }
        Ok(CostModel {
            kind,
            cpus,
            small: fit_regime(&small, cpus),
            large: fit_regime(&large, cpus),
        })
    }

    /// Predicted seconds per derivation; `None` for another KDF.
    pub fn predict(&self, params: &KdfParams) -> Option<f64> {
        if params.kind() != self.kind {
            return None;
        }
        let memory = memory_of(params);
        let fit = if memory < REGIME_BOUNDARY_BYTES {
            self.small.as_ref().or(self.large.as_ref())
        } else {
            self.large.as_ref().or(self.small.as_ref())
        }?;
        Some(fit.seconds(
            memory as f64 / MIB,
            f64::from(iterations_of(params)),
            effective_lanes(lanes_of(params), self.cpus),
        ))
    }

    /// The fit that predicts `params`.
    pub fn fit_for(&self, params: &KdfParams) -> Option<&Fit> {
        if memory_of(params) < REGIME_BOUNDARY_BYTES {
            self.small.as_ref().or(self.large.as_ref())
        } else {
            self.large.as_ref().or(self.small.as_ref())
        }
    }

    /// The largest memory of the grid: predictions beyond it are extrapolations.
    pub fn largest_memory(&self) -> u64 {
        [&self.small, &self.large]
            .into_iter()
            .flatten()
            .map(|fit| fit.memory_range.1)
            .max()
            .unwrap_or(0)
    }

    /// The lane counts the grid measured.
    pub fn measured_lanes(&self) -> Vec<u32> {
        let mut lanes: Vec<u32> = [&self.small, &self.large]
            .into_iter()
            .flatten()
            .flat_map(|fit| fit.lanes.iter().copied())
            .collect();
        lanes.sort_unstable();
        lanes.dedup();
        lanes
    }
}

/// How well a model predicts points it was not fitted to.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HeldOut {
    /// Each point with the prediction of the model fitted to all the others.
    pub points: Vec<HeldOutPoint>,
    /// The largest `|predicted / measured − 1|`: the model's stated error.
    pub max_error: f64,
    /// The root mean square of `predicted / measured − 1`.
    pub rms_error: f64,
}

/// One held-out grid point.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HeldOutPoint {
    /// The parameters in `--kdf-params` notation.
    pub params: String,
    pub measured_seconds: f64,
    pub predicted_seconds: f64,
    /// `predicted / measured − 1`.
    pub error: f64,
}

/// Leave-one-out cross-validation of [`CostModel::fit`] over the points of `kind`: each point
/// is predicted by the model of all the others. `None` with fewer than two points.
pub fn leave_one_out(points: &[GridPoint], kind: KdfKind, cpus: Option<u32>) -> Option<HeldOut> {
    let mine: Vec<GridPoint> = points
        .iter()
        .copied()
        .filter(|point| point.params.kind() == kind)
        .collect();
    if mine.len() < 2 {
        return None;
    }
    let mut held_out = Vec::new();
    for index in 0..mine.len() {
        let rest: Vec<GridPoint> = mine
            .iter()
            .enumerate()
            .filter(|&(other, _)| other != index)
            .map(|(_, point)| *point)
            .collect();
        let point = mine[index];
        let Ok(model) = CostModel::fit(&rest, kind, cpus) else {
            continue;
        };
        if let Some(predicted) = model.predict(&point.params) {
            held_out.push(HeldOutPoint {
                params: point.params.to_string(),
                measured_seconds: point.seconds,
                predicted_seconds: predicted,
                error: predicted / point.seconds - 1.0,
            });
        }
    }
    summarise(held_out)
}

/// Fits `train` and predicts each point of `test`: a held-out check.
pub fn hold_out(
    train: &[GridPoint],
    test: &[GridPoint],
    kind: KdfKind,
    cpus: Option<u32>,
) -> Option<HeldOut> {
    let model = CostModel::fit(train, kind, cpus).ok()?;
    let points = test
        .iter()
        .filter_map(|point| {
            let predicted = model.predict(&point.params)?;
            Some(HeldOutPoint {
                params: point.params.to_string(),
                measured_seconds: point.seconds,
                predicted_seconds: predicted,
                error: predicted / point.seconds - 1.0,
            })
        })
        .collect();
    summarise(points)
}

fn summarise(points: Vec<HeldOutPoint>) -> Option<HeldOut> {
    if points.is_empty() {
        return None;
    }
    let max_error = points
        .iter()
        .map(|point| point.error.abs())
        .fold(0.0, f64::max);
    let rms_error =
        (points.iter().map(|point| point.error.powi(2)).sum::<f64>() / points.len() as f64).sqrt();
    Some(HeldOut {
        points,
        max_error,
        rms_error,
    })
}

fn effective_lanes(lanes: u32, cpus: Option<u32>) -> f64 {
    f64::from(lanes.min(cpus.unwrap_or(u32::MAX)).max(1))
}

/// `start, start + step, …` up to `end`, or just `0.0` when the grid cannot pin the value.
fn steps(identifiable: bool, start: f64, end: f64, step: f64) -> Vec<f64> {
    if !identifiable {
        return vec![0.0];
    }
    let count = ((end - start) / step).round() as usize;
    (0..=count).map(|i| start + step * i as f64).collect()
}

fn distinct(values: impl Iterator<Item = f64>) -> usize {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    values.len()
}

fn fit_regime(points: &[GridPoint], cpus: Option<u32>) -> Option<Fit> {
    if points.is_empty() {
        return None;
    }
    let rows: Vec<Row> = points
        .iter()
        .map(|point| {
            (
                memory_of(&point.params) as f64 / MIB,
                f64::from(iterations_of(&point.params)),
                effective_lanes(lanes_of(&point.params), cpus),
                point.seconds,
            )
        })
        .collect();
    let memories = distinct(rows.iter().map(|row| row.0));
    let iteration_counts = distinct(rows.iter().map(|row| row.1));
    let lane_counts = distinct(rows.iter().map(|row| row.2));
    // With one iteration count the once-per-derivation cost and the per-iteration cost are
    // the same column: all of it is counted per iteration, so predictions scale with `w`.
    let with_once = iteration_counts >= 2;
    let mut best: Option<(f64, Fit)> = None;
    for &iteration_exponent in &steps(memories >= 2, -0.3, 0.6, 0.02) {
        for &once_exponent in &steps(memories >= 2 && with_once, -0.3, 0.6, 0.05) {
            for &lane_exponent in &steps(lane_counts >= 2, 0.0, 1.2, 0.02) {
                let Some((once, per_iteration, error)) = solve(
                    &rows,
                    once_exponent,
                    iteration_exponent,
                    lane_exponent,
                    with_once,
                ) else {
                    continue;
                };
                if best
                    .as_ref()
                    .is_none_or(|(best_error, _)| error < *best_error)
                {
                    best = Some((
                        error,
                        Fit {
                            once,
                            per_iteration,
                            once_exponent,
                            iteration_exponent,
                            lane_exponent,
                            points: points.len(),
                            memory_range: (0, 0),
                            lanes: Vec::new(),
                        },
                    ));
                }
            }
        }
    }
    let (_, mut fit) = best?;
    let memories = points.iter().map(|point| memory_of(&point.params));
    fit.memory_range = (
        memories.clone().min().unwrap_or(0),
        memories.max().unwrap_or(0),
    );
    let mut lanes: Vec<u32> = points.iter().map(|point| lanes_of(&point.params)).collect();
    lanes.sort_unstable();
    lanes.dedup();
    fit.lanes = lanes;
    Some(fit)
}

/// The `a, b >= 0` minimising the squared relative errors for fixed exponents, and that sum.
fn solve(
    rows: &[Row],
    once_exponent: f64,
    iteration_exponent: f64,
    lane_exponent: f64,
    with_once: bool,
) -> Option<(f64, f64, f64)> {
    // Each row divided by its measured time: the residuals are relative errors, so a 5 ms
    // setting counts as much as a 3 s one.
    let columns: Vec<(f64, f64)> = rows
        .iter()
        .map(|&(mib, iterations, lanes, seconds)| {
            let scale = lanes.powf(lane_exponent) * seconds;
            (
                mib.powf(1.0 + once_exponent) / scale,
                mib.powf(1.0 + iteration_exponent) * iterations / scale,
            )
        })
        .collect();
    let error = |a: f64, b: f64| {
        columns
            .iter()
            .map(|&(x, y)| (a * x + b * y - 1.0).powi(2))
            .sum::<f64>()
    };
    let (sxx, sxy, syy, sx, sy) = columns.iter().fold(
        (0.0, 0.0, 0.0, 0.0, 0.0),
        |(sxx, sxy, syy, sx, sy), &(x, y)| (sxx + x * x, sxy + x * y, syy + y * y, sx + x, sy + y),
    );
    let mut candidates = Vec::with_capacity(2);
    if with_once {
        let determinant = sxx * syy - sxy * sxy;
        if determinant.abs() > 1e-12 * sxx * syy {
            let a = (sx * syy - sy * sxy) / determinant;
            let b = (sy * sxx - sx * sxy) / determinant;
            if a >= 0.0 && b > 0.0 {
                candidates.push((a, b));
            }
        }
    }
    // b alone: the fallback when the free fit wants a negative `a`, or cannot separate them.
    if syy > 0.0 {
        candidates.push((0.0, sy / syy));
    }
    candidates
        .into_iter()
        .filter(|&(a, b)| a.is_finite() && b.is_finite() && b > 0.0)
        .map(|(a, b)| (a, b, error(a, b)))
        .min_by(|x, y| x.2.total_cmp(&y.2))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use e2eb::{Argon2idParams, ScryptParams};

    fn argon(mib: u32, passes: u32, lanes: u32) -> KdfParams {
        KdfParams::Argon2id(Argon2idParams::unvalidated(mib * 1024, passes, lanes))
    }

    fn scrypt(log_n: u8) -> KdfParams {
        KdfParams::Scrypt(ScryptParams::unvalidated(log_n, 8, 1))
    }

    /// The KDF grid of reports/intel-xeon-processor-2t-24g/2026-11-30T07-53-21Z.json (quick
    /// profile, a 2-CPU virtual machine): `(MiB, t, p, median seconds)`.
    pub(crate) const XEON_ARGON2ID: [(u32, u32, u32, f64); 16] = [
        (16, 1, 1, 0.006917929),
        (64, 1, 1, 0.062163476),
        (256, 1, 1, 0.258783145),
        (1024, 1, 1, 1.170034164),
        (16, 3, 1, 0.019721182),
        (64, 3, 1, 0.115818165),
        (256, 3, 1, 0.566739523),
        (1024, 3, 1, 2.835730211),
        (16, 1, 2, 0.00429911),
        (64, 1, 2, 0.037392511),
        (256, 1, 2, 0.195933556),
        (1024, 1, 2, 0.822572711),
        (16, 3, 2, 0.012020905),
        (64, 3, 2, 0.071894876),
        (256, 3, 2, 0.3480282155),
        (1024, 3, 2, 1.628502127),
    ];
    /// The same run's scrypt grid (r = 8, p = 1): `(log2 N, median seconds)`.
    pub(crate) const XEON_SCRYPT: [(u8, f64); 4] = [
        (14, 0.024403733),
        (15, 0.060831793),
        (16, 0.130309099),
        (17, 0.26259918),
    ];

    pub(crate) fn xeon_grid() -> Vec<GridPoint> {
        XEON_ARGON2ID
            .iter()
            .map(|&(mib, passes, lanes, seconds)| GridPoint {
                params: argon(mib, passes, lanes),
                seconds,
            })
            .chain(XEON_SCRYPT.iter().map(|&(log_n, seconds)| GridPoint {
                params: scrypt(log_n),
                seconds,
            }))
            .collect()
    }

    #[test]
    fn recovers_a_cost_of_its_own_form() {
        let truth = |mib: f64, passes: f64, lanes: f64| {
            (2e-4 * mib.powf(1.1) + 3e-4 * mib.powf(1.2) * passes) / lanes.powf(0.7)
        };
        let mut points = Vec::new();
        for mib in [32, 64, 256, 1024] {
            for passes in [1, 3] {
                for lanes in [1, 2, 4] {
                    points.push(GridPoint {
                        params: argon(mib, passes, lanes),
                        seconds: truth(f64::from(mib), f64::from(passes), f64::from(lanes)),
                    });
                }
            }
        }
        let model = CostModel::fit(&points, KdfKind::Argon2id, Some(8)).unwrap();
        let fit = model.large.as_ref().unwrap();
        assert!((fit.iteration_exponent - 0.2).abs() < 1e-9, "{fit:?}");
        assert!((fit.once_exponent - 0.1).abs() < 1e-9, "{fit:?}");
        assert!((fit.lane_exponent - 0.7).abs() < 1e-9, "{fit:?}");
        let unseen = argon(512, 5, 2);
        let predicted = model.predict(&unseen).unwrap();
        assert!((predicted / truth(512.0, 5.0, 2.0) - 1.0).abs() < 1e-9);
        let held_out = leave_one_out(&points, KdfKind::Argon2id, Some(8)).unwrap();
        assert!(held_out.max_error < 1e-9, "{held_out:?}");
    }

    #[test]
    fn lanes_beyond_the_cpus_add_nothing() {
        let points: Vec<GridPoint> = [(1, 1.0), (2, 0.5)]
            .into_iter()
            .flat_map(|(lanes, seconds)| {
                [64, 128].into_iter().map(move |mib| GridPoint {
                    params: argon(mib, 1, lanes),
                    seconds: seconds * f64::from(mib) / 64.0,
                })
            })
            .collect();
        let model = CostModel::fit(&points, KdfKind::Argon2id, Some(2)).unwrap();
        let two = model.predict(&argon(64, 1, 2)).unwrap();
        let eight = model.predict(&argon(64, 1, 8)).unwrap();
        assert!((two - eight).abs() < 1e-12);
    }

    #[test]
    fn predicts_held_out_grid_points_within_its_stated_error() {
        // Fit on the grid without its 256 MiB column (a memory between measured ones, as most
        // recommendations are); the stated error is the leave-one-out error of that training
        // grid alone. Then predict the held-out column.
        let grid: Vec<GridPoint> = xeon_grid()
            .into_iter()
            .filter(|point| point.params.kind() == KdfKind::Argon2id)
            .collect();
        let (test, train): (Vec<GridPoint>, Vec<GridPoint>) = grid
            .iter()
            .partition(|point| memory_of(&point.params) == 256 << 20);
        assert_eq!((train.len(), test.len()), (12, 4));
        let stated = leave_one_out(&train, KdfKind::Argon2id, Some(2)).unwrap();
        let checked = hold_out(&train, &test, KdfKind::Argon2id, Some(2)).unwrap();
        for point in &checked.points {
            assert!(
                point.error.abs() <= stated.max_error,
                "{point:?} beyond the stated {:.3}",
                stated.max_error
            );
        }
        // And the other way round: every third point held out of the whole grid.
        let every_third = |keep: bool| -> Vec<GridPoint> {
            grid.iter()
                .enumerate()
                .filter(|(i, _)| (i % 3 == 1) == keep)
                .map(|(_, point)| *point)
                .collect()
        };
        let (test, train) = (every_third(true), every_third(false));
        let stated = leave_one_out(&train, KdfKind::Argon2id, Some(2)).unwrap();
        let checked = hold_out(&train, &test, KdfKind::Argon2id, Some(2)).unwrap();
        for point in &checked.points {
            assert!(
                point.error.abs() <= stated.max_error,
                "{point:?} beyond the stated {:.3}",
                stated.max_error
            );
        }
    }

    #[test]
    fn scrypt_with_one_r_and_p_scales_with_n() {
        let model = CostModel::fit(&xeon_grid(), KdfKind::Scrypt, Some(2)).unwrap();
        let measured = model.predict(&scrypt(17)).unwrap();
        assert!((measured / 0.26259918 - 1.0).abs() < 0.05, "{measured}");
        let twice = model
            .predict(&KdfParams::Scrypt(ScryptParams::unvalidated(17, 8, 2)))
            .unwrap();
        assert!(
            (twice / measured - 2.0).abs() < 1e-9,
            "p multiplies the time"
        );
        assert!(model.small.is_some() && model.large.is_some());
        assert_eq!(model.predict(&argon(64, 1, 1)), None, "another KDF");
    }

    #[test]
    fn bad_grids_are_errors() {
        assert!(CostModel::fit(&[], KdfKind::Argon2id, None).is_err());
        let negative = [GridPoint {
            params: argon(64, 1, 1),
            seconds: -1.0,
        }];
        assert!(CostModel::fit(&negative, KdfKind::Argon2id, None).is_err());
        let one = [GridPoint {
            params: argon(64, 1, 1),
            seconds: 0.1,
        }];
        let model = CostModel::fit(&one, KdfKind::Argon2id, None).unwrap();
        assert!((model.predict(&argon(128, 2, 1)).unwrap() - 0.4).abs() < 1e-9);
        assert!(leave_one_out(&one, KdfKind::Argon2id, None).is_none());
    }
}
