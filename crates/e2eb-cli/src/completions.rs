//! Shell completions and manual pages, both generated from the command-line definition so that
//! they cannot disagree with it. `cargo xtask cli-docs` writes the committed copies (doc/).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Failure;

/// Prints the completion script of `args.shell` on stdout.
pub fn print_completions(args: CompletionsArgs) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "e2eb", &mut script);
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(&script)
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::io("cannot write stdout", &error))
}

/// The flag that asks for the manual pages, alone after the program's name: `e2eb
/// --write-manpages DIR`. Not a subcommand, which the completions would offer to everyone.
const WRITE_MANPAGES: &str = "--write-manpages";

/// DIR, where the command line is `e2eb --write-manpages DIR`.
pub fn manpages_requested() -> Option<PathBuf> {
    let mut arguments = std::env::args_os().skip(1);
    let (flag, dir) = (arguments.next()?, arguments.next()?);
    (flag == WRITE_MANPAGES && arguments.next().is_none()).then(|| PathBuf::from(dir))
}

/// Writes one manual page per command into `dir`: e2eb.1, e2eb-encrypt.1,
/// e2eb-whatsapp-decrypt.1, ...
pub fn write_manpages(dir: &Path) -> Result<(), Failure> {
    let mut command = Cli::command();
    command.build();
    write_pages(&command, dir)
}

/// Writes the page of `command` and of its subcommands; once built, a subcommand's display name
/// is the page's name ("e2eb-encrypt").
fn write_pages(command: &clap::Command, dir: &Path) -> Result<(), Failure> {
    let name = command.get_display_name().unwrap_or(command.get_name());
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut roff)
        .map_err(|error| Failure::io(format!("cannot render the page of {name}"), &error))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, roff)
        .map_err(|error| Failure::io(format!("cannot write {}", path.display()), &error))?;
    for subcommand in command.get_subcommands() {
        if subcommand.is_hide_set() || subcommand.get_name() == "help" {
            continue;
        }
        write_pages(subcommand, dir)?;
    }
    Ok(())
}
