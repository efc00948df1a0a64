use clap::Parser;
use secal_runtime::{config::CommonArgs, server::shutdown_signal, service};

// Measured in an advances run of 300,000 children: glibc's malloc took 40 % of the services'
// CPU (short-lived strings and protobuf buffers by the million). The bench
// (tests/benches/payments_advances.rs) runs the services with the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
