use clap::Parser;
use secal_runtime::{config::CommonArgs, server::shutdown_signal, service};

/// SECAL calculation service: the rules engine and its reference data.
#[derive(Debug, Parser)]
#[command(name = "secal-calculation", version)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    config: secal_calculation::Config,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Args = secal_runtime::config::parse_or_exit();
    let result = service::run(
        secal_calculation::SPEC,
        &args.common,
        args.config,
        |ctx, config, listener| {
            Box::pin(secal_calculation::serve(
                ctx,
                config,
                listener,
                shutdown_signal(),
            ))
        },
    )
    .await;
    service::exit_code(secal_calculation::SPEC.name, result)
}
