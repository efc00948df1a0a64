//! A stored reference value as read from `reference_values`, and its two faces: the rules'
//! `RefValue` and the wire's `ReferenceValue`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_domain::Money;
use secal_proto::v1 as pb;
use secal_rules::{RefKind, RefPayload, RefValue, SeizureBrackets, SurchargeRule};
use secal_runtime::{ServiceError, ServiceResult, wire};

use crate::convert::ref_value_to_pb;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct ValueRow {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub value: Option<Decimal>,
    pub threshold_a: Option<Decimal>,
    pub threshold_b: Option<Decimal>,
    pub threshold_c: Option<Decimal>,
    pub threshold_d: Option<Decimal>,
    pub child_increment: Option<Decimal>,
    pub debtor_percent: Option<Decimal>,
    pub creditor_percent: Option<Decimal>,
    pub abolished: bool,
    pub source: String,
    pub supersedes_id: Option<i64>,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_via: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub superseded_by: Option<i64>,
}

/// The database's CHECK constraints make these impossible; if one happens anyway the row
/// is reported, not guessed at.
fn corrupt(id: i64, what: &str) -> ServiceError {
    ServiceError::internal(std::io::Error::other(format!(
        "reference value {id}: {what}"
    )))
}

impl ValueRow {
    pub fn to_rule_value(&self) -> ServiceResult<RefValue> {
        let kind = RefKind::parse(&self.kind).ok_or_else(|| corrupt(self.id, "unknown kind"))?;
        let money = |m: Option<Decimal>| {
            m.map(Money::from_decimal)
                .ok_or_else(|| corrupt(self.id, "incomplete seizure brackets"))
        };
        let payload = if self.abolished {
            RefPayload::Abolished
        } else {
            match kind {
                RefKind::SeizureBrackets => RefPayload::Brackets(SeizureBrackets {
                    a: money(self.threshold_a)?,
                    b: money(self.threshold_b)?,
                    c: money(self.threshold_c)?,
                    d: money(self.threshold_d)?,
                    child_increment: money(self.child_increment)?,
                }),
                RefKind::DebtorSurcharge => match (self.debtor_percent, self.creditor_percent) {
                    (Some(debtor_percent), Some(creditor_percent)) => {
                        RefPayload::Surcharge(SurchargeRule {
                            debtor_percent,
                            creditor_percent,
                        })
                    }
                    _ => return Err(corrupt(self.id, "incomplete surcharge rule")),
                },
                _ => RefPayload::Number(
                    self.value
                        .ok_or_else(|| corrupt(self.id, "value missing"))?,
                ),
            }
        };
        Ok(RefValue {
            id: self.id.to_string(),
            kind,
            key: self.key.clone(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            payload,
            source: self.source.clone(),
        })
    }

    /// The value with its history: who recorded it, what it replaced or was replaced by.
    pub fn to_pb(&self) -> ServiceResult<pb::ReferenceValue> {
        let id_text = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
        Ok(pb::ReferenceValue {
            recorded: Some(pb::AuditStamp {
                actor: self.recorded_by.clone(),
                at: wire::timestamp(self.recorded_at),
                via: self.recorded_via.clone().unwrap_or_default(),
            }),
            supersedes_reference_value_id: id_text(self.supersedes_id),
            superseded_by_reference_value_id: id_text(self.superseded_by),
            reason: self.reason.clone(),
            ..ref_value_to_pb(&self.to_rule_value()?)
        })
    }
}
