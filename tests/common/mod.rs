//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use secal_proto::v1 as pb;
use tonic::Code;

pub fn key(v: &str) -> Option<pb::IdempotencyKey> {
    Some(pb::IdempotencyKey {
        value: v.to_owned(),
    })
}

pub fn nn(v: &str) -> Option<pb::NationalNumber> {
    Some(pb::NationalNumber {
        value: v.to_owned(),
    })
}

pub fn money(v: &str) -> Option<pb::Money> {
    Some(pb::Money {
        amount: v.to_owned(),
    })
}

pub fn date(y: i32, m: i32, d: i32) -> Option<pb::Date> {
    Some(pb::Date {
        year: y,
        month: m,
        day: d,
    })
}

/// The fields named in a status's google.rpc.BadRequest details.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

pub fn assert_code<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: Code,
) -> tonic::Status {
    match result {
        Ok(v) => panic!("expected {code:?}, got Ok({v:?})"),
        Err(s) => {
            assert_eq!(s.code(), code, "unexpected status: {s:?}");
            s
        }
    }
}

/// A valid NISS (born 1985-07-30) and a valid post-2000 one (born 2007-03-15).
pub const NISS_1985: &str = "85073003328";
