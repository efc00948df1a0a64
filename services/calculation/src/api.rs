//! The gRPC face of the service: each RPC hands its request to the module that owns it
//! (`reference` for reference data, `arrears_api` for titles and arrears, `income_api` for
//! advances, seizable income and the surcharge).

use secal_proto::v1::calculation_service_server::CalculationService;
use sqlx::PgPool;

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

secal_runtime::grpc_service! {
    impl CalculationService for CalculationApi {
        list_reference_values(ListReferenceValuesRequest) -> ListReferenceValuesResponse
            => CalculationApi::list_reference_values,
        get_reference_value(GetReferenceValueRequest) -> GetReferenceValueResponse
            => CalculationApi::get_reference_value,
        index_amount(IndexAmountRequest) -> IndexAmountResponse => CalculationApi::index_amount,
        compute_arrears(ComputeArrearsRequest) -> ComputeArrearsResponse
            => CalculationApi::compute_arrears,
        compute_prescription(ComputePrescriptionRequest) -> ComputePrescriptionResponse
            => CalculationApi::compute_prescription,
        compute_interest(ComputeInterestRequest) -> ComputeInterestResponse
            => CalculationApi::compute_interest,
        check_admissibility(CheckAdmissibilityRequest) -> CheckAdmissibilityResponse
            => CalculationApi::check_admissibility,
        compute_advance(ComputeAdvanceRequest) -> ComputeAdvanceResponse
            => CalculationApi::compute_advance,
        compute_advances(ComputeAdvancesRequest) -> ComputeAdvancesResponse
            => CalculationApi::compute_advances,
        compute_seizable_income(ComputeSeizableIncomeRequest) -> ComputeSeizableIncomeResponse
            => CalculationApi::compute_seizable_income,
        compute_surcharge(ComputeSurchargeRequest) -> ComputeSurchargeResponse
            => CalculationApi::compute_surcharge,
        add_reference_value(AddReferenceValueRequest) -> AddReferenceValueResponse
            => CalculationApi::add_reference_value,
        import_price_index_file(ImportPriceIndexFileRequest) -> ImportPriceIndexFileResponse
            => CalculationApi::import_price_index_file,
    }
}
