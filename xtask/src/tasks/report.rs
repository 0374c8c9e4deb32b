//! `cargo xtask report`: re-renders every host's report and the cross-host index from the JSON
//! results already under the reports folder, measuring nothing; with `--add FILE`, first takes
//! in a run file made elsewhere (`e2eb bench` on a device) and re-renders that host and the
//! index; with `--host ID`, re-renders that host and the index alone.

use std::path::PathBuf;

use crate::report::{add_run, render_all, render_hosts};
use crate::workspace::workspace_root;

/// Options of `cargo xtask report`.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// The folder holding one folder per host [default: reports/ in the workspace].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A run file to add as `<out>/<host-id>/<timestamp>.json` (checked against the schema
    /// first), e.g. one written by `e2eb bench -o FILE` on a device; then only that host's
    /// page and the index are rendered.
    #[arg(long, value_name = "FILE", conflicts_with = "host")]
    pub add: Option<PathBuf>,
    /// Render only this host's page (and the index), leaving the other hosts' pages as they
    /// are.
    #[arg(long, value_name = "HOST_ID")]
    pub host: Option<String>,
}

pub fn run(options: Options) -> Result<(), String> {
    let reports = options
        .out
        .unwrap_or_else(|| workspace_root().join("reports"));
    let written = match options.add {
        Some(file) => {
            let (host, path) = add_run(&file, &reports)?;
            println!("added {}", path.display());
            render_hosts(&reports, Some(&host))?
        }
        None => match &options.host {
            Some(host) => {
                if !reports.join(host).is_dir() {
                    return Err(format!(
                        "{}: no such host folder",
                        reports.join(host).display()
                    ));
                }
                render_hosts(&reports, Some(host))?
            }
            None => render_all(&reports)?,
        },
    };
    println!("wrote {}", written.join(", "));
    Ok(())
}
