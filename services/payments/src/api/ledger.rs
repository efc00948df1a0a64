//! `LedgerService`: each RPC handed to its use case.

use secal_proto::v1::ledger_service_server::LedgerService;

use super::PaymentsApi;
use crate::ledger::{dossier_events, rpcs};

secal_runtime::grpc_service! {
    impl LedgerService for PaymentsApi {
        receive_dossier_event(ReceiveDossierEventRequest) -> ReceiveDossierEventResponse
            => dossier_events::receive,
        get_dossier_ledger(GetDossierLedgerRequest) -> GetDossierLedgerResponse
            => rpcs::dossier_ledger,
        get_ledger_account(GetLedgerAccountRequest) -> GetLedgerAccountResponse
            => rpcs::get_account,
        list_ledger_transfers(ListLedgerTransfersRequest) -> ListLedgerTransfersResponse
            => rpcs::list_transfers,
        create_ledger_transfers(CreateLedgerTransfersRequest) -> CreateLedgerTransfersResponse
            => rpcs::create,
        post_pending_transfer(PostPendingTransferRequest) -> PostPendingTransferResponse
            => rpcs::post_pending,
        void_pending_transfer(VoidPendingTransferRequest) -> VoidPendingTransferResponse
            => rpcs::void_pending,
        recognize_debtor_debt(RecognizeDebtorDebtRequest) -> RecognizeDebtorDebtResponse
            => rpcs::recognize,
    }
}
