//! `e2eb bench`: measures this device as `cargo xtask bench` measures a development machine
//! (AEAD per compiled-in backend, the backup stream on 1..N threads, the KDF grid within this
//! process's memory and the picks for target times) and writes a run file of the same schema,
//! for `cargo xtask report --add` to take into the reports. For phones and boards that have the
//! binary and nothing else: no repository, toolchain, OpenSSL or C compiler.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use e2eb_measure::bench::kdf::{self, ChildCommand};
use e2eb_measure::bench::probe;
use e2eb_measure::bench::{Profile, ProfileName};
use e2eb_measure::manifest::slugify;
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Failure;
use crate::output::{Contents, OutputPlan};

#[derive(Debug, Args)]
#[command(after_help = "\
Writes one JSON run file in the schema of `cargo xtask bench` (reports/SCHEMA.md), its host \
record marked as this probe's and listing what a lone binary cannot measure (the software-only \
AEAD build, the OpenSSL and reference-C comparisons, crate versions and commit). KDF settings \
stay within a quarter of the memory this process may use (the machine's, or its control \
group's limit where lower). Take the file to a checkout and run \
`cargo xtask report --add FILE` to add the device to reports/.")]
pub struct BenchArgs {
    /// How much to measure: tiny takes seconds (a smoke test), quick a few minutes on two
    /// cores, full longer
    #[arg(long, value_enum, default_value_t = ProfileName::Quick)]
    pub profile: ProfileName,

    /// Write the run file to FILE
    #[arg(short, long = "output", value_name = "FILE")]
    pub output: PathBuf,

    /// Replace FILE if it exists (it is replaced only once the new one is complete)
    #[arg(long)]
    pub force: bool,

    /// The host's name in reports/ (lower-case letters, digits and dashes) [default: derived
    /// from the CPU model, threads and memory]
    #[arg(long, value_name = "NAME", value_parser = parse_host_name)]
    pub host: Option<String>,

    /// A note to record with the run, e.g. how a device was simulated (repeatable)
    #[arg(long, value_name = "TEXT")]
    pub note: Vec<String>,

    /// Show no progress on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

/// The flag that makes this program the child `e2eb bench` starts once per KDF setting (so
/// that its peak memory belongs to that setting alone), alone after the program's name:
/// `e2eb --bench-kdf-probe --setting JSON --serve`. Not a subcommand, which the completions
/// would offer to everyone.
const KDF_PROBE_FLAG: &str = "--bench-kdf-probe";

/// The arguments that make this program a KDF probe child.
const KDF_PROBE_ARGS: [&str; 1] = [KDF_PROBE_FLAG];

/// The setting's JSON, where the command line is `e2eb --bench-kdf-probe --setting JSON
/// --serve`.
pub fn kdf_probe_requested() -> Option<String> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.as_slice() {
        [flag, setting_flag, setting, serve]
            if flag == KDF_PROBE_FLAG && setting_flag == "--setting" && serve == "--serve" =>
        {
            Some(setting.clone())
        }
        _ => None,
    }
}

fn parse_host_name(name: &str) -> Result<String, String> {
    if !name.is_empty() && slugify(name) == name {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{name:?} is not a host name for reports/: use lower-case letters, digits and \
             single dashes, e.g. {:?}",
            slugify(name)
        ))
    }
}

pub fn run(args: BenchArgs) -> Result<(), Failure> {
    // Checked before minutes of measuring: an existing file without --force, a missing folder.
    let plan = OutputPlan::new(&args.output, args.force, Contents::Public, None)?;
    let child = ChildCommand::this_program(&KDF_PROBE_ARGS).map_err(Failure::new)?;
    let options = probe::Options {
        profile: Profile::new(args.profile),
        host_id: args.host,
        program: format!("e2eb {}", env!("CARGO_PKG_VERSION")),
        child,
        notes: args.note,
    };
    let progress = Steps::new(!args.quiet);
    let run =
        probe::run(options, |total| progress.begin(total), &progress).map_err(Failure::new)?;
    progress.finish();
    let mut text = serde_json::to_string_pretty(&run)
        .map_err(|error| Failure::new(format!("cannot write the run as JSON: {error}")))?;
    text.push('\n');
    let label = args.output.display().to_string();
    let mut output = plan.open()?;
    output
        .write_all(text.as_bytes())
        .map_err(|error| Failure::io(format!("cannot write {label}"), &error))?;
    output.commit()?;
    if !args.quiet {
        let _ = writeln!(
            io::stderr(),
            "e2eb bench: {} figures of host {} in {:.0} s written to {label}; add them to a \
             checkout's reports with `cargo xtask report --add {label}`",
            run.aead.len() + run.stream.len() + run.memory_ceiling.len() + run.kdf.len(),
            run.host.host_id,
            run.measure_seconds,
        );
        for note in &run.notes {
            let _ = writeln!(io::stderr(), "e2eb bench: note: {note}");
        }
    }
    Ok(())
}

/// The child's side of one KDF setting.
pub fn kdf_probe(setting: &str) -> Result<(), Failure> {
    kdf::serve(setting).map_err(Failure::new)
}

/// Progress on stderr: a bar on a terminal, one line per step elsewhere (a log, a serial
/// console), nothing with --quiet.
struct Steps {
    enabled: bool,
    bar: Option<ProgressBar>,
    count: std::cell::Cell<(u64, u64)>,
}

impl Steps {
    fn new(enabled: bool) -> Steps {
        let bar = (enabled && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise:.dim} [{bar:32}] {pos}/{len} {wide_msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Steps {
            enabled,
            bar,
            count: std::cell::Cell::new((0, 0)),
        }
    }

    fn begin(&self, total: u64) {
        self.count.set((0, total));
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        } else if self.enabled {
            let _ = writeln!(io::stderr(), "e2eb bench: {total} measurements");
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl e2eb_measure::bench::Progress for Steps {
    fn start(&self, what: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(what);
        } else if self.enabled {
            let (done, total) = self.count.get();
            let _ = writeln!(io::stderr(), "e2eb bench: [{}/{total}] {what}", done + 1);
        }
    }

    fn done(&self) {
        let (done, total) = self.count.get();
        self.count.set((done + 1, total));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn skip(&self, steps: u64) {
        let (done, total) = self.count.get();
        self.count.set((done + steps, total));
        if let Some(bar) = &self.bar {
            bar.inc(steps);
        }
    }
}
