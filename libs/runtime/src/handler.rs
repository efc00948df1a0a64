//! The one shape of an RPC, in every service:
//!
//! 1. the generated trait impl is a thin adapter, written by [`grpc_service!`]: it verifies
//!    the caller and hands the request to the RPC's use case, `use_case(api, &caller, request)`;
//! 2. the use case parses the request once into a command of domain types
//!    (`TryFrom<&pb::XRequest>`), every violation collected by one [`Violations`] builder, so
//!    that a bad request is INVALID_ARGUMENT naming each field before anything is written;
//! 3. it does the work (one transaction for a write, claiming the idempotency key first);
//! 4. it converts the answer to the wire types (`wire.rs` and the service's `to_pb`).
//!
//! Errors map to a gRPC status in one place, [`crate::ServiceError`].

use crate::error::{FieldViolation, ServiceError, ServiceResult};

/// Every problem of one request, collected while it is parsed.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value, or `None` with the violation recorded.
    pub fn take<T>(&mut self, parsed: Result<T, FieldViolation>) -> Option<T> {
        parsed.map_err(|v| self.0.push(v)).ok()
    }

    /// The same for the parsers that answer a `ServiceError` (its field violations are kept;
    /// an error that names no field is kept as a violation of the request as a whole).
    pub fn take_all<T>(&mut self, parsed: ServiceResult<T>) -> Option<T> {
        parsed
            .map_err(|e| match e.violations() {
                [] => self.0.push(FieldViolation::new("", e.to_string())),
                named => self.0.extend(named.iter().cloned()),
            })
            .ok()
    }

    /// The request's idempotency key (field `idempotency_key`), every mutating RPC's first part.
    pub fn idempotency_key(
        &mut self,
        key: Option<&secal_proto::v1::IdempotencyKey>,
    ) -> Option<String> {
        self.take_all(crate::idempotency::validate_key(key, "idempotency_key"))
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    pub fn extend(&mut self, found: impl IntoIterator<Item = FieldViolation>) {
        self.0.extend(found);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The command when nothing was violated (`build` sees the parsed parts, all `Some` then);
    /// otherwise INVALID_ARGUMENT naming every field.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> ServiceResult<T> {
        if !self.0.is_empty() {
            return Err(ServiceError::invalid(self.0));
        }
        // Every part parsed: a `None` here is a parser that failed without saying why.
        build().ok_or_else(|| {
            ServiceError::internal(std::io::Error::other(
                "a request part failed to parse without a violation",
            ))
        })
    }
}

/// Writes a service's generated trait impl: each line `method(Request) -> Response => f`
/// calls `f(self, &caller, request)`, an `async fn` answering `ServiceResult<Response>`. The
/// service trait must be in scope by its name.
/// Streaming RPCs (their return type differs) are written by hand after `streaming:`.
///
/// ```ignore
/// secal_runtime::grpc_service! {
///     impl ReceiptsService for PaymentsApi {
///         record_debtor_payment(RecordDebtorPaymentRequest) -> RecordDebtorPaymentResponse
///             => payments::record,
///     }
/// }
/// ```
#[macro_export]
macro_rules! grpc_service {
    (
        impl $service:ident for $api:ty {
            $( $method:ident($request:ident) -> $response:ident => $use_case:path, )*
        }
        $( streaming: { $($streaming:tt)* } )?
    ) => {
        #[$crate::__tonic::async_trait]
        impl $service for $api {
            $(
                async fn $method(
                    &self,
                    request: $crate::__tonic::Request<$crate::__proto::v1::$request>,
                ) -> ::std::result::Result<
                    $crate::__tonic::Response<$crate::__proto::v1::$response>,
                    $crate::__tonic::Status,
                > {
                    let caller = $crate::Caller::of(&request)?;
                    let request = request.into_inner();
                    let name = concat!("secal.v1.", stringify!($request));
                    // The request's wire encoding, walked by its descriptor (`syntax`): a text
                    // no field accepts is refused before the use case, and a refusal names
                    // every malformed value, not only the first part the use case found wrong.
                    let encoded = $crate::syntax::encoded(&request);
                    $crate::syntax::refuse_texts_in(name, &encoded)?;
                    let answer = $use_case(self, &caller, request).await.map_err(|e| {
                        $crate::syntax::name_the_rest(e, name, &encoded)
                    })?;
                    Ok($crate::__tonic::Response::new(answer))
                }
            )*
            $( $($streaming)* )?
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_violation_is_kept_and_nothing_is_built_then() {
        let mut v = Violations::new();
        let a = v.take::<i32>(Err(FieldViolation::new("a", "bad")));
        let b = v.take_all::<i32>(Err(ServiceError::invalid(vec![
            FieldViolation::new("b", "bad"),
            FieldViolation::new("c", "bad"),
        ])));
        let d = v.take::<i32>(Ok(4));
        assert_eq!((a, b, d), (None, None, Some(4)));
        let err = v.finish(|| Some(1)).expect_err("three violations");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["a", "b", "c"]);
    }

    #[test]
    fn a_clean_request_builds_its_command() {
        let mut v = Violations::new();
        let a = v.take::<i32>(Ok(2));
        assert_eq!(v.finish(|| Some(a? * 2)).ok(), Some(4));
    }

    #[test]
    fn a_flood_of_violations_is_capped_and_the_message_names_the_first_fields() {
        let mut v = Violations::new();
        for i in 0..150 {
            v.add(format!("rows[{i}].amount"), "bad");
        }
        let err = v.finish(|| Some(())).expect_err("invalid");
        assert_eq!(err.violations().len(), crate::error::MAX_VIOLATIONS);
        assert_eq!(
            err.violations().last().map(|v| v.description.as_str()),
            Some("51 more violations are not listed")
        );
        assert!(err.to_string().contains(
            "150 invalid fields: rows[0].amount, rows[1].amount, rows[2].amount, \
             rows[3].amount, rows[4].amount and 145 more"
        ));
    }
}
