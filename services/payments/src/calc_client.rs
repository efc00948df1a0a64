//! The calculation service client: advance eligibility and amounts in batches, seizable
//! incomes, and the claim account's arrears tables and fees.

use std::time::Duration;

use secal_proto::v1::{self as pb, calculation_service_client::CalculationServiceClient};
use secal_runtime::client::{self, ClientError, Credentials, RetryPolicy};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The calculation service accepts at most this many items per ComputeAdvances call.
pub const MAX_BATCH: usize = 10_000;

/// A batch of 10,000 requests or assessments can be a few MB: above tonic's 4 MB default
/// decode limit.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

const RETRIES: RetryPolicy = RetryPolicy {
    attempts: 3,
    first_backoff: Duration::from_millis(200),
    max_backoff: Duration::from_secs(2),
};

#[derive(Clone)]
pub struct Calculation(client::Peer);

impl Calculation {
    pub fn new(addr: &str, service_token: &str) -> Result<Self, ClientError> {
        client::Peer::connect(addr, service_token, Duration::from_secs(120)).map(Self)
    }

    fn client(&self) -> CalculationServiceClient<InterceptedService<Channel, Credentials>> {
        self.0
            .client(CalculationServiceClient::with_interceptor)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE)
    }

    /// Assesses a batch (at most [`MAX_BATCH`] items), retrying transient failures.
    pub async fn compute_advances(
        &self,
        items: Vec<pb::AdvanceBatchItem>,
    ) -> Result<Vec<pb::AdvanceBatchResult>, tonic::Status> {
        // The run records amounts and reasons, not explanations.
        let req = pb::ComputeAdvancesRequest {
            items,
            compact_explanation: true,
            omit_explanation: true,
        };
        let resp = client::with_retries(RETRIES, || {
            let mut c = self.client();
            let req = req.clone();
            async move { c.compute_advances(req).await }
        })
        .await?;
        Ok(resp.into_inner().results)
    }

    /// The seizable part of one month's incomes; a pure computation, so retried like the
    /// others.
    pub async fn compute_seizable_income(
        &self,
        req: pb::ComputeSeizableIncomeRequest,
    ) -> Result<pb::ComputeSeizableIncomeResponse, tonic::Status> {
        let resp = client::with_retries(RETRIES, || {
            let mut c = self.client();
            let req = req.clone();
            async move { c.compute_seizable_income(req).await }
        })
        .await?;
        Ok(resp.into_inner())
    }
}

impl Calculation {
    /// A dossier's arrears table on a date (the claim account's bookings).
    pub async fn compute_arrears(
        &self,
        req: pb::ComputeArrearsRequest,
    ) -> Result<pb::ComputeArrearsResponse, tonic::Status> {
        let resp = client::with_retries(RETRIES, || {
            let mut c = self.client();
            let req = req.clone();
            async move { c.compute_arrears(req).await }
        })
        .await?;
        Ok(resp.into_inner())
    }

    /// The fees of the regime in force on an application date.
    pub async fn compute_surcharge(
        &self,
        req: pb::ComputeSurchargeRequest,
    ) -> Result<pb::ComputeSurchargeResponse, tonic::Status> {
        let resp = client::with_retries(RETRIES, || {
            let mut c = self.client();
            let req = req.clone();
            async move { c.compute_surcharge(req).await }
        })
        .await?;
        Ok(resp.into_inner())
    }
}
