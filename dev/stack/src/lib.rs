//! The local stack: a PostgreSQL whose data lives under `.secal/` (kept between runs), the
//! four services as separate processes (PostgreSQL and the services restarted if they die),
//! data-exchange's access-log keys kept in the state folder, a development token issuer, and
//! `.secal/stack.env` for scripts.

mod access_log_keys;
pub mod banner;
mod demo;
mod postgres;
mod stack;
pub mod tokens;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "secal-dev",
    version,
    about = "SECAL local stack and development tokens"
)]
pub struct Cli {
    /// Folder for the stack's state: database, keys, tokens, logs.
    #[arg(long, env = "SECAL_DEV_DIR", default_value = ".secal", global = true)]
    pub dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start PostgreSQL and all four services; stop everything on Ctrl-C.
    Up(stack::UpArgs),
    /// Mint a development token with the stack's key.
    Token(tokens::TokenArgs),
    /// Play the tour of a dossier's life (examples/tour.json) on the running stack.
    Demo(demo::DemoArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => stack::up(&cli.dir, args).await,
        Command::Demo(args) => demo::demo(&cli.dir, args).await,
        Command::Token(args) => {
            println!("{}", tokens::mint(&cli.dir, &args)?);
            Ok(())
        }
    }
}
