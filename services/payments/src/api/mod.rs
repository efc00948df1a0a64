//! The gRPC surface: one file per service of the payments contract, each written by
//! `secal_runtime::grpc_service!`: every RPC handed to its use case in the module that does
//! the work, `use_case(api, &caller, request)`.

mod advances;
mod casework_feed;
mod claims;
mod ledger;
mod payouts;
mod receipts;
mod recovery;

use sqlx::PgPool;

/// What every RPC of the seven services works with; one instance serves them all.
pub struct PaymentsApi {
    pub(crate) pool: PgPool,
    pub(crate) calculation: Option<crate::calc_client::Calculation>,
    /// Dossiers per transaction of the dues run (`Config::dues_run_chunk`).
    pub(crate) dues_run_chunk: usize,
}

impl PaymentsApi {
    pub fn new(
        pool: PgPool,
        calculation: Option<crate::calc_client::Calculation>,
        dues_run_chunk: u16,
    ) -> Self {
        Self {
            pool,
            calculation,
            dues_run_chunk: usize::from(dues_run_chunk.max(1)),
        }
    }
}

/// Starts a run in the background and answers its stream at once: the run sends its progress
/// to the sink and goes on if the client goes away (its end is recorded in the database); an
/// error that stops it is the stream's last message.
pub(crate) fn background_run<T, F>(
    run: impl FnOnce(tokio::sync::mpsc::Sender<Result<T, tonic::Status>>) -> F,
) -> tonic::codegen::BoxStream<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = secal_runtime::ServiceResult<()>> + Send + 'static,
{
    let (sink, stream) = tokio::sync::mpsc::channel(16);
    let errors = sink.clone();
    let running = run(sink);
    tokio::spawn(async move {
        if let Err(e) = running.await {
            let _ = errors.send(Err(e.into())).await;
        }
    });
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(stream))
}
