use clap::Parser;
use secal_runtime::{config::CommonArgs, server::shutdown_signal, service};

// Measured in an advances run of 300,000 children: glibc's malloc took 40 % of the services'
// CPU (short-lived strings and protobuf buffers by the million). The bench
// (tests/benches/payments_advances.rs) runs the services with the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SECAL payments service: ledger, advances, payments, payouts, tax-refund compensation.
#[derive(Debug, Parser)]
#[command(name = "secal-payments", version)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    config: secal_payments::Config,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Args = secal_runtime::config::parse_or_exit();
    let result = service::run(
        secal_payments::SPEC,
        &args.common,
        args.config,
        |ctx, config, listener| {
            Box::pin(secal_payments::serve(
                ctx,
                config,
                listener,
                shutdown_signal(),
            ))
        },
    )
    .await;
    service::exit_code(secal_payments::SPEC.name, result)
}
