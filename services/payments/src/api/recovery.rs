//! `RecoveryService`: each RPC handed to its use case.

use secal_proto::v1::recovery_service_server::RecoveryService;

use super::PaymentsApi;
use crate::recovery::{certified, plans, suspensions, tax_refund};

secal_runtime::grpc_service! {
    impl RecoveryService for PaymentsApi {
        propose_tax_refund_offset(ProposeTaxRefundOffsetRequest)
            -> ProposeTaxRefundOffsetResponse => tax_refund::propose,
        confirm_tax_refund_offset(ConfirmTaxRefundOffsetRequest)
            -> ConfirmTaxRefundOffsetResponse => tax_refund::confirm,
        cancel_tax_refund_offset(CancelTaxRefundOffsetRequest)
            -> CancelTaxRefundOffsetResponse => tax_refund::cancel,
        get_tax_refund_offset(GetTaxRefundOffsetRequest) -> GetTaxRefundOffsetResponse
            => tax_refund::get,
        list_certified_debts(ListCertifiedDebtsRequest) -> ListCertifiedDebtsResponse
            => certified::certified_debts,
        create_payment_plan(CreatePaymentPlanRequest) -> CreatePaymentPlanResponse
            => plans::create,
        get_payment_plan(GetPaymentPlanRequest) -> GetPaymentPlanResponse => plans::get,
        list_payment_plans(ListPaymentPlansRequest) -> ListPaymentPlansResponse
            => plans::list,
        detect_missed_plan_instalments(DetectMissedPlanInstalmentsRequest)
            -> DetectMissedPlanInstalmentsResponse => plans::detect_missed,
        end_payment_plan(EndPaymentPlanRequest) -> EndPaymentPlanResponse => plans::end,
        grant_suspension(GrantSuspensionRequest) -> GrantSuspensionResponse
            => suspensions::grant,
        review_suspension(ReviewSuspensionRequest) -> ReviewSuspensionResponse
            => suspensions::review,
        list_suspensions(ListSuspensionsRequest) -> ListSuspensionsResponse
            => suspensions::list,
    }
}
