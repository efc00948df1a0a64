//! SIMULATOR of the social-security network (synthetic people, dev and tests only).

use std::time::Duration;

use clap::Parser;
use secal_proto::{sim::v1::SimulatedSourceMode, v1::IncomeSource};

/// secal-ssn-simulator: serves synthetic incomes for the data-exchange service's connectors.
/// Never connect it to production: its people are invented.
#[derive(Debug, Parser)]
#[command(name = "secal-ssn-simulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(
        long,
        env = "SECAL_SSN_SIMULATOR_LISTEN",
        default_value = "127.0.0.1:50070"
    )]
    listen: String,
    /// Sources answering slowly (employment, holiday-pay, unemployment, sickness-benefits, pensions).
    #[arg(long, value_delimiter = ',')]
    slow: Vec<String>,
    /// Delay of slow sources, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    slow_ms: u64,
    /// Sources failing two calls out of three.
    #[arg(long, value_delimiter = ',')]
    failing: Vec<String>,
    /// Sources that are down.
    #[arg(long, value_delimiter = ',')]
    down: Vec<String>,
    /// Answer as of this day (YYYY-MM-DD) rather than today: what has happened and been
    /// declared by then, the same answers on every day.
    #[arg(long, env = "SECAL_SSN_SIMULATOR_TODAY")]
    today: Option<chrono::NaiveDate>,
}

fn source(name: &str) -> Result<IncomeSource, String> {
    let full = format!(
        "INCOME_SOURCE_{}",
        name.trim().to_ascii_uppercase().replace('-', "_")
    );
    IncomeSource::from_str_name(&full).ok_or_else(|| format!("unknown source '{name}'"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let run = async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("binding {}: {e}", args.listen))?;
        let sim = secal_data_exchange::simulator::Simulator::start_as_of(listener, args.today)
            .map_err(|e| e.to_string())?;
        let switch = |names: &[String], mode, delay| -> Result<(), String> {
            for n in names {
                sim.set_mode(source(n)?, mode, delay);
            }
            Ok(())
        };
        switch(
            &args.slow,
            SimulatedSourceMode::Slow,
            Duration::from_millis(args.slow_ms),
        )?;
        switch(&args.failing, SimulatedSourceMode::Failing, Duration::ZERO)?;
        switch(&args.down, SimulatedSourceMode::Down, Duration::ZERO)?;
        eprintln!(
            "secal-ssn-simulator (SYNTHETIC DATA) listening on {}",
            sim.addr()
        );
        tokio::select! {
            r = sim.wait() => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    };
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("secal-ssn-simulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
