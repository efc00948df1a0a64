//! The gRPC face of the service: each RPC hands its request to the module that owns it
//! (`reference` for reference data, `arrears_api` for titles and arrears, `income_api` for
//! advances, seizable income and the surcharge).

use secal_proto::v1::{self as pb, calculation_service_server::CalculationService};
use secal_runtime::Caller;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::reference::ReferenceStore;

pub struct CalculationApi {
    pub(crate) pool: PgPool,
    pub(crate) references: ReferenceStore,
}

impl CalculationApi {
    pub fn new(pool: PgPool) -> Self {
        Self {
            references: ReferenceStore::new(pool.clone()),
            pool,
        }
    }
}

#[tonic::async_trait]
impl CalculationService for CalculationApi {
    async fn list_reference_values(
        &self,
        request: Request<pb::ListReferenceValuesRequest>,
    ) -> Result<Response<pb::ListReferenceValuesResponse>, Status> {
        Ok(Response::new(
            CalculationApi::list_reference_values(self, request.into_inner()).await?,
        ))
    }

    async fn get_reference_value(
        &self,
        request: Request<pb::GetReferenceValueRequest>,
    ) -> Result<Response<pb::GetReferenceValueResponse>, Status> {
        Ok(Response::new(
            CalculationApi::get_reference_value(self, request.into_inner()).await?,
        ))
    }

    async fn index_amount(
        &self,
        request: Request<pb::IndexAmountRequest>,
    ) -> Result<Response<pb::IndexAmountResponse>, Status> {
        Ok(Response::new(
            CalculationApi::index_amount(self, request.into_inner()).await?,
        ))
    }

    async fn compute_arrears(
        &self,
        request: Request<pb::ComputeArrearsRequest>,
    ) -> Result<Response<pb::ComputeArrearsResponse>, Status> {
        Ok(Response::new(
            CalculationApi::compute_arrears(self, request.into_inner()).await?,
        ))
    }

    async fn compute_prescription(
        &self,
        request: Request<pb::ComputePrescriptionRequest>,
    ) -> Result<Response<pb::ComputePrescriptionResponse>, Status> {
        Ok(Response::new(
            CalculationApi::compute_prescription(self, request.into_inner()).await?,
        ))
    }

    async fn compute_interest(
        &self,
        request: Request<pb::ComputeInterestRequest>,
    ) -> Result<Response<pb::ComputeInterestResponse>, Status> {
        Ok(Response::new(
            CalculationApi::compute_interest(self, request.into_inner()).await?,
        ))
    }

    async fn check_admissibility(
        &self,
        request: Request<pb::CheckAdmissibilityRequest>,
    ) -> Result<Response<pb::CheckAdmissibilityResponse>, Status> {
        Ok(Response::new(
            CalculationApi::check_admissibility(self, request.into_inner()).await?,
        ))
    }

    async fn compute_advance(
        &self,
        request: Request<pb::ComputeAdvanceRequest>,
    ) -> Result<Response<pb::ComputeAdvanceResponse>, Status> {
        Ok(Response::new(
            CalculationApi::compute_advance(self, request.into_inner()).await?,
        ))
    }

    async fn compute_advances(
        &self,
        request: Request<pb::ComputeAdvancesRequest>,
    ) -> Result<Response<pb::ComputeAdvancesResponse>, Status> {
        Ok(Response::new(
            CalculationApi::compute_advances(self, request.into_inner()).await?,
        ))
    }

    async fn compute_seizable_income(
        &self,
        request: Request<pb::ComputeSeizableIncomeRequest>,
    ) -> Result<Response<pb::ComputeSeizableIncomeResponse>, Status> {
        Ok(Response::new(
            CalculationApi::compute_seizable_income(self, request.into_inner()).await?,
        ))
    }

    async fn compute_surcharge(
        &self,
        request: Request<pb::ComputeSurchargeRequest>,
    ) -> Result<Response<pb::ComputeSurchargeResponse>, Status> {
        Ok(Response::new(
            CalculationApi::compute_surcharge(self, request.into_inner()).await?,
        ))
    }

    async fn add_reference_value(
        &self,
        request: Request<pb::AddReferenceValueRequest>,
    ) -> Result<Response<pb::AddReferenceValueResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            CalculationApi::add_reference_value(self, &caller, request.into_inner()).await?,
        ))
    }
}
