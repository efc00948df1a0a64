//! `LedgerService`: each RPC delegates to its module.

use secal_proto::v1::{self as pb, ledger_service_server::LedgerService};
use secal_runtime::Caller;
use tonic::{Request, Response};

use super::PaymentsApi;
use super::Reply;
use crate::ledger::Settle;
use crate::{ledger::dossier_events, ledger::rpcs};

#[tonic::async_trait]
impl LedgerService for PaymentsApi {
    async fn receive_dossier_event(
        &self,
        request: Request<pb::ReceiveDossierEventRequest>,
    ) -> Reply<pb::ReceiveDossierEventResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            dossier_events::receive(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_dossier_ledger(
        &self,
        request: Request<pb::GetDossierLedgerRequest>,
    ) -> Reply<pb::GetDossierLedgerResponse> {
        Ok(Response::new(
            rpcs::dossier_ledger(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn get_ledger_account(
        &self,
        request: Request<pb::GetLedgerAccountRequest>,
    ) -> Reply<pb::GetLedgerAccountResponse> {
        Ok(Response::new(
            rpcs::get_account(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn list_ledger_transfers(
        &self,
        request: Request<pb::ListLedgerTransfersRequest>,
    ) -> Reply<pb::ListLedgerTransfersResponse> {
        Ok(Response::new(
            rpcs::list_transfers(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn create_ledger_transfers(
        &self,
        request: Request<pb::CreateLedgerTransfersRequest>,
    ) -> Reply<pb::CreateLedgerTransfersResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            rpcs::create(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn post_pending_transfer(
        &self,
        request: Request<pb::PostPendingTransferRequest>,
    ) -> Reply<pb::PostPendingTransferResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let how = Settle::Post(rpcs::settle_amount(r.amount.as_ref())?);
        let t = rpcs::settle(
            &self.pool,
            &caller,
            r.idempotency_key.as_ref(),
            &r.pending_transfer_id,
            &r.transfer_id,
            how,
            "",
        )
        .await?;
        Ok(Response::new(pb::PostPendingTransferResponse {
            transfer: Some(t),
        }))
    }

    async fn void_pending_transfer(
        &self,
        request: Request<pb::VoidPendingTransferRequest>,
    ) -> Reply<pb::VoidPendingTransferResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let t = rpcs::settle(
            &self.pool,
            &caller,
            r.idempotency_key.as_ref(),
            &r.pending_transfer_id,
            &r.transfer_id,
            Settle::Void,
            &r.reason,
        )
        .await?;
        Ok(Response::new(pb::VoidPendingTransferResponse {
            transfer: Some(t),
        }))
    }

    async fn recognize_debtor_debt(
        &self,
        request: Request<pb::RecognizeDebtorDebtRequest>,
    ) -> Reply<pb::RecognizeDebtorDebtResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            rpcs::recognize(&self.pool, &caller, request.into_inner()).await?,
        ))
    }
}
