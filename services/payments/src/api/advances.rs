//! `AdvancesService`: each RPC handed to its use case; the run streams its progress.

use secal_proto::v1::{self as pb, advances_service_server::AdvancesService};
use secal_runtime::Caller;
use tonic::{Request, Response, Status};

use super::PaymentsApi;
use crate::advances;

secal_runtime::grpc_service! {
    impl AdvancesService for PaymentsApi {
        get_advances_run(GetAdvancesRunRequest) -> GetAdvancesRunResponse
            => advances::get_run,
        list_advances_run_items(ListAdvancesRunItemsRequest) -> ListAdvancesRunItemsResponse
            => advances::list_items,
    }
    streaming: {
        async fn run_monthly_advances(
            &self,
            request: Request<pb::RunMonthlyAdvancesRequest>,
        ) -> Result<Response<advances::RunStream>, Status> {
            let caller = Caller::of(&request)?;
            secal_runtime::syntax::refuse_texts_beyond_every_limit(
                "secal.v1.RunMonthlyAdvancesRequest",
                request.get_ref(),
            )?;
            let stream = advances::run_monthly(self, &caller, request.into_inner()).await?;
            Ok(Response::new(stream))
        }
    }
}
