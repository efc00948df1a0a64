//! `ReceiptsService`: each RPC handed to its use case.

use secal_proto::v1::receipts_service_server::ReceiptsService;

use super::PaymentsApi;
use crate::receipts::{allocation_query, statements};

secal_runtime::grpc_service! {
    impl ReceiptsService for PaymentsApi {
        record_debtor_payment(RecordDebtorPaymentRequest) -> RecordDebtorPaymentResponse
            => PaymentsApi::record,
        list_debtor_payments(ListDebtorPaymentsRequest) -> ListDebtorPaymentsResponse
            => PaymentsApi::list,
        get_payment_allocation(GetPaymentAllocationRequest) -> GetPaymentAllocationResponse
            => allocation_query::get,
        import_bank_statement(ImportBankStatementRequest) -> ImportBankStatementResponse
            => statements::import,
        list_unmatched_statement_lines(ListUnmatchedStatementLinesRequest)
            -> ListUnmatchedStatementLinesResponse => statements::list_unmatched,
        resolve_statement_line(ResolveStatementLineRequest) -> ResolveStatementLineResponse
            => statements::resolve,
    }
}
