//! Checking an AddReferenceValue request, every field at once, before anything is read or
//! written. The database repeats the essential checks as constraints.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::{Money, YearMonth};
use secal_proto::v1 as pb;
use secal_rules::{
    RefKind, RefPayload, SeizureBrackets, SurchargeRule,
    reference::{LinkKey, PriceKey},
};
use secal_runtime::{FieldViolation, ServiceError, ServiceResult, Violations, wire};

use crate::convert::ref_kind_from_pb;

const MAX_SOURCE_LEN: usize = 500;
const MAX_REASON_LEN: usize = 1000;

/// A checked request to add a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewValue {
    pub idempotency_key: String,
    pub kind: RefKind,
    pub key: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub payload: RefPayload,
    pub source: String,
    pub end_open: Option<i64>,
    pub supersedes: Option<i64>,
    pub reason: String,
}

/// A price-index key is its month and base ("YYYY-MM" on base 2013, "YYYY-MM/BBBB"
/// otherwise), a linking coefficient's "<series>:<from>:<to>"; the other kinds have none.
pub(super) fn key_form(field: &str, kind: RefKind, key: &str) -> Result<(), FieldViolation> {
    match kind {
        RefKind::Cpi | RefKind::HealthIndex => price_month(field, key).map(|_| ()),
        RefKind::PriceIndexLink => LinkKey::parse(key).map(|_| ()).ok_or_else(|| {
            FieldViolation::new(
                field,
                "a linking coefficient's key is \"<cpi|health_index>:<from base>:<to base>\", \
                 e.g. \"cpi:2004:2013\"",
            )
        }),
        _ if key.is_empty() => Ok(()),
        _ => Err(FieldViolation::new(
            field,
            format!("{kind} values have no key; leave it empty"),
        )),
    }
}

fn price_month(field: &str, key: &str) -> Result<YearMonth, FieldViolation> {
    PriceKey::parse(key).map(|k| k.month).ok_or_else(|| {
        FieldViolation::new(
            field,
            "a price index value's key is its month, \"YYYY-MM\" (base 2013 = 100), or \
             \"YYYY-MM/BBBB\" on another base BBBB",
        )
    })
}

/// A plain non-negative decimal (`6`, `2.75`, `101.84`): no sign, exponent or separator, at
/// most `max_decimals` decimals.
fn decimal(text: &str, max_decimals: u32) -> Result<Decimal, String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return Err("a non-negative decimal like 2.75 is required".into());
    }
    if fraction.len() > max_decimals as usize {
        return Err(format!("at most {max_decimals} decimals"));
    }
    if whole.trim_start_matches('0').len() > 9 {
        return Err("too large".into());
    }
    Decimal::from_str_exact(text).map_err(|_| "not a decimal".into())
}

fn percent(field: String, text: &str, out: &mut Violations) -> Option<Decimal> {
    let checked = decimal(text.trim(), 4).and_then(|p| {
        if p > Decimal::ONE_HUNDRED {
            Err("a percentage between 0 and 100 is required".into())
        } else {
            Ok(p)
        }
    });
    checked.map_err(|e| out.add(field, e)).ok()
}

fn number(kind: RefKind, text: &str, out: &mut Violations) -> Option<Decimal> {
    const FIELD: &str = "value.value";
    let max_decimals = match kind {
        RefKind::AdvanceCap
        | RefKind::ApplicantIncomeCeiling
        | RefKind::ApplicantIncomeCeilingChildIncrement => 2,
        _ => 6,
    };
    let text = text.trim();
    if text.is_empty() {
        out.add(FIELD, format!("{kind} needs a value"));
        return None;
    }
    let checked = decimal(text, max_decimals).and_then(|n| match kind {
        RefKind::Cpi | RefKind::HealthIndex if n.is_zero() => {
            Err("an index is positive".to_owned())
        }
        RefKind::PriceIndexLink if n.is_zero() => Err("a coefficient is positive".to_owned()),
        RefKind::LegalInterestRate if n > Decimal::ONE_HUNDRED => {
            Err("a rate between 0 and 100 percent is required".to_owned())
        }
        _ => Ok(n),
    });
    checked.map_err(|e| out.add(FIELD, e)).ok()
}

fn brackets(b: &pb::SeizureBrackets, out: &mut Violations) -> Option<SeizureBrackets> {
    let names = ["threshold_a", "threshold_b", "threshold_c", "threshold_d"];
    let amount = |name: &str, m: Option<&pb::Money>, out: &mut Violations| {
        let field = format!("value.seizure_brackets.{name}");
        match wire::money_from_pb(&field, m) {
            Ok(m) if m.is_negative() => {
                out.add(field, "must not be negative");
                None
            }
            Ok(m) => Some(m),
            Err(e) => out.take_all(Err(e)),
        }
    };
    let thresholds: Vec<Option<Money>> = [
        &b.threshold_a,
        &b.threshold_b,
        &b.threshold_c,
        &b.threshold_d,
    ]
    .into_iter()
    .zip(names)
    .map(|(m, name)| amount(name, m.as_ref(), out))
    .collect();
    let child = amount("child_increment", b.child_increment.as_ref(), out);
    for i in 1..thresholds.len() {
        if let (Some(Some(lower)), Some(Some(upper))) = (thresholds.get(i - 1), thresholds.get(i))
            && upper <= lower
        {
            out.add(
                format!("value.seizure_brackets.{}", names[i]),
                format!("must be greater than {} ({lower})", names[i - 1]),
            );
        }
    }
    match (thresholds.as_slice(), child) {
        ([Some(a), Some(b), Some(c), Some(d)], Some(child_increment))
            if a < b && b < c && c < d =>
        {
            Some(SeizureBrackets {
                a: *a,
                b: *b,
                c: *c,
                d: *d,
                child_increment,
            })
        }
        _ => None,
    }
}

fn payload(kind: RefKind, v: &pb::ReferenceValue, out: &mut Violations) -> Option<RefPayload> {
    use pb::reference_value::StructuredValue;
    if v.abolished {
        return abolished(kind, v, out);
    }
    match (kind, &v.structured_value) {
        (RefKind::SeizureBrackets, Some(StructuredValue::SeizureBrackets(b))) => {
            no_number(v, "for seizure brackets (they go in seizure_brackets)", out);
            brackets(b, out).map(RefPayload::Brackets)
        }
        (RefKind::DebtorSurcharge, Some(StructuredValue::SurchargeRule(s))) => {
            no_number(v, "for a surcharge rule (it goes in surcharge_rule)", out);
            surcharge(s, out).map(RefPayload::Surcharge)
        }
        (RefKind::SeizureBrackets, _) => {
            out.add("value.seizure_brackets", "seizure brackets are required");
            None
        }
        (RefKind::DebtorSurcharge, _) => {
            out.add("value.surcharge_rule", "a surcharge rule is required");
            None
        }
        (_, _) => {
            if let Some(field) = structured_field(v) {
                out.add(field, format!("not used by {kind}; give value"));
            }
            number(kind, &v.value, out).map(RefPayload::Number)
        }
    }
}

/// The request field holding the structured value, if one is given.
fn structured_field(v: &pb::ReferenceValue) -> Option<&'static str> {
    use pb::reference_value::StructuredValue;
    match &v.structured_value {
        Some(StructuredValue::SeizureBrackets(_)) => Some("value.seizure_brackets"),
        Some(StructuredValue::SurchargeRule(_)) => Some("value.surcharge_rule"),
        None => None,
    }
}

/// A value that is not a plain number must not carry one as well: which would count?
fn no_number(v: &pb::ReferenceValue, why: &str, out: &mut Violations) {
    if !v.value.trim().is_empty() {
        out.add("value.value", format!("must be empty {why}"));
    }
}

/// Only the applicant income ceiling and its increment can be abolished; an abolished value
/// carries no figure of any shape.
fn abolished(kind: RefKind, v: &pb::ReferenceValue, out: &mut Violations) -> Option<RefPayload> {
    if !matches!(
        kind,
        RefKind::ApplicantIncomeCeiling | RefKind::ApplicantIncomeCeilingChildIncrement
    ) {
        out.add(
            "value.abolished",
            "only the applicant income ceiling and its child increment can be abolished",
        );
        return None;
    }
    no_number(v, "for an abolished value", out);
    if let Some(field) = structured_field(v) {
        out.add(field, "must be absent for an abolished value");
    }
    Some(RefPayload::Abolished)
}

/// Both percentages are checked before either is given up on, so that both are reported.
fn surcharge(s: &pb::SurchargeRule, out: &mut Violations) -> Option<SurchargeRule> {
    let debtor = percent(
        "value.surcharge_rule.debtor_surcharge_percent".into(),
        &s.debtor_surcharge_percent,
        out,
    );
    let creditor = percent(
        "value.surcharge_rule.creditor_deduction_percent".into(),
        &s.creditor_deduction_percent,
        out,
    );
    Some(SurchargeRule {
        debtor_percent: debtor?,
        creditor_percent: creditor?,
    })
}

/// Validity: a price index value covers exactly its month (derived from the key when left out).
fn validity(
    kind: RefKind,
    key: &str,
    v: &pb::ReferenceValue,
    out: &mut Violations,
) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let mut date = |field: &str, d: Option<&pb::Date>| {
        out.take_all(wire::optional_date_from_pb(field, d))
            .ok_or(())
    };
    let from = date("value.valid_from", v.valid_from.as_ref());
    let to = date("value.valid_to", v.valid_to.as_ref());
    let (Ok(from), Ok(to)) = (from, to) else {
        return None;
    };
    if kind.is_price_index() {
        let month = price_month("value.key", key).ok()?;
        let (first, last) = (month.first_day(), month.last_day());
        if from.is_some_and(|f| f != first) {
            out.add(
                "value.valid_from",
                format!("a price index value covers its month: {first}"),
            );
        }
        if to.is_some_and(|t| t != last) {
            out.add(
                "value.valid_to",
                format!("a price index value covers its month: {last}"),
            );
        }
        return Some((first, Some(last)));
    }
    let Some(from) = from else {
        out.add("value.valid_from", "a date is required");
        return None;
    };
    if to.is_some_and(|t| t < from) {
        out.add("value.valid_to", "must not be before valid_from");
        return None;
    }
    Some((from, to))
}

pub(super) fn text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    out: &mut Violations,
) -> String {
    // The one text parser: one line of at most `max` characters, no control characters.
    let limit = wire::TextLimit {
        max_chars: max,
        multiline: false,
    };
    match wire::optional_text(field, value, limit) {
        Ok(Some(text)) => text,
        Ok(None) => {
            if required {
                out.add(field, "is required");
            }
            String::new()
        }
        Err(e) => {
            out.add(e.field, e.description);
            String::new()
        }
    }
}

fn value_id(field: &str, id: &str, out: &mut Violations) -> Option<i64> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    match id.parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            out.add(field, "not a reference value id");
            None
        }
    }
}

/// Checks the whole request; every offending field is reported at once.
impl TryFrom<&pb::AddReferenceValueRequest> for NewValue {
    type Error = ServiceError;

    fn try_from(req: &pb::AddReferenceValueRequest) -> ServiceResult<Self> {
        let mut out = Violations::new();
        let key = out.idempotency_key(req.idempotency_key.as_ref());
        let end_open = value_id("end_open_value_id", &req.end_open_value_id, &mut out);
        let supersedes = value_id(
            "supersedes_reference_value_id",
            &req.supersedes_reference_value_id,
            &mut out,
        );
        if end_open.is_some() && supersedes.is_some() {
            out.add(
                "supersedes_reference_value_id",
                "give end_open_value_id or supersedes_reference_value_id, not both",
            );
        }
        let replaces = !req.end_open_value_id.trim().is_empty()
            || !req.supersedes_reference_value_id.trim().is_empty();
        let reason = text("reason", &req.reason, MAX_REASON_LEN, replaces, &mut out);
        let value = match &req.value {
            None => {
                out.add("value", "the value to add is required");
                None
            }
            Some(v) => value_fields(v, &mut out),
        };
        out.finish(|| {
            let (kind, key_text, (valid_from, valid_to), payload, source) = value?;
            Some(NewValue {
                idempotency_key: key?,
                kind,
                key: key_text,
                valid_from,
                valid_to,
                payload,
                source,
                end_open,
                supersedes,
                reason,
            })
        })
    }
}

type ValueFields = (
    RefKind,
    String,
    (NaiveDate, Option<NaiveDate>),
    RefPayload,
    String,
);

fn value_fields(v: &pb::ReferenceValue, out: &mut Violations) -> Option<ValueFields> {
    let source = text("value.source", &v.source, MAX_SOURCE_LEN, true, out);
    let Some(kind) = ref_kind_from_pb(v.kind) else {
        out.add("value.kind", "a known reference kind is required");
        return None;
    };
    let key = v.key.trim().to_owned();
    let key_ok = out.take(key_form("value.key", kind, &key)).is_some();
    let dates = if key_ok {
        validity(kind, &key, v, out)
    } else {
        None
    };
    let payload = payload(kind, v, out);
    Some((kind, key, dates?, payload?, source))
}

#[cfg(test)]
mod tests;
