//! `cargo xtask simulate-device`: a stand-in for a smaller device on this machine. Builds the
//! release `e2eb`, confines this process to new cgroup v1 groups (a CPU quota, a cpuset and a
//! memory limit) so that the child it starts inherits them, runs `e2eb bench` there and adds
//! the run to the reports with a note saying how it was confined. Needs root and the v1 `cpu`,
//! `cpuset` and `memory` controllers.

use std::path::{Path, PathBuf};
use std::process::Command;

use e2eb_measure::bench::ProfileName;

use crate::report::{add_run, render_hosts};
use crate::workspace::workspace_root;

/// Options of `cargo xtask simulate-device`.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// CPU time the run may use, as a share of one CPU (a CFS quota over a 100 ms period).
    #[arg(long, default_value_t = 0.5)]
    pub cpu_share: f64,
    /// The CPUs it may run on, in the kernel's list notation.
    #[arg(long, default_value = "1")]
    pub cpus: String,
    /// Its memory limit, e.g. 2GiB.
    #[arg(long, default_value = "2GiB", value_parser = e2eb_measure::units::parse_size)]
    pub memory: u64,
    /// The profile of `e2eb bench`.
    #[arg(long, value_enum, default_value_t = ProfileName::Quick)]
    pub profile: ProfileName,
    /// The host's name in the reports.
    #[arg(long, default_value = "simulated-1cpu-half-2g")]
    pub host: String,
    /// The folder holding one folder per host [default: reports/ in the workspace].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The groups' name under each controller.
const GROUP: &str = "e2eb-simulated-device";
const PERIOD_US: u64 = 100_000;

pub fn run(options: Options) -> Result<(), String> {
    if !(0.01..=64.0).contains(&options.cpu_share) {
        return Err(format!(
            "--cpu-share {} is not between 0.01 and 64",
            options.cpu_share
        ));
    }
    let workspace = workspace_root();
    let reports = options
        .out
        .clone()
        .unwrap_or_else(|| workspace.join("reports"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "e2eb-cli"])
        .current_dir(&workspace)
        .status()
        .map_err(|error| format!("cargo build: {error}"))?;
    if !status.success() {
        return Err("building the release e2eb failed".into());
    }
    let e2eb = crate::workspace::target_dir().join("release/e2eb");

    let quota_us = (options.cpu_share * PERIOD_US as f64).round() as u64;
    let mems = read("/sys/fs/cgroup/cpuset/cpuset.mems")?;
    let settings: [(&str, Vec<(&str, String)>); 3] = [
        (
            "cpu",
            vec![
                ("cpu.cfs_period_us", PERIOD_US.to_string()),
                ("cpu.cfs_quota_us", quota_us.to_string()),
            ],
        ),
        (
            "cpuset",
            vec![("cpuset.cpus", options.cpus.clone()), ("cpuset.mems", mems)],
        ),
        (
            "memory",
            vec![("memory.limit_in_bytes", options.memory.to_string())],
        ),
    ];
    let mut groups = Vec::new();
    for (controller, files) in &settings {
        let parent = own_group(controller)?;
        let group = parent.join(GROUP);
        std::fs::create_dir_all(&group).map_err(|error| {
            format!(
                "{}: {error} (root and the cgroup v1 {controller} controller are needed)",
                group.display()
            )
        })?;
        for (file, value) in files {
            write(&group.join(file), value)?;
        }
        groups.push((parent, group));
    }
    // Joined by this process, so that the child is confined from its first instruction.
    for (_, group) in &groups {
        write(&group.join("cgroup.procs"), &std::process::id().to_string())?;
    }
    let note = format!(
        "Simulated constrained device: the release e2eb binary run by `cargo xtask \
         simulate-device` inside cgroup v1 groups that limit it to {} of one CPU \
         (cpu.cfs_quota_us={quota_us} per cpu.cfs_period_us={PERIOD_US}), to CPUs {} \
         (cpuset.cpus) and to {} bytes of memory (memory.limit_in_bytes). Other processes may \
         share the machine, so the figures are noisier than a real device would give; the load \
         and steal fields of the host record show how busy it was.",
        options.cpu_share, options.cpus, options.memory
    );
    let scratch = tempfile::tempdir().map_err(|error| error.to_string())?;
    let file = scratch.path().join("run.json");
    let profile = clap::ValueEnum::to_possible_value(&options.profile)
        .map(|value| value.get_name().to_owned())
        .unwrap_or_default();
    let outcome = Command::new(&e2eb)
        .args([
            "bench",
            "--profile",
            &profile,
            "--host",
            &options.host,
            "--note",
            &note,
            "-o",
        ])
        .arg(&file)
        .status()
        .map_err(|error| format!("{}: {error}", e2eb.display()));
    // Back to the groups this process came from, so that the new ones can go.
    for (parent, group) in &groups {
        write(
            &parent.join("cgroup.procs"),
            &std::process::id().to_string(),
        )?;
        let _ = std::fs::remove_dir(group);
    }
    if !outcome?.success() {
        return Err("e2eb bench failed".into());
    }
    let (host, path) = add_run(&file, &reports)?;
    println!("added {}", path.display());
    let written = render_hosts(&reports, Some(&host))?;
    println!("wrote {}", written.join(", "));
    Ok(())
}

/// This process's group folder under the v1 `controller`'s mount.
fn own_group(controller: &str) -> Result<PathBuf, String> {
    let cgroups = read("/proc/self/cgroup")?;
    cgroups
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            controllers
                .split(',')
                .any(|name| name == controller)
                .then(|| {
                    Path::new("/sys/fs/cgroup")
                        .join(controller)
                        .join(path.trim_start_matches('/'))
                })
        })
        .next()
        .ok_or_else(|| format!("no cgroup v1 {controller} controller in /proc/self/cgroup"))
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .map_err(|error| format!("{path}: {error}"))
}

fn write(path: &Path, value: &str) -> Result<(), String> {
    std::fs::write(path, value).map_err(|error| format!("{}: {error}", path.display()))
}
