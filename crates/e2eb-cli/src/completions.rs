//! Shell completions and manual pages, both generated from the command-line definition so that
//! they cannot disagree with it. `cargo xtask cli-docs` writes the committed copies (doc/).

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManpagesArgs};
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

/// Writes one manual page per command into `args.dir`: e2eb.1, e2eb-encrypt.1,
/// e2eb-whatsapp-decrypt.1, ...
pub fn write_manpages(args: ManpagesArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    command.build();
    write_pages(&command, &args.dir)
}

/// Writes the page of `command` and of its subcommands; once built, a subcommand's display name
/// is the page's name ("e2eb-encrypt").
fn write_pages(command: &clap::Command, dir: &std::path::Path) -> Result<(), Failure> {
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
