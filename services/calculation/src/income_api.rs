//! Advances, seizable income and the surcharge.

use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult};

use crate::api::CalculationApi;

fn unimplemented<T>(what: &str) -> ServiceResult<T> {
    Err(ServiceError::new(
        secal_runtime::ErrorCode::Unimplemented,
        format!("{what} is not implemented yet"),
    ))
}

impl CalculationApi {
    pub(crate) async fn compute_advance(
        &self,
        _req: pb::ComputeAdvanceRequest,
    ) -> ServiceResult<pb::ComputeAdvanceResponse> {
        unimplemented("ComputeAdvance")
    }
    pub(crate) async fn compute_advances(
        &self,
        _req: pb::ComputeAdvancesRequest,
    ) -> ServiceResult<pb::ComputeAdvancesResponse> {
        unimplemented("ComputeAdvances")
    }
    pub(crate) async fn compute_seizable_income(
        &self,
        _req: pb::ComputeSeizableIncomeRequest,
    ) -> ServiceResult<pb::ComputeSeizableIncomeResponse> {
        unimplemented("ComputeSeizableIncome")
    }
    pub(crate) async fn compute_surcharge(
        &self,
        _req: pb::ComputeSurchargeRequest,
    ) -> ServiceResult<pb::ComputeSurchargeResponse> {
        unimplemented("ComputeSurcharge")
    }
}
