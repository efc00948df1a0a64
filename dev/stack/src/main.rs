//! `secal-dev`: the local stack and development tokens.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = secal_devstack::Cli::parse();
    match secal_devstack::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("secal-dev: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
