use clap::Parser;
use secal_runtime::{config::CommonArgs, server::shutdown_signal, service};

// As the payments and calculation binaries: under secal-load, glibc's malloc and free were
// the largest part of this service's own CPU (perf), most of it short-lived buffers.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SECAL intake service: applications, dossiers and the persons registry.
#[derive(Debug, Parser)]
#[command(name = "secal-intake", version)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    config: secal_intake::Config,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Args = secal_runtime::config::parse_or_exit();
    let result = service::run(
        secal_intake::SPEC,
        &args.common,
        args.config,
        |ctx, config, listener| {
            Box::pin(secal_intake::serve(
                ctx,
                config,
                listener,
                shutdown_signal(),
            ))
        },
    )
    .await;
    service::exit_code(secal_intake::SPEC.name, result)
}
