//! One error type for every RPC handler, mapped to `tonic::Code` in one place.
//!
//! Internal details (SQL errors, I/O errors) are logged once, here, with a reference id;
//! the client only sees the code, a safe message and that reference.

use std::fmt;

use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

/// The small set of outcomes a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    /// The request is valid but the state does not allow it (e.g. a lifecycle rule).
    FailedPrecondition,
    /// A concurrent change won; retrying may succeed.
    Aborted,
    Unauthenticated,
    PermissionDenied,
    ResourceExhausted,
    /// A dependency (database, another service, a source) is unavailable; retry later.
    Unavailable,
    DeadlineExceeded,
    /// The method exists in the contract but this version does not serve it.
    Unimplemented,
    Internal,
}

impl ErrorCode {
    pub fn grpc_code(self) -> Code {
        match self {
            ErrorCode::InvalidArgument => Code::InvalidArgument,
            ErrorCode::NotFound => Code::NotFound,
            ErrorCode::AlreadyExists => Code::AlreadyExists,
            ErrorCode::Unimplemented => Code::Unimplemented,
            ErrorCode::FailedPrecondition => Code::FailedPrecondition,
            ErrorCode::Aborted => Code::Aborted,
            ErrorCode::Unauthenticated => Code::Unauthenticated,
            ErrorCode::PermissionDenied => Code::PermissionDenied,
            ErrorCode::ResourceExhausted => Code::ResourceExhausted,
            ErrorCode::Unavailable => Code::Unavailable,
            ErrorCode::DeadlineExceeded => Code::DeadlineExceeded,
            ErrorCode::Internal => Code::Internal,
        }
    }
}

/// A field that failed validation: `field` is the request path, e.g. `creditors[2].amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// The most field violations one error details (the rest are counted in the last).
pub const MAX_VIOLATIONS: usize = 100;

/// The error every handler returns.
#[derive(Debug, thiserror::Error)]
pub struct ServiceError {
    code: ErrorCode,
    message: String,
    violations: Vec<FieldViolation>,
    /// Machine-readable reason (google.rpc.ErrorInfo), e.g. `LIFECYCLE_TRANSITION_REFUSED`.
    reason: Option<String>,
    /// Facts the ErrorInfo detail carries with its reason, e.g. `access_log_sequence`; sent
    /// only with a reason. A list, not a map: it keeps the error small (clippy's
    /// `result_large_err`), and an error carries one or two.
    metadata: Vec<(String, String)>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            violations: Vec::new(),
            reason: None,
            metadata: Vec::new(),
            source: None,
        }
    }

    /// Bad input: every offending field at once.
    /// INVALID_ARGUMENT naming the fields in its message. At most [`MAX_VIOLATIONS`] are
    /// detailed: a request with 100,000 bad rows would otherwise answer megabytes of details,
    /// more than a default client accepts in its metadata, and it would see
    /// RESOURCE_EXHAUSTED instead of what is wrong.
    pub fn invalid(mut violations: Vec<FieldViolation>) -> Self {
        let message = match violations.as_slice() {
            [one] => format!("invalid {}: {}", one.field, one.description),
            many => {
                let named: Vec<&str> = many.iter().take(5).map(|v| v.field.as_str()).collect();
                let more = many.len().saturating_sub(named.len());
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("{} invalid fields: {}{tail}", many.len(), named.join(", "))
            }
        };
        if violations.len() > MAX_VIOLATIONS {
            let left_out = violations.len() - (MAX_VIOLATIONS - 1);
            violations.truncate(MAX_VIOLATIONS - 1);
            violations.push(FieldViolation::new(
                "",
                format!("{left_out} more violations are not listed"),
            ));
        }
        Self {
            violations,
            ..Self::new(ErrorCode::InvalidArgument, message)
        }
    }

    /// A refusal of fields with `more` added (the fields it does not name yet), so that one
    /// answer names every malformed value; any other error, or a full list, is unchanged.
    pub fn naming_also(self, more: Vec<FieldViolation>) -> Self {
        let plain_refusal = self.code == ErrorCode::InvalidArgument
            && self.reason.is_none()
            && !self.violations.is_empty()
            && self.violations.len() < MAX_VIOLATIONS;
        if !plain_refusal || more.is_empty() {
            return self;
        }
        // A value is named already when its field, or a part of it or the message holding it,
        // is (`amount.amount` names the Money `amount`).
        let within = |a: &str, b: &str| {
            a == b
                || a.strip_prefix(b)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        };
        let mut all = self.violations;
        for v in more {
            let named = all
                .iter()
                .any(|n| within(&n.field, &v.field) || within(&v.field, &n.field));
            if !named {
                all.push(v);
            }
        }
        Self::invalid(all)
    }

    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid(vec![FieldViolation::new(field, description)])
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn failed_precondition(reason: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::FailedPrecondition, message).with_reason(reason)
    }

    pub fn permission_denied(reason: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, message).with_reason(reason)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    /// Something the client cannot fix: the detail is logged, never sent.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, "internal error")
        }
    }

    pub fn with_reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_owned());
        self
    }

    /// A fact the caller can act on, sent in the ErrorInfo detail beside the reason (an
    /// error without a reason sends no ErrorInfo, so none of its metadata).
    /// The same key given again replaces its value.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.metadata.retain(|(k, _)| *k != key);
        self.metadata.push((key, value.into()));
        self
    }

    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn violations(&self) -> &[FieldViolation] {
        &self.violations
    }

    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    pub fn metadata(&self) -> &[(String, String)] {
        &self.metadata
    }
}

const ERROR_DOMAIN: &str = "secal.be";

impl From<ServiceError> for tonic::Status {
    fn from(err: ServiceError) -> Self {
        let mut details = ErrorDetails::new();
        for v in &err.violations {
            details.add_bad_request_violation(v.field.clone(), v.description.clone());
        }
        let mut message = err.message.clone();
        if err.code == ErrorCode::Internal || err.source.is_some() {
            let reference = uuid::Uuid::new_v4().to_string();
            match err.code {
                ErrorCode::Internal => {
                    tracing::error!(error.reference = %reference, error = ?err.source, "internal error")
                }
                _ => {
                    tracing::warn!(error.reference = %reference, code = ?err.code, error = ?err.source, "request failed")
                }
            }
            message = format!("{message} (reference {reference})");
            details.set_request_info(reference, "");
        }
        if let Some(reason) = &err.reason {
            details.set_error_info(
                reason.clone(),
                ERROR_DOMAIN,
                err.metadata
                    .iter()
                    .cloned()
                    .collect::<std::collections::HashMap<_, _>>(),
            );
        }
        tonic::Status::with_error_details(err.code.grpc_code(), message, details)
    }
}

/// Postgres errors mapped explicitly, by SQLSTATE; anything not listed is internal.
impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        let code = match &err {
            sqlx::Error::RowNotFound => return ServiceError::not_found("not found"),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Some((ErrorCode::Unavailable, "database unavailable"))
            }
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some("23505") => Some((ErrorCode::AlreadyExists, "already exists")),
                Some("23503") => {
                    Some((ErrorCode::FailedPrecondition, "refers to a missing record"))
                }
                Some("23514") | Some("23502") => {
                    Some((ErrorCode::FailedPrecondition, "refused by a data rule"))
                }
                Some("40001") | Some("40P01") => {
                    Some((ErrorCode::Aborted, "concurrent update, retry"))
                }
                Some("57014") => Some((ErrorCode::DeadlineExceeded, "query cancelled")),
                Some("53300") | Some("57P01") | Some("57P02") | Some("57P03") => {
                    Some((ErrorCode::Unavailable, "database unavailable"))
                }
                Some("P0001") | Some("42501") => {
                    Some((ErrorCode::FailedPrecondition, "refused by the database"))
                }
                _ => None,
            },
            _ => None,
        };
        match code {
            Some((code, message)) => ServiceError::new(code, message).with_source(err),
            None => ServiceError::internal(err),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_travel_as_bad_request_details() {
        let err = ServiceError::invalid(vec![
            FieldViolation::new("national_number", "bad check digits"),
            FieldViolation::new("amount", "must be positive"),
        ]);
        let status: tonic::Status = err.into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let bad = details.bad_request().map(|b| b.field_violations.clone());
        let fields: Vec<_> = bad
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["national_number", "amount"]);
    }

    #[test]
    fn metadata_travels_with_the_reason_only() {
        let err = ServiceError::permission_denied("PURPOSE_REQUIRED", "no purpose")
            .with_metadata("access_log_sequence", "42");
        let status: tonic::Status = err.into();
        let info = status.get_error_details().error_info().cloned();
        let info = info.expect("an ErrorInfo detail");
        assert_eq!(info.reason, "PURPOSE_REQUIRED");
        assert_eq!(info.domain, ERROR_DOMAIN);
        assert_eq!(
            info.metadata.get("access_log_sequence").map(String::as_str),
            Some("42")
        );
        let plain: tonic::Status = ServiceError::failed_precondition("R", "m").into();
        let info = plain.get_error_details().error_info().cloned();
        assert_eq!(info.map(|i| i.metadata.is_empty()), Some(true));
        let no_reason: tonic::Status = ServiceError::not_found("gone")
            .with_metadata("k", "v")
            .into();
        assert!(no_reason.get_error_details().error_info().is_none());
    }

    #[test]
    fn internal_errors_hide_their_source() {
        let err = ServiceError::internal(std::io::Error::other("password=hunter2 at 10.0.0.1"));
        let status: tonic::Status = err.into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
        assert!(status.message().contains("reference"));
    }
}
