//! `AdvancesService`: each RPC delegates to its module.

use secal_proto::v1::{self as pb, advances_service_server::AdvancesService};
use secal_runtime::{Caller, wire};
use tonic::{Request, Response};

use super::PaymentsApi;
use super::Reply;

#[tonic::async_trait]
impl AdvancesService for PaymentsApi {
    async fn run_monthly_advances(
        &self,
        request: Request<pb::RunMonthlyAdvancesRequest>,
    ) -> Reply<tonic::codegen::BoxStream<pb::RunMonthlyAdvancesResponse>> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        secal_runtime::idempotency::validate_key(r.idempotency_key.as_ref(), "idempotency_key")?;
        let month = wire::year_month_from_pb("month", r.month.as_ref())?;
        let every = match r.progress_every {
            0 => 1_000,
            n if n > 0 => i64::from(n),
            _ => {
                return Err(secal_runtime::ServiceError::invalid_field(
                    "progress_every",
                    "must not be negative",
                )
                .into());
            }
        };
        let (sink, stream) = tokio::sync::mpsc::channel(16);
        let (pool, calc, actor) = (
            self.pool.clone(),
            self.calculation.clone(),
            caller.actor().id.clone(),
        );
        // The run goes on if the client goes away; its end is recorded in the database.
        tokio::spawn(async move {
            if let Err(e) =
                crate::advances::run(pool, calc, actor, month, every, sink.clone()).await
            {
                let _ = sink.send(Err(e.into())).await;
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(stream),
        )))
    }

    async fn get_advances_run(
        &self,
        request: Request<pb::GetAdvancesRunRequest>,
    ) -> Reply<pb::GetAdvancesRunResponse> {
        Ok(Response::new(
            crate::advances::get_run(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn list_advances_run_items(
        &self,
        request: Request<pb::ListAdvancesRunItemsRequest>,
    ) -> Reply<pb::ListAdvancesRunItemsResponse> {
        Ok(Response::new(
            crate::advances::list_items(&self.pool, request.into_inner()).await?,
        ))
    }
}
