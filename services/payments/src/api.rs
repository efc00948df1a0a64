//! The gRPC surface: each RPC delegates to its module. RPCs of the contract not served yet
//! answer UNIMPLEMENTED (the generated default).

use secal_proto::v1::{self as pb, payments_service_server::PaymentsService};
use secal_runtime::{Caller, wire};
use tonic::{Request, Response, Status};

use crate::debtor_payments::PaymentsApi;
use crate::ledger::Settle;
use crate::{dossier_events, ledger_api, tax_refund};

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl PaymentsService for PaymentsApi {
    async fn record_debtor_payment(
        &self,
        request: Request<pb::RecordDebtorPaymentRequest>,
    ) -> Reply<pb::RecordDebtorPaymentResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.record(caller, request.into_inner()).await?,
        ))
    }

    async fn list_debtor_payments(
        &self,
        request: Request<pb::ListDebtorPaymentsRequest>,
    ) -> Reply<pb::ListDebtorPaymentsResponse> {
        Ok(Response::new(self.list(request.into_inner()).await?))
    }

    async fn get_payment_allocation(
        &self,
        request: Request<pb::GetPaymentAllocationRequest>,
    ) -> Reply<pb::GetPaymentAllocationResponse> {
        Ok(Response::new(
            crate::allocation_query::get(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn receive_dossier_event(
        &self,
        request: Request<pb::ReceiveDossierEventRequest>,
    ) -> Reply<pb::ReceiveDossierEventResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            dossier_events::receive(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn create_ledger_transfers(
        &self,
        request: Request<pb::CreateLedgerTransfersRequest>,
    ) -> Reply<pb::CreateLedgerTransfersResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            ledger_api::create(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn post_pending_transfer(
        &self,
        request: Request<pb::PostPendingTransferRequest>,
    ) -> Reply<pb::PostPendingTransferResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let how = Settle::Post(ledger_api::settle_amount(r.amount.as_ref())?);
        let t = ledger_api::settle(
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
        let t = ledger_api::settle(
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

    async fn get_ledger_account(
        &self,
        request: Request<pb::GetLedgerAccountRequest>,
    ) -> Reply<pb::GetLedgerAccountResponse> {
        Ok(Response::new(
            ledger_api::get_account(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn list_ledger_transfers(
        &self,
        request: Request<pb::ListLedgerTransfersRequest>,
    ) -> Reply<pb::ListLedgerTransfersResponse> {
        Ok(Response::new(
            ledger_api::list_transfers(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn get_dossier_ledger(
        &self,
        request: Request<pb::GetDossierLedgerRequest>,
    ) -> Reply<pb::GetDossierLedgerResponse> {
        Ok(Response::new(
            ledger_api::dossier_ledger(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn recognize_debtor_debt(
        &self,
        request: Request<pb::RecognizeDebtorDebtRequest>,
    ) -> Reply<pb::RecognizeDebtorDebtResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            ledger_api::recognize(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn propose_tax_refund_offset(
        &self,
        request: Request<pb::ProposeTaxRefundOffsetRequest>,
    ) -> Reply<pb::ProposeTaxRefundOffsetResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            tax_refund::propose(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn confirm_tax_refund_offset(
        &self,
        request: Request<pb::ConfirmTaxRefundOffsetRequest>,
    ) -> Reply<pb::ConfirmTaxRefundOffsetResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let paid_on = wire::date_from_pb("paid_on", r.paid_on.as_ref())?;
        let offset = tax_refund::settle(
            &self.pool,
            &caller,
            r.idempotency_key.as_ref(),
            &r.refund_id,
            Some(paid_on),
        )
        .await?;
        Ok(Response::new(pb::ConfirmTaxRefundOffsetResponse {
            offset: Some(offset),
        }))
    }

    async fn cancel_tax_refund_offset(
        &self,
        request: Request<pb::CancelTaxRefundOffsetRequest>,
    ) -> Reply<pb::CancelTaxRefundOffsetResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let offset = tax_refund::settle(
            &self.pool,
            &caller,
            r.idempotency_key.as_ref(),
            &r.refund_id,
            None,
        )
        .await?;
        Ok(Response::new(pb::CancelTaxRefundOffsetResponse {
            offset: Some(offset),
        }))
    }

    async fn get_tax_refund_offset(
        &self,
        request: Request<pb::GetTaxRefundOffsetRequest>,
    ) -> Reply<pb::GetTaxRefundOffsetResponse> {
        Ok(Response::new(
            tax_refund::get(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn list_certified_debts(
        &self,
        request: Request<pb::ListCertifiedDebtsRequest>,
    ) -> Reply<pb::ListCertifiedDebtsResponse> {
        Ok(Response::new(
            crate::certified::certified_debts(&self.pool, request.into_inner()).await?,
        ))
    }

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

    async fn grant_suspension(
        &self,
        request: Request<pb::GrantSuspensionRequest>,
    ) -> Reply<pb::GrantSuspensionResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::suspensions::grant(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn import_bank_statement(
        &self,
        request: Request<pb::ImportBankStatementRequest>,
    ) -> Reply<pb::ImportBankStatementResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::statements::import(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_unmatched_statement_lines(
        &self,
        request: Request<pb::ListUnmatchedStatementLinesRequest>,
    ) -> Reply<pb::ListUnmatchedStatementLinesResponse> {
        Ok(Response::new(
            crate::statements::list_unmatched(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn resolve_statement_line(
        &self,
        request: Request<pb::ResolveStatementLineRequest>,
    ) -> Reply<pb::ResolveStatementLineResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::statements::resolve(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn request_payout_account_change(
        &self,
        request: Request<pb::RequestPayoutAccountChangeRequest>,
    ) -> Reply<pb::RequestPayoutAccountChangeResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::accounts::request(&self.pool, &caller, r).await?,
        ))
    }

    async fn confirm_payout_account_change(
        &self,
        request: Request<pb::ConfirmPayoutAccountChangeRequest>,
    ) -> Reply<pb::ConfirmPayoutAccountChangeResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::accounts::confirm(&self.pool, &caller, r).await?,
        ))
    }

    async fn reject_payout_account_change(
        &self,
        request: Request<pb::RejectPayoutAccountChangeRequest>,
    ) -> Reply<pb::RejectPayoutAccountChangeResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::accounts::reject(&self.pool, &caller, r).await?,
        ))
    }

    async fn list_payout_accounts(
        &self,
        request: Request<pb::ListPayoutAccountsRequest>,
    ) -> Reply<pb::ListPayoutAccountsResponse> {
        Ok(Response::new(
            crate::payouts::accounts::list(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn create_payout_batch(
        &self,
        request: Request<pb::CreatePayoutBatchRequest>,
    ) -> Reply<pb::CreatePayoutBatchResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::create_batch(&self.pool, &caller, r).await?,
        ))
    }

    async fn get_payout_batch(
        &self,
        request: Request<pb::GetPayoutBatchRequest>,
    ) -> Reply<pb::GetPayoutBatchResponse> {
        Ok(Response::new(
            crate::payouts::get_batch(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn list_payouts(
        &self,
        request: Request<pb::ListPayoutsRequest>,
    ) -> Reply<pb::ListPayoutsResponse> {
        Ok(Response::new(
            crate::payouts::list_payouts(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn confirm_payouts(
        &self,
        request: Request<pb::ConfirmPayoutsRequest>,
    ) -> Reply<pb::ConfirmPayoutsResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::confirm(&self.pool, &caller, r).await?,
        ))
    }

    async fn record_payout_return(
        &self,
        request: Request<pb::RecordPayoutReturnRequest>,
    ) -> Reply<pb::RecordPayoutReturnResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::record_return(&self.pool, &caller, r).await?,
        ))
    }

    async fn create_payment_plan(
        &self,
        request: Request<pb::CreatePaymentPlanRequest>,
    ) -> Reply<pb::CreatePaymentPlanResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::plans::create(
                &self.pool,
                self.calculation.as_ref(),
                &caller,
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn get_payment_plan(
        &self,
        request: Request<pb::GetPaymentPlanRequest>,
    ) -> Reply<pb::GetPaymentPlanResponse> {
        Ok(Response::new(
            crate::plans::get(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn list_payment_plans(
        &self,
        request: Request<pb::ListPaymentPlansRequest>,
    ) -> Reply<pb::ListPaymentPlansResponse> {
        Ok(Response::new(
            crate::plans::list(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn detect_missed_plan_instalments(
        &self,
        request: Request<pb::DetectMissedPlanInstalmentsRequest>,
    ) -> Reply<pb::DetectMissedPlanInstalmentsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::plans::detect_missed(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn end_payment_plan(
        &self,
        request: Request<pb::EndPaymentPlanRequest>,
    ) -> Reply<pb::EndPaymentPlanResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::plans::end(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn review_suspension(
        &self,
        request: Request<pb::ReviewSuspensionRequest>,
    ) -> Reply<pb::ReviewSuspensionResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::suspensions::review(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_suspensions(
        &self,
        request: Request<pb::ListSuspensionsRequest>,
    ) -> Reply<pb::ListSuspensionsResponse> {
        Ok(Response::new(
            crate::suspensions::list(&self.pool, request.into_inner()).await?,
        ))
    }
}
