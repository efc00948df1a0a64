//! Contract messages stored as their canonical proto3 JSON: readable and queryable in
//! Postgres (jsonb), and decoded back without loss through the contract's descriptors.

use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};
use secal_runtime::ServiceError;

/// Why a stored message could not be converted; always a server-side fault.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("the contract descriptors do not decode: {0}")]
    Descriptors(String),
    #[error("no message {0} in the contract")]
    UnknownMessage(&'static str),
    #[error("stored {name} does not decode: {reason}")]
    Decode { name: &'static str, reason: String },
}

impl From<JsonError> for ServiceError {
    fn from(e: JsonError) -> Self {
        ServiceError::internal(e)
    }
}

fn pool() -> Result<&'static DescriptorPool, JsonError> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(secal_proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| JsonError::Descriptors(e.clone()))
}

/// `name` is the message's full name, e.g. `secal.v1.ApplicationForm`.
pub fn to_json<M: Message>(
    name: &'static str,
    message: &M,
) -> Result<serde_json::Value, JsonError> {
    let desc = pool()?
        .get_message_by_name(name)
        .ok_or(JsonError::UnknownMessage(name))?;
    let dynamic =
        DynamicMessage::decode(desc, message.encode_to_vec().as_slice()).map_err(|e| {
            JsonError::Decode {
                name,
                reason: e.to_string(),
            }
        })?;
    serde_json::to_value(&dynamic).map_err(|e| JsonError::Decode {
        name,
        reason: e.to_string(),
    })
}

pub fn from_json<M: Message + Default>(
    name: &'static str,
    value: &serde_json::Value,
) -> Result<M, JsonError> {
    let desc = pool()?
        .get_message_by_name(name)
        .ok_or(JsonError::UnknownMessage(name))?;
    let fail = |reason: String| JsonError::Decode { name, reason };
    let dynamic = DynamicMessage::deserialize(desc, value).map_err(|e| fail(e.to_string()))?;
    dynamic.transcode_to::<M>().map_err(|e| fail(e.to_string()))
}

pub const FORM: &str = "secal.v1.ApplicationForm";
pub const ADMISSIBILITY: &str = "secal.v1.AdmissibilityAssessment";
pub const NOTIFICATION: &str = "secal.v1.DebtorNotification";
pub const DECISION: &str = "secal.v1.DossierDecision";
pub const MANDATE: &str = "secal.v1.Mandate";
pub const CLOSURE: &str = "secal.v1.DossierClosure";
pub const FIELD_VIOLATION: &str = "secal.v1.FieldViolation";
pub const PERSON_CHANGE: &str = "secal.v1.PersonChange";

#[cfg(test)]
mod tests {
    use super::*;
    use secal_proto::v1 as pb;

    #[test]
    fn a_form_round_trips() {
        let form = pb::ApplicationForm {
            kind: pb::ApplicationKind::ArrearsAndFuture as i32,
            creditors: vec![pb::CreditorEntry {
                creditor_key: "c1".into(),
                monthly_amount: Some(pb::Money {
                    amount: "150.00".into(),
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        let json = to_json(FORM, &form).unwrap();
        assert_eq!(json["kind"], "APPLICATION_KIND_ARREARS_AND_FUTURE");
        let back: pb::ApplicationForm = from_json(FORM, &json).unwrap();
        assert_eq!(back, form);
    }
}
