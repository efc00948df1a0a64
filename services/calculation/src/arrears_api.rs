//! Titles and arrears: indexation, the arrears table, prescription, interest, admissibility.

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
    pub(crate) async fn index_amount(
        &self,
        _req: pb::IndexAmountRequest,
    ) -> ServiceResult<pb::IndexAmountResponse> {
        unimplemented("IndexAmount")
    }
    pub(crate) async fn compute_arrears(
        &self,
        _req: pb::ComputeArrearsRequest,
    ) -> ServiceResult<pb::ComputeArrearsResponse> {
        unimplemented("ComputeArrears")
    }
    pub(crate) async fn compute_prescription(
        &self,
        _req: pb::ComputePrescriptionRequest,
    ) -> ServiceResult<pb::ComputePrescriptionResponse> {
        unimplemented("ComputePrescription")
    }
    pub(crate) async fn compute_interest(
        &self,
        _req: pb::ComputeInterestRequest,
    ) -> ServiceResult<pb::ComputeInterestResponse> {
        unimplemented("ComputeInterest")
    }
    pub(crate) async fn check_admissibility(
        &self,
        _req: pb::CheckAdmissibilityRequest,
    ) -> ServiceResult<pb::CheckAdmissibilityResponse> {
        unimplemented("CheckAdmissibility")
    }
}
