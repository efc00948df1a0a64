//! ListReferenceValues and GetReferenceValue: read from the database, not the snapshot, so
//! that answers carry the audit fields and superseded values can be listed.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_rules::RefKind;
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};

use super::{ValueRow, validate};
use crate::{api::CalculationApi, convert::ref_kind_from_pb};

fn required_kind(kind: i32) -> Result<RefKind, FieldViolation> {
    ref_kind_from_pb(kind)
        .ok_or_else(|| FieldViolation::new("kind", "a known reference kind is required"))
}

/// "key \"2024-03\"" or "no key", for messages.
pub(super) fn describe_key(key: &str) -> String {
    if key.is_empty() {
        "no key".into()
    } else {
        format!("key {key:?}")
    }
}

/// A ListReferenceValues request, read.
struct ListQuery {
    kind: RefKind,
    in_force_on: Option<NaiveDate>,
    page: wire::Page,
}

impl TryFrom<&pb::ListReferenceValuesRequest> for ListQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListReferenceValuesRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let kind = v.take(required_kind(req.kind));
        let in_force_on = v.take_all(wire::optional_date_from_pb(
            "in_force_on",
            req.in_force_on.as_ref(),
        ));
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        v.finish(|| {
            Some(Self {
                kind: kind?,
                in_force_on: in_force_on?,
                page: page?,
            })
        })
    }
}

/// A GetReferenceValue request, read.
struct GetQuery<'a> {
    kind: RefKind,
    key: &'a str,
    date: NaiveDate,
}

impl<'a> TryFrom<&'a pb::GetReferenceValueRequest> for GetQuery<'a> {
    type Error = ServiceError;

    fn try_from(req: &'a pb::GetReferenceValueRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let kind = v.take(required_kind(req.kind));
        let key = req.key.trim();
        if let Some(kind) = kind {
            v.take(validate::key_form("key", kind, key));
        }
        let date = v.take_all(wire::date_from_pb("in_force_on", req.in_force_on.as_ref()));
        v.finish(|| {
            Some(Self {
                kind: kind?,
                key,
                date: date?,
            })
        })
    }
}

impl CalculationApi {
    #[tracing::instrument(skip_all, fields(kind = req.kind, key = %req.key))]
    pub(crate) async fn list_reference_values(
        &self,
        _caller: &Caller,
        req: pb::ListReferenceValuesRequest,
    ) -> ServiceResult<pb::ListReferenceValuesResponse> {
        let ListQuery {
            kind,
            in_force_on,
            page,
        } = ListQuery::try_from(&req)?;
        let rows: Vec<ValueRow> = sqlx::query_as(concat!(
            "SELECT ",
            value_columns!(),
            " FROM reference_values v
             WHERE v.kind = $1
               AND ($2 = '' OR v.key = $2)
               AND ($3::date IS NULL
                    OR (v.valid_from <= $3 AND (v.valid_to IS NULL OR v.valid_to >= $3)))
               AND ($4 OR EXISTS (SELECT 1 FROM reference_live l WHERE l.value_id = v.id))
               AND ($5::bigint IS NULL OR (v.valid_from, v.id) >
                    (SELECT p.valid_from, p.id FROM reference_values p WHERE p.id = $5))
             ORDER BY v.valid_from, v.id
             LIMIT $6"
        ))
        .bind(kind.as_str())
        .bind(req.key.trim())
        .bind(in_force_on)
        .bind(req.include_superseded)
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        let next = wire::page_to_pb(&page, rows.len(), rows.last().map(|r| r.id));
        Ok(pb::ListReferenceValuesResponse {
            values: rows
                .iter()
                .map(ValueRow::to_pb)
                .collect::<ServiceResult<_>>()?,
            page: Some(next),
        })
    }

    #[tracing::instrument(skip_all, fields(kind = req.kind, key = %req.key))]
    pub(crate) async fn get_reference_value(
        &self,
        _caller: &Caller,
        req: pb::GetReferenceValueRequest,
    ) -> ServiceResult<pb::GetReferenceValueResponse> {
        let GetQuery { kind, key, date } = GetQuery::try_from(&req)?;
        let row: Option<ValueRow> = sqlx::query_as(concat!(
            "SELECT ",
            value_columns!(),
            " FROM reference_values v JOIN reference_live l ON l.value_id = v.id
             WHERE v.kind = $1 AND v.key = $2 AND l.validity @> $3::date"
        ))
        .bind(kind.as_str())
        .bind(key)
        .bind(date)
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or_else(|| {
            ServiceError::not_found(format!(
                "no {kind} value ({}) in force on {date}",
                describe_key(key)
            ))
        })?;
        Ok(pb::GetReferenceValueResponse {
            value: Some(row.to_pb()?),
        })
    }
}
