//! The request decoding path with neither network nor database: protobuf bytes → request →
//! checks → rules → response, exactly as `ComputeArrears` runs it behind tonic. The fuzz
//! target (`fuzz/`) and the property test over arbitrary bytes drive it, so that no input a
//! caller can send makes the service panic, loop or answer anything but a result or a
//! precise `INVALID_ARGUMENT`.

use prost::Message;
use secal_proto::v1 as pb;
use secal_rules::ReferenceTable;
use secal_runtime::{ServiceError, ServiceResult};

pub use crate::arrears_api::ArrearsRequest;

pub fn compute_arrears_from_bytes(
    bytes: &[u8],
    refs: &ReferenceTable,
) -> ServiceResult<pb::ComputeArrearsResponse> {
    // tonic answers an undecodable body with INTERNAL; here the same failure is the caller's.
    let req = pb::ComputeArrearsRequest::decode(bytes).map_err(|e| {
        ServiceError::invalid_field("", format!("not a ComputeArrearsRequest: {e}"))
    })?;
    ArrearsRequest::try_from(&req)?.compute(refs)
}
