//! Caps on the KDF work and memory a backup may ask of the decrypting machine, checked before
//! any KDF work or allocation (SPEC.md, "KDF caps").

use crate::cap_exceeded::{CapExceeded, KdfParameter};
use crate::kdf::KdfParams;

/// Upper bounds on the KDF work and memory a backup may ask of the decrypting machine, checked
/// before any KDF work or allocation (SPEC.md, "KDF caps").
///
/// Start from [`KdfCaps::default`] (this machine) or [`KdfCaps::for_physical_memory`] and change
/// single caps with the `with_` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfCaps {
    max_memory_bytes: u64,
    argon2_max_passes: u32,
    argon2_max_lanes: u32,
    scrypt_max_log_n: u8,
    scrypt_max_r: u32,
    scrypt_max_p: u32,
    max_work_bytes: u64,
    max_backup_work_bytes: u64,
    max_password_slots: u32,
}

impl KdfCaps {
    /// The memory cap's ceiling whatever the machine: 4 GiB.
    pub const MEMORY_CEILING: u64 = 4 << 30;

    /// The default cap on one derivation's work, memory × passes ([`KdfParams::work_bytes`]):
    /// 16 GiB, four passes over the memory ceiling, or 16 over 1 GiB.
    pub const DEFAULT_MAX_WORK: u64 = 16 << 30;

    /// The default budget of a whole backup: the work of all the password derivations one
    /// password may cost, 32 GiB (two derivations at [`KdfCaps::DEFAULT_MAX_WORK`]).
    pub const DEFAULT_MAX_BACKUP_WORK: u64 = 32 << 30;

    /// The default number of distinct password derivations one backup may ask for: 8.
    pub const DEFAULT_MAX_PASSWORD_SLOTS: u32 = 8;

    /// The default caps: memory at most 4 GiB and at most half of `physical_memory` (when known),
    /// Argon2id t <= 64 and p <= 64, scrypt log2 N <= 22, r <= 32, p <= 16; per derivation at
    /// most 16 GiB of work (memory × passes); per backup at most 8 password derivations and
    /// 32 GiB of work in all.
    pub fn for_physical_memory(physical_memory: Option<u64>) -> KdfCaps {
        let half = physical_memory.map_or(u64::MAX, |bytes| bytes / 2);
        KdfCaps {
            max_memory_bytes: Self::MEMORY_CEILING.min(half),
            argon2_max_passes: 64,
            argon2_max_lanes: 64,
            scrypt_max_log_n: 22,
            scrypt_max_r: 32,
            scrypt_max_p: 16,
            max_work_bytes: Self::DEFAULT_MAX_WORK,
            max_backup_work_bytes: Self::DEFAULT_MAX_BACKUP_WORK,
            max_password_slots: Self::DEFAULT_MAX_PASSWORD_SLOTS,
        }
    }

    /// The memory this process may use, in bytes, where the OS tells it: the machine's physical
    /// memory, or the memory limit of the process's control group (cgroup v2 `memory.max`,
    /// cgroup v1 `memory.limit_in_bytes`, the lowest along its path) where that is lower, so
    /// that a container limited to 512 MiB refuses a backup asking for 1 GiB instead of being
    /// killed. What [`KdfCaps::default`] passes to [`KdfCaps::for_physical_memory`].
    pub fn machine_memory() -> Option<u64> {
        let physical = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|meminfo| mem_total(&meminfo));
        let limit = KdfCaps::cgroup_memory_limit();
        match (physical, limit) {
            (Some(physical), Some(limit)) => Some(physical.min(limit)),
            (physical, limit) => physical.or(limit),
        }
    }

    /// The memory limit of this process's control group alone (the lowest along its path), in
    /// bytes; `None` where there is none or the OS does not tell. Part of
    /// [`KdfCaps::machine_memory`].
    pub fn cgroup_memory_limit() -> Option<u64> {
        let read = |path: &std::path::Path| std::fs::read_to_string(path).ok();
        read("/proc/self/cgroup".as_ref())
            .and_then(|cgroups| cgroup_memory_limit(&cgroups, "/sys/fs/cgroup".as_ref(), read))
    }

    /// Checks `params` against the caps on one derivation; `Err` names the first parameter over
    /// its cap, in the order of SPEC.md's caps table (Argon2id t, p; scrypt log2 N, r, p; then
    /// memory, then work), with the value asked and the cap.
    pub fn check(&self, params: &KdfParams) -> Result<(), CapExceeded> {
        use KdfParameter::*;
        let mut limits: Vec<(KdfParameter, u128, u128)> = match params {
            KdfParams::Argon2id(argon) => vec![
                (
                    Argon2Passes,
                    argon.passes().into(),
                    self.argon2_max_passes.into(),
                ),
                (
                    Argon2Lanes,
                    argon.lanes().into(),
                    self.argon2_max_lanes.into(),
                ),
            ],
            KdfParams::Scrypt(scrypt) => vec![
                (
                    ScryptLogN,
                    scrypt.log_n().into(),
                    self.scrypt_max_log_n.into(),
                ),
                (ScryptR, scrypt.r().into(), self.scrypt_max_r.into()),
                (ScryptP, scrypt.p().into(), self.scrypt_max_p.into()),
            ],
        };
        limits.push((Memory, params.memory_bytes(), self.max_memory_bytes.into()));
        limits.push((Work, params.work_bytes(), self.max_work_bytes.into()));
        match limits.into_iter().find(|&(_, value, cap)| value > cap) {
            Some((parameter, value, cap)) => Err(CapExceeded {
                parameter,
                value,
                cap,
            }),
            None => Ok(()),
        }
    }
}

impl KdfCaps {
    /// Checks the derivations one password would cost against the backup's budget, before any
    /// of them runs (SPEC.md, "KDF caps"). `derivations` are the password slots that passed
    /// [`KdfCaps::check`], in header order, as their position and their work
    /// ([`KdfParams::work_bytes`]); slots that share KDF, parameters and salt are one
    /// derivation and are passed once. `Err` names the position of the first derivation at
    /// which the count or the summed work goes over its cap (the count is checked first).
    pub fn check_backup(
        &self,
        derivations: impl IntoIterator<Item = (usize, u128)>,
    ) -> Result<(), (usize, CapExceeded)> {
        let mut count: u128 = 0;
        let mut total: u128 = 0;
        for (position, work) in derivations {
            count += 1;
            total += work;
            let over = if count > self.max_password_slots.into() {
                Some((
                    KdfParameter::PasswordSlots,
                    count,
                    self.max_password_slots.into(),
                ))
            } else if total > self.max_backup_work_bytes.into() {
                Some((
                    KdfParameter::BackupWork,
                    total,
                    self.max_backup_work_bytes.into(),
                ))
            } else {
                None
            };
            if let Some((parameter, value, cap)) = over {
                return Err((
                    position,
                    CapExceeded {
                        parameter,
                        value,
                        cap,
                    },
                ));
            }
        }
        Ok(())
    }
}

/// A getter and a `with_` setter for each cap.
macro_rules! cap_accessors {
    ($($(#[doc = $doc:literal])* $field:ident, $with:ident: $ty:ty;)*) => {
        impl KdfCaps {
            $(
                $(#[doc = $doc])*
                pub const fn $field(&self) -> $ty {
                    self.$field
                }

                /// These caps with this cap set to `cap`.
                #[must_use]
                pub const fn $with(mut self, cap: $ty) -> KdfCaps {
                    self.$field = cap;
                    self
                }
            )*
        }
    };
}

cap_accessors! {
    /// Most memory one derivation may allocate, in bytes.
    max_memory_bytes, with_max_memory_bytes: u64;
    /// Most Argon2id passes (`t`).
    argon2_max_passes, with_argon2_max_passes: u32;
    /// Most Argon2id lanes (`p`).
    argon2_max_lanes, with_argon2_max_lanes: u32;
    /// Largest scrypt log2 N.
    scrypt_max_log_n, with_scrypt_max_log_n: u8;
    /// Largest scrypt r.
    scrypt_max_r, with_scrypt_max_r: u32;
    /// Largest scrypt p.
    scrypt_max_p, with_scrypt_max_p: u32;
    /// Most work one derivation may ask, memory × passes in bytes ([`KdfParams::work_bytes`]).
    max_work_bytes, with_max_work_bytes: u64;
    /// Most work all the password derivations of one backup may ask together, in bytes.
    max_backup_work_bytes, with_max_backup_work_bytes: u64;
    /// Most distinct password derivations one backup may ask for.
    max_password_slots, with_max_password_slots: u32;
}

impl Default for KdfCaps {
    /// The default caps for this machine's physical memory.
    fn default() -> KdfCaps {
        KdfCaps::for_physical_memory(KdfCaps::machine_memory())
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The lowest memory limit on the path of this process's control groups (as `/proc/self/cgroup`
/// lists them, `cgroups`), read through `read` under `root` (`/sys/fs/cgroup`): cgroup v2's
/// `memory.max` (the `0::PATH` line, under `root`) and cgroup v1's `memory.limit_in_bytes` (the
/// `N:memory:PATH` line, under `root/memory`), from the process's group up to the mount's root,
/// since a parent's limit binds its children. `max`, and v1's "no limit" of nearly 2^63, are no
/// limit.
fn cgroup_memory_limit(
    cgroups: &str,
    root: &std::path::Path,
    read: impl Fn(&std::path::Path) -> Option<String>,
) -> Option<u64> {
    /// v1 reports "no limit" as the largest page-aligned i64.
    const UNLIMITED: u64 = 1 << 62;
    let mut lowest: Option<u64> = None;
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let (mount, file) = if controllers.is_empty() {
            (root.to_path_buf(), "memory.max")
        } else if controllers
            .split(',')
            .any(|controller| controller == "memory")
        {
            (root.join("memory"), "memory.limit_in_bytes")
        } else {
            continue;
        };
        let mut group = std::path::PathBuf::from(path.trim_start_matches('/'));
        loop {
            let limit = read(&mount.join(&group).join(file))
                .and_then(|text| text.trim().parse::<u64>().ok())
                .filter(|&limit| limit < UNLIMITED);
            if let Some(limit) = limit {
                lowest = Some(lowest.map_or(limit, |lowest| lowest.min(limit)));
            }
            if !group.pop() {
                break;
            }
        }
    }
    lowest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kdf::{Argon2idParams, KdfKind, ScryptParams};
    use std::collections::HashMap;
    use std::path::Path;

    fn limit_from(cgroups: &str, files: &[(&str, &str)]) -> Option<u64> {
        let files: HashMap<&Path, &str> = files
            .iter()
            .map(|&(path, text)| (Path::new(path), text))
            .collect();
        cgroup_memory_limit(cgroups, Path::new("/sys/fs/cgroup"), |path| {
            files.get(path).map(|text| text.to_string())
        })
    }

    #[test]
    fn a_cgroup_v2_limit_on_the_path_caps_the_memory() {
        let cgroups = "0::/user.slice/job.scope\n";
        assert_eq!(
            limit_from(
                cgroups,
                &[
                    ("/sys/fs/cgroup/user.slice/job.scope/memory.max", "max\n"),
                    ("/sys/fs/cgroup/user.slice/memory.max", "536870912\n"),
                ]
            ),
            Some(512 << 20),
            "a parent's limit binds its children"
        );
        assert_eq!(
            limit_from(cgroups, &[("/sys/fs/cgroup/memory.max", "max\n")]),
            None
        );
    }

    #[test]
    fn a_cgroup_v1_limit_caps_the_memory_and_its_no_limit_value_does_not() {
        let cgroups = "4:memory:/process_api/abc\n3:cpuset:/\n0::/\n";
        assert_eq!(
            limit_from(
                cgroups,
                &[
                    (
                        "/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes",
                        "2147483648\n"
                    ),
                    (
                        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                        "9223372036854771712\n"
                    ),
                ]
            ),
            Some(2 << 30)
        );
        assert_eq!(
            limit_from(
                cgroups,
                &[(
                    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                    "9223372036854771712\n"
                )]
            ),
            None
        );
        assert_eq!(limit_from("garbage\n", &[]), None);
    }

    #[test]
    fn mem_total_is_read_in_bytes() {
        assert_eq!(
            mem_total("MemTotal:       24567892 kB\nMemFree: 1 kB\n"),
            Some(24567892 * 1024)
        );
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn caps_name_the_parameter_over_the_cap() {
        let caps = KdfCaps::for_physical_memory(Some(8 << 30));
        assert_eq!(caps.max_memory_bytes, 4 << 30);
        assert_eq!(
            KdfCaps::for_physical_memory(Some(2 << 30)).max_memory_bytes,
            1 << 30
        );
        let huge = KdfParams::Argon2id(Argon2idParams::unvalidated(u32::MAX, 1, 1));
        let error = caps.check(&huge).unwrap_err();
        assert_eq!(
            error,
            CapExceeded {
                parameter: KdfParameter::Memory,
                value: u128::from(u32::MAX) * 1024,
                cap: 4 << 30,
            }
        );
        assert_eq!(
            error.to_string(),
            "memory = 4294967295 KiB, above the cap of 4 GiB"
        );
        let slow = KdfParams::Argon2id(Argon2idParams::unvalidated(64, u32::MAX, 1));
        assert_eq!(
            caps.check(&slow).unwrap_err().parameter,
            KdfParameter::Argon2Passes
        );
        let scrypt = KdfParams::Scrypt(ScryptParams::unvalidated(23, 8, 1));
        let error = caps.check(&scrypt).unwrap_err();
        assert_eq!(error.parameter, KdfParameter::ScryptLogN);
        assert_eq!(error.to_string(), "log2 N = 23, above the cap of 22");
        assert!(caps.check(&KdfKind::Argon2id.default_params()).is_ok());
        assert!(caps.check(&KdfKind::Scrypt.default_params()).is_ok());
    }

    #[test]
    fn work_is_memory_times_passes_and_is_capped_per_slot() {
        let caps = KdfCaps::for_physical_memory(None);
        // Every parameter at its cap, but 4 GiB × 64 passes.
        let heavy = KdfParams::Argon2id(Argon2idParams::unvalidated(4 << 20, 64, 64));
        assert_eq!(heavy.work_bytes(), 256 << 30);
        let error = caps.check(&heavy).unwrap_err();
        assert_eq!(error.parameter, KdfParameter::Work);
        let scrypt = KdfParams::Scrypt(ScryptParams::unvalidated(22, 32, 16));
        assert_eq!(scrypt.work_bytes(), 128 * 32 * (1 << 22) * 16);
        // log2 N, r and p at their caps: memory (16 GiB + 64 KiB) is named before work.
        assert_eq!(
            caps.check(&scrypt).unwrap_err().parameter,
            KdfParameter::Memory
        );
        let at_cap = KdfParams::Argon2id(Argon2idParams::unvalidated(1 << 20, 16, 4));
        assert!(
            caps.check(&at_cap).is_ok(),
            "a value equal to its cap is allowed"
        );
        assert!(
            caps.check(&KdfParams::Scrypt(ScryptParams::unvalidated(20, 8, 16)))
                .is_ok()
        );
    }

    #[test]
    fn the_backup_budget_names_where_it_runs_out() {
        let caps = KdfCaps::for_physical_memory(None);
        let gib = |n: u128| n << 30;
        assert_eq!(caps.check_backup([(0, gib(16)), (3, gib(16))]), Ok(()));
        let (position, exceeded) = caps
            .check_backup([(0, gib(16)), (3, gib(16)), (5, gib(1))])
            .unwrap_err();
        assert_eq!(position, 5);
        assert_eq!(exceeded.parameter, KdfParameter::BackupWork);
        assert_eq!(
            exceeded.to_string(),
            "memory × passes of the password slots so far = 33 GiB, above the cap of 32 GiB"
        );
        // The count is checked before the work.
        let (position, exceeded) = caps
            .check_backup((0..9).map(|position| (position, gib(8))))
            .unwrap_err();
        assert_eq!(
            (position, exceeded.parameter),
            (4, KdfParameter::BackupWork)
        );
        let (position, exceeded) = caps
            .check_backup((0..9).map(|position| (position, 1)))
            .unwrap_err();
        assert_eq!(
            (position, exceeded.parameter),
            (8, KdfParameter::PasswordSlots)
        );
        assert_eq!(
            exceeded.to_string(),
            "password slots so far = 9, above the cap of 8"
        );
    }

    #[test]
    fn caps_change_one_at_a_time() {
        let caps = KdfCaps::for_physical_memory(None)
            .with_max_memory_bytes(1 << 20)
            .with_argon2_max_passes(2)
            .with_argon2_max_lanes(3)
            .with_scrypt_max_log_n(10)
            .with_scrypt_max_r(8)
            .with_scrypt_max_p(2);
        assert_eq!(
            (
                caps.max_memory_bytes(),
                caps.argon2_max_passes(),
                caps.argon2_max_lanes(),
                caps.scrypt_max_log_n(),
                caps.scrypt_max_r(),
                caps.scrypt_max_p()
            ),
            (1 << 20, 2, 3, 10, 8, 2)
        );
    }
}
