//! The payments process serves six gRPC services of one contract; a caller that works with
//! several of them holds one client of each, all on the same HTTP/2 connection.

use secal_proto::v1::{
    advances_service_client::AdvancesServiceClient,
    claim_account_service_client::ClaimAccountServiceClient,
    ledger_service_client::LedgerServiceClient, payouts_service_client::PayoutsServiceClient,
    receipts_service_client::ReceiptsServiceClient, recovery_service_client::RecoveryServiceClient,
};
use tonic::transport::Channel;

#[derive(Clone)]
pub struct PaymentsClients {
    pub ledger: LedgerServiceClient<Channel>,
    pub receipts: ReceiptsServiceClient<Channel>,
    pub advances: AdvancesServiceClient<Channel>,
    pub payouts: PayoutsServiceClient<Channel>,
    pub recovery: RecoveryServiceClient<Channel>,
    pub claims: ClaimAccountServiceClient<Channel>,
}

impl PaymentsClients {
    pub fn new(channel: Channel) -> Self {
        Self {
            ledger: LedgerServiceClient::new(channel.clone()),
            receipts: ReceiptsServiceClient::new(channel.clone()),
            advances: AdvancesServiceClient::new(channel.clone()),
            payouts: PayoutsServiceClient::new(channel.clone()),
            recovery: RecoveryServiceClient::new(channel.clone()),
            claims: ClaimAccountServiceClient::new(channel),
        }
    }
}
