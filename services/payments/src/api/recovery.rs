//! `RecoveryService`: each RPC delegates to its module.

use secal_proto::v1::{self as pb, recovery_service_server::RecoveryService};
use secal_runtime::{Caller, wire};
use tonic::{Request, Response};

use super::PaymentsApi;
use super::Reply;
use crate::recovery::tax_refund;

#[tonic::async_trait]
impl RecoveryService for PaymentsApi {
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
            crate::recovery::certified::certified_debts(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn create_payment_plan(
        &self,
        request: Request<pb::CreatePaymentPlanRequest>,
    ) -> Reply<pb::CreatePaymentPlanResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::recovery::plans::create(
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
            crate::recovery::plans::get(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn list_payment_plans(
        &self,
        request: Request<pb::ListPaymentPlansRequest>,
    ) -> Reply<pb::ListPaymentPlansResponse> {
        Ok(Response::new(
            crate::recovery::plans::list(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn detect_missed_plan_instalments(
        &self,
        request: Request<pb::DetectMissedPlanInstalmentsRequest>,
    ) -> Reply<pb::DetectMissedPlanInstalmentsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::recovery::plans::detect_missed(&self.pool, &caller, request.into_inner())
                .await?,
        ))
    }

    async fn end_payment_plan(
        &self,
        request: Request<pb::EndPaymentPlanRequest>,
    ) -> Reply<pb::EndPaymentPlanResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::recovery::plans::end(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn grant_suspension(
        &self,
        request: Request<pb::GrantSuspensionRequest>,
    ) -> Reply<pb::GrantSuspensionResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::recovery::suspensions::grant(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn review_suspension(
        &self,
        request: Request<pb::ReviewSuspensionRequest>,
    ) -> Reply<pb::ReviewSuspensionResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::recovery::suspensions::review(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_suspensions(
        &self,
        request: Request<pb::ListSuspensionsRequest>,
    ) -> Reply<pb::ListSuspensionsResponse> {
        Ok(Response::new(
            crate::recovery::suspensions::list(&self.pool, request.into_inner()).await?,
        ))
    }
}
