//! `e2eb-vault`: creates a vault's setup file and serves the vault (VAULT.md).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use e2eb_vault::protocol::DEFAULT_MAX_ATTEMPTS;
use e2eb_vault::server::{ServeOptions, Vault, serve};
use e2eb_vault::setup::Setup;
use e2eb_vault::storage;

/// A rate-limited OPAQUE key vault for e2eb backups.
#[derive(Debug, Parser)]
#[command(name = "e2eb-vault", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new vault: its OPRF seed and server key pair, in a file of mode 0600.
    Init {
        /// The setup file to create (never overwritten).
        #[arg(long)]
        setup: PathBuf,
    },
    /// Print a setup file's public key and vault id.
    Info {
        /// The setup file.
        #[arg(long)]
        setup: PathBuf,
    },
    /// Serve the vault.
    Serve {
        /// The setup file written by `init`.
        #[arg(long)]
        setup: PathBuf,
        /// SQLite database file, or a postgres:// URL shared by several servers.
        #[arg(long, default_value = "vault.sqlite")]
        db: String,
        /// Address to listen on (port 0: any free port, printed on start).
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// PEM certificate chain; with --tls-key, serves HTTPS (required off loopback).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Attempts a new account gets, and returns to after each correct login.
        #[arg(long, default_value_t = DEFAULT_MAX_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..=1000))]
        max_attempts: u32,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "e2eb-vault: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Init { setup } => {
            let created = Setup::generate();
            created.write_new(&setup).map_err(|e| e.to_string())?;
            println!("vault id {}", hex::encode(created.vault_id()));
            Ok(())
        }
        Command::Info { setup } => {
            let loaded = Setup::load(&setup).map_err(|e| e.to_string())?;
            println!("server public key {}", hex::encode(loaded.public_key()));
            println!("vault id {}", hex::encode(loaded.vault_id()));
            Ok(())
        }
        Command::Serve {
            setup,
            db,
            listen,
            tls_cert,
            tls_key,
            max_attempts,
        } => {
            let setup = Setup::load(&setup).map_err(|e| e.to_string())?;
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let store = storage::open(&db).await.map_err(|e| e.to_string())?;
                let vault = Arc::new(Vault::new(setup, store, max_attempts));
                let options = ServeOptions {
                    listen,
                    tls: tls_cert.zip(tls_key),
                };
                serve(vault, options, |address, tls| {
                    let scheme = if tls { "https" } else { "http" };
                    // Tests and scripts read this line to learn the port.
                    println!("listening on {scheme}://{address}");
                    let _ = std::io::stdout().flush();
                })
                .await
                .map_err(|e| e.to_string())
            })
        }
    }
}
