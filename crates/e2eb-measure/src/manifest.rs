//! The host manifest recorded with every result: what machine, OS, compiler, crate versions
//! and build settings produced the figures, and from which commit; here what the machine alone
//! tells (/proc, /sys, the build), which `cargo xtask bench` completes from the repository and
//! `e2eb bench` leaves as it is.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

mod limits;
pub use limits::Limits;

/// Where, and with what, a run was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The folder name under `reports/`: a slug of the CPU model, thread count and memory
    /// (hostnames of cloud and CI machines say nothing about the hardware), unless given.
    pub host_id: String,
    /// The machine's hostname.
    pub hostname: String,
    /// `std::env::consts::ARCH`, e.g. `x86_64`, `aarch64`.
    pub arch: String,
    /// The CPU model as /proc/cpuinfo names it.
    pub cpu_model: String,
    /// CPUs this process may run on.
    pub logical_cpus: usize,
    /// Distinct physical cores, where /proc/cpuinfo tells them apart.
    pub physical_cores: Option<usize>,
    /// The crypto-relevant CPU flags of /proc/cpuinfo for this architecture, present or not.
    pub cpu_features: BTreeMap<String, bool>,
    /// The CPU reports running under a hypervisor (a virtual machine, whose neighbours add noise).
    pub hypervisor: bool,
    /// Cache levels of CPU 0, e.g. `L1d 48 KiB`.
    pub caches: Vec<String>,
    /// Physical memory in bytes.
    pub memory_bytes: Option<u64>,
    /// The OS's name and version (`PRETTY_NAME` of /etc/os-release).
    pub os: String,
    /// The kernel release.
    pub kernel: String,
    /// The compiler that built the measuring code (`rustc -V`).
    pub rustc: String,
    /// Versions, from Cargo.lock, of the crates whose code is measured.
    pub crates: BTreeMap<String, String>,
    /// How the measuring code was compiled.
    pub build: BuildInfo,
    /// `git rev-parse HEAD` of the workspace.
    pub git_commit: Option<String>,
    /// Tracked files differed from that commit.
    pub git_dirty: Option<bool>,
    /// When the run started, RFC 3339 in UTC.
    pub timestamp: String,
    /// Vendor, family, model, stepping, microcode and clock from /proc/cpuinfo (a hypervisor
    /// may mask the model name but rarely these); absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_identity: Option<CpuIdentity>,
    /// Every CPU flag the OS reports enabled (`flags` or `Features` of the first processor);
    /// absent in older files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_flags: Vec<String>,
    /// Load average and steal time at the start of the run and at its end; absent in older
    /// files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadRecord>,
    /// The control-group limits this process ran under (a container, or a simulated smaller
    /// device), where any was set; absent in older files and where none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Set when the run came from `e2eb bench`, the lone binary, rather than from
    /// `cargo xtask bench` in the repository; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeRecord>,
}

/// A run made by `e2eb bench` on a device without the repository or a toolchain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// The program and its version, e.g. `e2eb 0.1.0`.
    pub program: String,
    /// What such a run cannot measure or record, in words, one entry per part.
    pub absent: Vec<String>,
}

/// What identifies a CPU beyond its (possibly masked) model name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuIdentity {
    /// `vendor_id` (x86) or `CPU implementer` (ARM).
    pub vendor: Option<String>,
    /// `cpu family` (x86) or `CPU architecture` (ARM).
    pub family: Option<String>,
    /// `model` (x86) or `CPU part` (ARM).
    pub model: Option<String>,
    /// `stepping` (x86) or `CPU variant`/`CPU revision` (ARM).
    pub stepping: Option<String>,
    /// `microcode` revision (x86).
    pub microcode: Option<String>,
    /// `cpu MHz` of the first processor when the run started (a VM often reports the host's
    /// nominal clock).
    pub mhz: Option<f64>,
}

/// The machine's load when the run started and when it ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadRecord {
    pub before: LoadSample,
    pub after: Option<LoadSample>,
}

/// One reading of /proc/loadavg and the `cpu` line of /proc/stat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadSample {
    /// The 1, 5 and 15 minute load averages.
    pub load_average: [f64; 3],
    /// Clock ticks all CPUs spent, in every state, since boot.
    pub total_ticks: u64,
    /// Of those, ticks the hypervisor ran something else while a virtual CPU wanted to run
    /// (steal time).
    pub steal_ticks: u64,
}

impl LoadSample {
    /// This machine's load now; `None` where /proc does not tell.
    pub fn now() -> Option<LoadSample> {
        let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        LoadSample::parse(&loadavg, &stat)
    }

    /// Reads the texts of /proc/loadavg and /proc/stat.
    pub fn parse(loadavg: &str, stat: &str) -> Option<LoadSample> {
        let mut averages = loadavg.split_whitespace().map(str::parse::<f64>);
        let load_average = [
            averages.next()?.ok()?,
            averages.next()?.ok()?,
            averages.next()?.ok()?,
        ];
        let cpu = stat.lines().find(|line| line.starts_with("cpu "))?;
        let ticks: Vec<u64> = cpu
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is
        // already counted in user and nice.
        let total_ticks = ticks.iter().take(8).sum();
        Some(LoadSample {
            load_average,
            total_ticks,
            steal_ticks: ticks.get(7).copied().unwrap_or(0),
        })
    }
}

impl LoadRecord {
    /// The share of CPU time stolen by the hypervisor between the two readings.
    pub fn steal_share(&self) -> Option<f64> {
        let after = self.after.as_ref()?;
        let total = after.total_ticks.checked_sub(self.before.total_ticks)?;
        let steal = after.steal_ticks.checked_sub(self.before.steal_ticks)?;
        (total > 0).then(|| steal as f64 / total as f64)
    }
}

/// Compiler settings of the build that measured the native figures (xtask itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// Cargo profile, e.g. `release`.
    pub profile: String,
    /// `opt-level`.
    pub opt_level: String,
    /// Debug-info level.
    pub debug: String,
    /// Target triple.
    pub target: String,
    /// RUSTFLAGS in effect (empty when none).
    pub rustflags: String,
    /// Target features enabled at compile time (run-time detected features are in
    /// `cpu_features`).
    pub target_features: String,
    /// The workspace's `[profile.release]` settings, e.g. `lto = "thin"`.
    pub profile_settings: BTreeMap<String, String>,
}

/// Crates whose code runs in the measurements, in the order a reader looks for them.
const MEASURED_CRATES: [&str; 17] = [
    "e2eb",
    "ring",
    "aws-lc-rs",
    "aws-lc-sys",
    "aes-gcm",
    "aes",
    "ghash",
    "polyval",
    "chacha20poly1305",
    "chacha20",
    "poly1305",
    "cpufeatures",
    "argon2",
    "blake2",
    "scrypt",
    "rayon",
    "criterion",
];

/// CPU flags that decide which AEAD and hash code paths run.
const X86_FEATURES: [&str; 7] = [
    "aes",
    "pclmulqdq",
    "avx2",
    "vaes",
    "vpclmulqdq",
    "avx512f",
    "sha_ni",
];
const ARM_FEATURES: [&str; 3] = ["aes", "pmull", "sha2"];

/// Gathers what this machine and build tell of themselves, without tools or a repository:
/// `crates` holds only this crate's own version, `build.profile_settings`, `git_commit` and
/// `git_dirty` are left empty for [`complete_from_workspace`] to fill where there is one.
pub fn collect(host_id: Option<String>, timestamp: String) -> Manifest {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = parse_cpuinfo(&cpuinfo);
    let logical_cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let memory_bytes = e2eb::KdfCaps::machine_memory();
    let arch = std::env::consts::ARCH.to_owned();
    let wanted: &[&str] = if arch.starts_with("arm") || arch == "aarch64" {
        &ARM_FEATURES
    } else {
        &X86_FEATURES
    };
    let cpu_features = wanted
        .iter()
        .map(|&name| (name.to_owned(), cpu.flags.iter().any(|flag| flag == name)))
        .collect();
    let machine = read_trimmed("/etc/machine-id")
        .or_else(|| read_trimmed("/proc/sys/kernel/hostname"))
        .unwrap_or_default();
    let fingerprint = host_fingerprint(&machine, &cpu.identity, memory_bytes);
    Manifest {
        host_id: host_id.unwrap_or_else(|| {
            format!(
                "{}-{fingerprint}",
                default_host_id(&cpu.model, logical_cpus, memory_bytes)
            )
        }),
        hostname: read_trimmed("/proc/sys/kernel/hostname").unwrap_or_default(),
        arch,
        cpu_model: cpu.model,
        logical_cpus,
        physical_cores: cpu.physical_cores,
        cpu_features,
        hypervisor: cpu.flags.iter().any(|flag| flag == "hypervisor"),
        caches: caches(),
        memory_bytes,
        os: os_name(),
        kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_default(),
        rustc: env!("E2EB_MEASURE_BUILD_RUSTC_VERSION").to_owned(),
        crates: BTreeMap::from([("e2eb".to_owned(), env!("CARGO_PKG_VERSION").to_owned())]),
        build: BuildInfo {
            profile: env!("E2EB_MEASURE_BUILD_PROFILE").to_owned(),
            opt_level: env!("E2EB_MEASURE_BUILD_OPT_LEVEL").to_owned(),
            debug: env!("E2EB_MEASURE_BUILD_DEBUG").to_owned(),
            target: env!("E2EB_MEASURE_BUILD_TARGET").to_owned(),
            rustflags: env!("E2EB_MEASURE_BUILD_CARGO_ENCODED_RUSTFLAGS").to_owned(),
            target_features: env!("E2EB_MEASURE_BUILD_CARGO_CFG_TARGET_FEATURE").to_owned(),
            profile_settings: BTreeMap::new(),
        },
        git_commit: None,
        git_dirty: None,
        timestamp,
        cpu_identity: Some(cpu.identity),
        cpu_flags: cpu.flags,
        load: LoadSample::now().map(|before| LoadRecord {
            before,
            after: None,
        }),
        limits: Limits::of_this_process(),
        probe: None,
    }
}

/// Fills in what the repository at `workspace` tells: the measured crates' versions from
/// Cargo.lock, the release profile from Cargo.toml, the commit and whether the tree was dirty.
pub fn complete_from_workspace(manifest: &mut Manifest, workspace: &Path) {
    let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).unwrap_or_default();
    let manifest_toml = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap_or_default();
    if manifest.hostname.is_empty() {
        manifest.hostname = command_output("hostname", &[], workspace).unwrap_or_default();
    }
    manifest.crates = crate_versions(&lock, &MEASURED_CRATES);
    manifest.build.profile_settings = toml_section(&manifest_toml, "profile.release");
    manifest.git_commit = command_output("git", &["rev-parse", "HEAD"], workspace);
    manifest.git_dirty = command_output(
        "git",
        &["status", "--porcelain", "--untracked-files=no"],
        workspace,
    )
    .map(|status| !status.is_empty());
}

/// Six hex digits that tell apart machines whose CPU model, thread count and memory read the
/// same (a hypervisor's masked "Intel(R) Xeon(R) Processor" with 2 vCPUs and 24 GiB is most
/// cloud VMs): FNV-1a over the machine id (/etc/machine-id, else the hostname), the CPU's
/// vendor, family, model and stepping, and the exact memory size. `--host-id` names a host
/// outright.
pub fn host_fingerprint(machine: &str, cpu: &CpuIdentity, memory_bytes: Option<u64>) -> String {
    let text = format!(
        "{machine}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        cpu.vendor, cpu.family, cpu.model, cpu.stepping, memory_bytes
    );
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:06x}", hash >> 40)
}

/// What /proc/cpuinfo says about the CPU.
#[derive(Debug, Default, PartialEq)]
pub struct CpuInfo {
    /// `model name` (x86), else a description from the ARM fields.
    pub model: String,
    /// The `flags` (x86) or `Features` (ARM) of the first processor.
    pub flags: Vec<String>,
    /// Distinct (`physical id`, `core id`) pairs, where both are given.
    pub physical_cores: Option<usize>,
    /// Family, model, stepping, microcode and clock of the first processor.
    pub identity: CpuIdentity,
}

/// Parses the text of /proc/cpuinfo.
pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut info = CpuInfo::default();
    let mut cores = std::collections::BTreeSet::new();
    let mut arm_part = None;
    let mut arm_implementer = None;
    for processor in text.split("\n\n").filter(|block| !block.trim().is_empty()) {
        let mut physical_id = None;
        let mut core_id = None;
        for line in processor.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let first = |field: &mut Option<String>| {
                if field.is_none() {
                    *field = Some(value.to_owned());
                }
            };
            let identity = &mut info.identity;
            match key {
                "vendor_id" | "CPU implementer" => first(&mut identity.vendor),
                "cpu family" | "CPU architecture" => first(&mut identity.family),
                "model" | "CPU part" => first(&mut identity.model),
                "stepping" | "CPU variant" => first(&mut identity.stepping),
                "microcode" => first(&mut identity.microcode),
                "cpu MHz" if identity.mhz.is_none() => identity.mhz = value.parse().ok(),
                _ => {}
            }
            match key {
                "model name" | "Model" if info.model.is_empty() => info.model = value.to_owned(),
                "flags" | "Features" if info.flags.is_empty() => {
                    info.flags = value.split_whitespace().map(str::to_owned).collect();
                }
                "CPU implementer" => arm_implementer = Some(value.to_owned()),
                "CPU part" => arm_part = Some(value.to_owned()),
                "physical id" => physical_id = Some(value.to_owned()),
                "core id" => core_id = Some(value.to_owned()),
                _ => {}
            }
        }
        if let (Some(physical), Some(core)) = (physical_id, core_id) {
            cores.insert((physical, core));
        }
    }
    if info.model.is_empty()
        && let (Some(implementer), Some(part)) = (arm_implementer, arm_part)
    {
        info.model = format!("ARM implementer {implementer} part {part}");
    }
    if info.model.is_empty() {
        info.model = "unknown CPU".to_owned();
    }
    info.physical_cores = (!cores.is_empty()).then_some(cores.len());
    info
}

/// A folder-safe id for this hardware class, e.g. `intel-xeon-processor-2t-24g`.
pub fn default_host_id(cpu_model: &str, logical_cpus: usize, memory_bytes: Option<u64>) -> String {
    let mut slug = slugify(
        &cpu_model
            .replace("(R)", " ")
            .replace("(TM)", " ")
            .replace("(tm)", " ")
            .replace(" CPU ", " "),
    );
    if slug.is_empty() {
        slug = "unknown-cpu".into();
    }
    let memory = memory_bytes.map_or_else(
        || "unknown-memory".to_owned(),
        |bytes| format!("{}g", (bytes as f64 / f64::from(1u32 << 30)).round() as u64),
    );
    format!("{slug}-{logical_cpus}t-{memory}")
}

/// Lower-case letters and digits, runs of anything else as one `-`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for character in text.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// `name → version` from the text of a Cargo.lock, for the crates in `names` that it lists
/// (several versions of one crate are joined with ", ").
pub fn crate_versions(lock: &str, names: &[&str]) -> BTreeMap<String, String> {
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            package.lines().find_map(|line| {
                let (name, value) = line.split_once('=')?;
                (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
            })
        };
        if let (Some(name), Some(version)) = (field("name"), field("version"))
            && names.contains(&name.as_str())
        {
            versions.entry(name).or_default().push(version);
        }
    }
    versions
        .into_iter()
        .map(|(name, list)| (name, list.join(", ")))
        .collect()
}

/// `key → value` lines of the TOML table `[section]` (values as written), enough for the
/// flat `[profile.release]` table.
pub fn toml_section(text: &str, section: &str) -> BTreeMap<String, String> {
    let header = format!("[{section}]");
    text.lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| {
            let line = line.split('#').next()?.trim();
            let (key, value) = line.split_once('=')?;
            Some((key.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

fn caches() -> Vec<String> {
    let mut caches = Vec::new();
    for index in 0..8 {
        let base = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
        let (Some(level), Some(kind), Some(size)) = (
            read_trimmed(&format!("{base}/level")),
            read_trimmed(&format!("{base}/type")),
            read_trimmed(&format!("{base}/size")),
        ) else {
            break;
        };
        let suffix = match kind.as_str() {
            "Data" => "d",
            "Instruction" => "i",
            _ => "",
        };
        let size = size
            .strip_suffix('K')
            .map_or(size.clone(), |kib| format!("{kib} KiB"));
        caches.push(format!("L{level}{suffix} {size}"));
    }
    caches
}

fn os_name() -> String {
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    release
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|name| name.trim_matches('"').to_owned())
        .unwrap_or_else(|| std::env::consts::OS.to_owned())
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_owned())
}

/// Trimmed stdout of `program args` run in `dir`, if it ran and succeeded.
pub fn command_output(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `seconds` since the Unix epoch as RFC 3339 in UTC, e.g. `2026-11-30T07:45:12Z`.
pub fn rfc3339_utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86_CPUINFO: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\nstepping\t: 8\nmodel name\t: Intel(R) Xeon(R) Processor\nphysical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu sse2 aes pclmulqdq avx2 sha_ni hypervisor\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor\nphysical id\t: 0\ncore id\t\t: 1\nflags\t\t: fpu sse2 aes pclmulqdq avx2 sha_ni hypervisor\n\nprocessor\t: 2\nphysical id\t: 0\ncore id\t\t: 1\n\n";

    const ARM_CPUINFO: &str = "processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd aes pmull sha1 sha2 crc32\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n\n";

    #[test]
    fn reads_x86_model_flags_and_cores() {
        let info = parse_cpuinfo(X86_CPUINFO);
        assert_eq!(info.model, "Intel(R) Xeon(R) Processor");
        assert!(info.flags.contains(&"pclmulqdq".to_owned()));
        assert_eq!(
            info.physical_cores,
            Some(2),
            "processor 2 is a sibling of core 1"
        );
    }

    #[test]
    fn reads_arm_features_without_a_model_name() {
        let info = parse_cpuinfo(ARM_CPUINFO);
        assert_eq!(info.model, "ARM implementer 0x41 part 0xd0c");
        assert!(info.flags.contains(&"pmull".to_owned()));
        assert_eq!(info.physical_cores, None);
    }

    #[test]
    fn reads_cpu_identity_and_steal_time() {
        let info = parse_cpuinfo(X86_CPUINFO);
        assert_eq!(info.identity.vendor.as_deref(), Some("GenuineIntel"));
        assert_eq!(info.identity.family.as_deref(), Some("6"));
        assert_eq!(info.identity.model.as_deref(), Some("143"));
        assert_eq!(info.identity.stepping.as_deref(), Some("8"));
        let before = LoadSample::parse(
            "0.52 0.40 0.31 1/234 5678\n",
            "cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\n",
        )
        .unwrap();
        assert_eq!(before.load_average, [0.52, 0.40, 0.31]);
        assert_eq!((before.total_ticks, before.steal_ticks), (1000, 35));
        let after = LoadSample {
            load_average: [1.0, 0.5, 0.3],
            total_ticks: 2000,
            steal_ticks: 85,
        };
        let record = LoadRecord {
            before,
            after: Some(after),
        };
        assert_eq!(record.steal_share(), Some(0.05));
    }

    #[test]
    fn machines_that_look_alike_get_different_fingerprints() {
        let cpu = CpuIdentity {
            vendor: Some("GenuineIntel".into()),
            family: Some("6".into()),
            model: Some("143".into()),
            stepping: Some("8".into()),
            ..CpuIdentity::default()
        };
        let memory = Some(25_276_502_016);
        let one = host_fingerprint("3d1219c7aa", &cpu, memory);
        assert_eq!(one.len(), 6);
        assert_eq!(one, host_fingerprint("3d1219c7aa", &cpu, memory));
        assert_ne!(one, host_fingerprint("9b0e4f2d11", &cpu, memory));
        let other_stepping = CpuIdentity {
            stepping: Some("6".into()),
            ..cpu.clone()
        };
        assert_ne!(one, host_fingerprint("3d1219c7aa", &other_stepping, memory));
    }

    #[test]
    fn host_ids_are_folder_safe() {
        assert_eq!(
            default_host_id(
                "Intel(R) Xeon(R) Processor",
                2,
                Some(24 * (1 << 30) - 12345)
            ),
            "intel-xeon-processor-2t-24g"
        );
        assert_eq!(
            default_host_id("AMD EPYC 7B13 64-Core Processor", 8, None),
            "amd-epyc-7b13-64-core-processor-8t-unknown-memory"
        );
        assert_eq!(slugify("  ../Weird / Name!! "), "weird-name");
    }

    #[test]
    fn crate_versions_come_from_the_lock_file() {
        let lock = "version = 4\n\n[[package]]\nname = \"aes\"\nversion = \"0.9.2\"\nsource = \"registry\"\n\n[[package]]\nname = \"rand\"\nversion = \"0.9.0\"\n\n[[package]]\nname = \"rayon\"\nversion = \"1.12.0\"\n\n[[package]]\nname = \"rayon\"\nversion = \"1.11.0\"\n";
        let versions = crate_versions(lock, &["aes", "rayon", "scrypt"]);
        assert_eq!(versions.get("aes").map(String::as_str), Some("0.9.2"));
        assert_eq!(
            versions.get("rayon").map(String::as_str),
            Some("1.12.0, 1.11.0")
        );
        assert!(!versions.contains_key("rand") && !versions.contains_key("scrypt"));
    }

    #[test]
    fn reads_the_release_profile_table() {
        let toml = "[workspace]\nmembers = []\n\n[profile.release]\nlto = \"thin\" # why\ncodegen-units = 1\n\n[profile.bench]\nlto = false\n";
        let settings = toml_section(toml, "profile.release");
        assert_eq!(settings.len(), 2);
        assert_eq!(settings["lto"], "\"thin\"");
        assert_eq!(settings["codegen-units"], "1");
    }

    #[test]
    fn formats_utc_timestamps() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_798_703_112), "2026-12-31T07:45:12Z");
    }

    #[test]
    fn this_machine_has_a_manifest() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut manifest = collect(None, rfc3339_utc(0));
        complete_from_workspace(&mut manifest, &workspace);
        assert!(manifest.logical_cpus >= 1);
        assert!(!manifest.host_id.is_empty() && !manifest.host_id.contains('/'));
        assert!(
            manifest.crates.contains_key("aes-gcm"),
            "{:?}",
            manifest.crates
        );
        assert!(manifest.rustc.starts_with("rustc "), "{}", manifest.rustc);
        assert!(!manifest.build.profile.is_empty());
    }
}
