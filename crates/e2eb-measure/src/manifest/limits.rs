//! The control-group limits a run was measured under (memory, CPU time, CPUs), read from the
//! process's own cgroup: what tells a simulated or containerised device's figures apart from
//! the machine's.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Control-group limits on this process (cgroup v2, or the v1 `cpu`, `cpuset` and `memory`
/// controllers), the tightest along its path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// The memory limit, bytes.
    pub memory_bytes: Option<u64>,
    /// CPU time per period, as a share of one CPU (0.5: half a CPU).
    pub cpu_share: Option<f64>,
    /// The CPUs the process may run on, in the kernel's list notation (`0`, `0-3,6`).
    pub cpuset: Option<String>,
}

impl Limits {
    /// The limits of this process; `None` where there are none or /proc does not tell.
    pub fn of_this_process() -> Option<Limits> {
        let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let root = Path::new("/sys/fs/cgroup");
        let read = |path: &Path| std::fs::read_to_string(path).ok();
        let limits = Limits {
            memory_bytes: e2eb::KdfCaps::cgroup_memory_limit(),
            cpu_share: cgroup_cpu_share(&cgroups, root, read),
            cpuset: cgroup_cpuset(&cgroups, root, read),
        };
        (limits != Limits::default()).then_some(limits)
    }
}

/// The folders of this process's cgroup for `controller` (v1) or the unified hierarchy (v2),
/// from the cgroup's own folder up to the root.
fn cgroup_folders(cgroups: &str, root: &Path, controller: &str) -> Vec<std::path::PathBuf> {
    let mut folders = Vec::new();
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let base = if controllers.is_empty() {
            root.to_path_buf()
        } else if controllers.split(',').any(|name| name == controller) {
            root.join(controller)
        } else {
            continue;
        };
        let mut path = Path::new(path.trim_start_matches('/'));
        loop {
            folders.push(base.join(path));
            match path.parent() {
                Some(parent) => path = parent,
                None => break,
            }
        }
    }
    folders
}

/// The tightest CPU quota along the path: v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, v2
/// `cpu.max` (`QUOTA PERIOD` or `max PERIOD`).
fn cgroup_cpu_share(
    cgroups: &str,
    root: &Path,
    read: impl Fn(&Path) -> Option<String>,
) -> Option<f64> {
    cgroup_folders(cgroups, root, "cpu")
        .iter()
        .filter_map(|folder| {
            let (quota, period) = match read(&folder.join("cpu.max")) {
                Some(max) => {
                    let mut fields = max.split_whitespace();
                    (
                        fields.next()?.parse::<f64>().ok()?,
                        fields.next()?.parse::<f64>().ok()?,
                    )
                }
                None => (
                    read(&folder.join("cpu.cfs_quota_us"))?
                        .trim()
                        .parse::<f64>()
                        .ok()?,
                    read(&folder.join("cpu.cfs_period_us"))?
                        .trim()
                        .parse::<f64>()
                        .ok()?,
                ),
            };
            (quota > 0.0 && period > 0.0).then(|| quota / period)
        })
        .min_by(f64::total_cmp)
}

/// The CPUs of the innermost cpuset that names any (`cpuset.cpus.effective`, else
/// `cpuset.cpus`), unless it is every CPU the machine has online.
fn cgroup_cpuset(
    cgroups: &str,
    root: &Path,
    read: impl Fn(&Path) -> Option<String>,
) -> Option<String> {
    let cpus = cgroup_folders(cgroups, root, "cpuset")
        .iter()
        .find_map(|folder| {
            ["cpuset.cpus.effective", "cpuset.cpus"]
                .iter()
                .filter_map(|name| read(&folder.join(name)))
                .map(|text| text.trim().to_owned())
                .find(|text| !text.is_empty())
        })?;
    let online =
        read(Path::new("/sys/devices/system/cpu/online")).map(|text| text.trim().to_owned());
    (online.as_deref() != Some(cpus.as_str())).then_some(cpus)
}
