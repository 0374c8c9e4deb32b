//! `cargo xtask report`: re-renders every host's report and the cross-host index from the JSON
//! results already under the reports folder, measuring nothing.

use std::path::PathBuf;

use crate::report::render_all;
use crate::workspace::workspace_root;

/// Options of `cargo xtask report`.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// The folder holding one folder per host [default: reports/ in the workspace].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(options: Options) -> Result<(), String> {
    let reports = options
        .out
        .unwrap_or_else(|| workspace_root().join("reports"));
    let written = render_all(&reports)?;
    println!("wrote {}", written.join(", "));
    Ok(())
}
