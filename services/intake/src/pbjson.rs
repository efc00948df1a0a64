//! Contract messages stored as their canonical proto3 JSON: readable and queryable in
//! Postgres (jsonb), and decoded back without loss. The JSON comes from the serde impls that
//! pbjson generates with the contract (`secal_proto`); `name` only labels errors. The form is
//! the exception: large and written by every submission, it is stored as protobuf bytes
//! (intake migration 0008); forms stored as JSON before it still decode here.

use secal_runtime::ServiceError;
use serde::{Serialize, de::DeserializeOwned};

/// Why a stored message could not be converted; always a server-side fault.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("{name} does not encode: {reason}")]
    Encode { name: &'static str, reason: String },
    #[error("stored {name} does not decode: {reason}")]
    Decode { name: &'static str, reason: String },
}

impl From<JsonError> for ServiceError {
    fn from(e: JsonError) -> Self {
        ServiceError::internal(e)
    }
}

/// `name` is the message's full name, e.g. `secal.v1.ApplicationForm`.
pub fn to_json<M: Serialize>(
    name: &'static str,
    message: &M,
) -> Result<serde_json::Value, JsonError> {
    serde_json::to_value(message).map_err(|e| JsonError::Encode {
        name,
        reason: e.to_string(),
    })
}

pub fn from_json<M: DeserializeOwned>(
    name: &'static str,
    value: &serde_json::Value,
) -> Result<M, JsonError> {
    M::deserialize(value).map_err(|e| JsonError::Decode {
        name,
        reason: e.to_string(),
    })
}

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

    const FORM: &str = "secal.v1.ApplicationForm";
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

    /// Forms stored before the generated JSON (prost-reflect's canonical JSON) still read.
    #[test]
    fn forms_stored_by_the_earlier_encoder_decode() {
        let stored = serde_json::json!({
            "kind": "APPLICATION_KIND_ARREARS_AND_FUTURE",
            "creditors": [{"creditorKey": "c1", "monthlyAmount": {"amount": "150.00"}, "kind": 2}],
        });
        let form: pb::ApplicationForm = from_json(FORM, &stored).unwrap();
        assert_eq!(form.creditors[0].creditor_key, "c1");
        assert_eq!(form.creditors[0].kind, 2);
        assert_eq!(form.kind, pb::ApplicationKind::ArrearsAndFuture as i32);
    }
}
