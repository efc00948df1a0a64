//! The gRPC surface: look-ups (`lookup`) and the auditors' RPCs over the access log
//! (`audit`), each handed to its use case.

use secal_proto::v1::data_exchange_service_server::DataExchangeService;

use crate::{
    Clock, connectors::Connectors, intake::Intake, log::AccessLog, rate_limit::RateLimiter,
};

pub struct DataExchangeApi {
    pub log: AccessLog,
    pub clock: Clock,
    pub intake: Option<Intake>,
    pub sources: Option<Connectors>,
    pub rate: RateLimiter,
    pub log_lookups: bool,
}

secal_runtime::grpc_service! {
    impl DataExchangeService for DataExchangeApi {
        list_access_log_entries(ListAccessLogEntriesRequest) -> ListAccessLogEntriesResponse
            => DataExchangeApi::list_entries,
        look_up_incomes(LookUpIncomesRequest) -> LookUpIncomesResponse
            => DataExchangeApi::look_up,
        verify_access_log(VerifyAccessLogRequest) -> VerifyAccessLogResponse
            => DataExchangeApi::verify,
        export_access_log(ExportAccessLogRequest) -> ExportAccessLogResponse
            => DataExchangeApi::export,
        purge_access_log(PurgeAccessLogRequest) -> PurgeAccessLogResponse
            => DataExchangeApi::purge,
        list_access_log_checkpoints(ListAccessLogCheckpointsRequest)
            -> ListAccessLogCheckpointsResponse => DataExchangeApi::list_checkpoints,
        list_signing_keys(ListSigningKeysRequest) -> ListSigningKeysResponse
            => DataExchangeApi::list_signing_keys,
    }
}
