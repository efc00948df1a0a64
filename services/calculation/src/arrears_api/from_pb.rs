//! Requests read from the wire into the rules' types. Every unreadable field is recorded with
//! its proto path and replaced by a stand-in, so that the rules can still check the rest.

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};
use secal_proto::v1 as pb;
use secal_rules::{
    admissibility::{DeclaredArrears, DeclaredUnpaidMonth},
    claim::{
        ActKind, ArrearsCase, JudgmentArrears, LegalAct, MonthRange, Payment, Title, TitleCreditor,
    },
    indexation::{AmountPeriod, AmountRule},
    interest::InterestClaim,
};
use secal_runtime::{ServiceError, ServiceResult, wire};

use crate::collect::Collector;
use crate::convert;

/// The collector of a request's problems, with the stand-ins its readers use.
pub(super) struct Reader {
    pub col: Collector,
    /// Far from any real case, so that a stand-in adds no violation of its own.
    far: YearMonth,
}

impl Reader {
    pub fn new() -> ServiceResult<Self> {
        let far = YearMonth::new(2999, 12).map_err(ServiceError::internal)?;
        Ok(Self {
            col: Collector::per_entry(),
            far,
        })
    }

    fn far_date(&self) -> NaiveDate {
        self.far.first_day()
    }

    fn stand_in_rule(&self) -> AmountRule {
        AmountRule::Explicit(vec![AmountPeriod {
            first: self.far,
            last: None,
            amount: Money::ZERO,
        }])
    }
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// `parse` of one field, its path written out only when it refuses: the readers run over
/// every row of a request (dozens for a submission's declared arrears, a thousand payments
/// for a long case), and formatting each row's paths was a visible share of the CPU. The
/// wire parsers are pure: a refusal is parsed again under its name.
fn named<T, E>(
    parse: impl Fn(&str) -> Result<T, E>,
    field: impl FnOnce() -> String,
) -> Result<T, E> {
    parse("").or_else(|_| parse(&field()))
}

/// A required date, or the far stand-in.
pub(super) fn date(r: &mut Reader, field: &str, d: Option<&pb::Date>) -> NaiveDate {
    r.col.take_or(wire::date_from_pb(field, d), r.far_date())
}

/// The entries of a list, or none (with the violation) when there are more than the rules
/// take: the count is refused before any entry is read, where reading and checking 100,000
/// entries kept a server thread busy for seconds before the same refusal.
fn bounded<'a, T>(r: &mut Reader, field: &str, items: &'a [T], max: usize) -> &'a [T] {
    if items.len() > max {
        r.col.push(field, format!("at most {max} entries"));
        return &[];
    }
    items
}

pub(super) fn case(r: &mut Reader, f: &str, c: Option<&pb::ArrearsCase>) -> ArrearsCase {
    let (no_case, no_title);
    let c = match c {
        Some(c) => c,
        None => {
            r.col.push(f, "an arrears case is required");
            no_case = pb::ArrearsCase::default();
            &no_case
        }
    };
    let title = match &c.title {
        Some(t) => t,
        None => {
            r.col.push(format!("{f}.title"), "a title is required");
            no_title = pb::MaintenanceTitle::default();
            &no_title
        }
    };
    use secal_rules::arrears::{MAX_ACTS, MAX_CREDITORS, MAX_PAYMENTS};
    let title_creditors = &title.creditors;
    let creditors_field = format!("{f}.title.creditors");
    let title_creditors = bounded(r, &creditors_field, title_creditors, MAX_CREDITORS);
    let payments = bounded(r, &format!("{f}.payments"), &c.payments, MAX_PAYMENTS);
    let acts = bounded(r, &format!("{f}.acts"), &c.acts, MAX_ACTS);
    let judgments_field = format!("{f}.judgment_fixed_arrears");
    let judgments = bounded(r, &judgments_field, &c.judgment_fixed_arrears, MAX_ACTS);
    let creditors = title_creditors
        .iter()
        .enumerate()
        .map(|(i, tc)| creditor(r, &format!("{f}.title.creditors[{i}]"), tc))
        .collect();
    ArrearsCase {
        title: Title {
            due_day: title.due_day,
            creditors,
        },
        payments: payments
            .iter()
            .enumerate()
            .map(|(i, p)| payment(r, f, i, p))
            .collect(),
        acts: acts
            .iter()
            .enumerate()
            .map(|(i, a)| act(r, &format!("{f}.acts[{i}]"), a))
            .collect(),
        judgments: judgments
            .iter()
            .enumerate()
            .map(|(i, j)| judgment(r, &format!("{f}.judgment_fixed_arrears[{i}]"), j))
            .collect(),
    }
}

fn creditor(r: &mut Reader, f: &str, c: &pb::TitleCreditor) -> TitleCreditor {
    TitleCreditor {
        id: c.creditor_id.clone(),
        first_month: r.col.take_or(
            wire::year_month_from_pb(&format!("{f}.first_month"), c.first_month.as_ref()),
            r.far,
        ),
        last_month: r.col.take_or(
            wire::optional_year_month_from_pb(&format!("{f}.last_month"), c.last_month.as_ref()),
            None,
        ),
        amount: r.col.take_or(
            convert::amount_rule(&format!("{f}.amount"), c.amount.as_ref()),
            r.stand_in_rule(),
        ),
    }
}

/// Payment `i` of the case at `f`.
fn payment(r: &mut Reader, f: &str, i: usize, p: &pb::ReceivedPayment) -> Payment {
    let at = |leaf: &str| format!("{f}.payments[{i}].{leaf}");
    Payment {
        id: p.payment_id.clone(),
        paid_on: r.col.take_or(
            named(
                |n| wire::date_from_pb(n, p.paid_on.as_ref()),
                || at("paid_on"),
            ),
            r.far_date(),
        ),
        amount: r.col.take_or(
            named(
                |n| wire::money_from_pb(n, p.amount.as_ref()),
                || at("amount"),
            ),
            Money::from_cents(1),
        ),
        for_month: r.col.take_or(
            named(
                |n| wire::optional_year_month_from_pb(n, p.for_month.as_ref()),
                || at("for_month"),
            ),
            None,
        ),
        creditor_id: opt(&p.creditor_id),
    }
}

fn act_kind(kind: i32) -> Option<ActKind> {
    use pb::LegalActKind as K;
    Some(match K::try_from(kind).ok()? {
        K::Unspecified => return None,
        K::FormalNotice => ActKind::FormalNotice,
        K::Summons => ActKind::Summons,
        K::PaymentOrder => ActKind::PaymentOrder,
        K::Seizure => ActKind::Seizure,
        K::DebtorAcknowledgement => ActKind::DebtorAcknowledgement,
        K::Judgment => ActKind::Judgment,
    })
}

fn act(r: &mut Reader, f: &str, a: &pb::LegalAct) -> LegalAct {
    let kind = act_kind(a.kind).unwrap_or_else(|| {
        r.col
            .push(format!("{f}.kind"), "a legal act kind is required");
        ActKind::FormalNotice
    });
    LegalAct {
        id: a.act_id.clone(),
        kind,
        date: date(r, &format!("{f}.act_date"), a.act_date.as_ref()),
        creditor_ids: a.creditor_ids.clone(),
        covered: month_range(r, &format!("{f}.covered_months"), a.covered_months.as_ref()),
    }
}

/// An absent range, or one with neither month, is `None`.
fn month_range(r: &mut Reader, f: &str, range: Option<&pb::MonthRange>) -> Option<MonthRange> {
    let range = range?;
    let last = r.col.take_or(
        wire::optional_year_month_from_pb(&format!("{f}.last_month"), range.last_month.as_ref()),
        None,
    );
    let first = r.col.take_or(
        wire::optional_year_month_from_pb(&format!("{f}.first_month"), range.first_month.as_ref()),
        None,
    );
    match (first, last) {
        (Some(first), last) => Some(MonthRange { first, last }),
        (None, None) if range.first_month.is_none() && range.last_month.is_none() => None,
        (None, last) => {
            if range.first_month.is_none() {
                r.col
                    .push(format!("{f}.first_month"), "a month is required");
            }
            Some(MonthRange { first: r.far, last })
        }
    }
}

fn judgment(r: &mut Reader, f: &str, j: &pb::JudgmentFixedArrears) -> JudgmentArrears {
    let covered = month_range(r, &format!("{f}.covered_months"), j.covered_months.as_ref())
        .unwrap_or_else(|| {
            r.col.push(
                format!("{f}.covered_months"),
                "required: the months whose arrears the judgment fixed",
            );
            MonthRange {
                first: r.far,
                last: Some(r.far),
            }
        });
    JudgmentArrears {
        id: j.judgment_id.clone(),
        creditor_id: j.creditor_id.clone(),
        date: date(r, &format!("{f}.judgment_date"), j.judgment_date.as_ref()),
        covered,
        lump_sum: r.col.take_or(
            wire::optional_money_from_pb(&format!("{f}.lump_sum"), j.lump_sum.as_ref()),
            None,
        ),
    }
}

pub(super) fn declared(r: &mut Reader, f: &str, d: &pb::DeclaredArrears) -> DeclaredArrears {
    DeclaredArrears {
        due_day: d.due_day,
        months: d
            .months
            .iter()
            .enumerate()
            .map(|(i, m)| DeclaredUnpaidMonth {
                creditor_id: m.creditor_id.clone(),
                month: r.col.take_or(
                    named(
                        |n| wire::year_month_from_pb(n, m.month.as_ref()),
                        || format!("{f}.months[{i}].month"),
                    ),
                    r.far,
                ),
                unpaid: r.col.take_or(
                    named(
                        |n| wire::money_from_pb(n, m.unpaid.as_ref()),
                        || format!("{f}.months[{i}].unpaid"),
                    ),
                    Money::from_cents(1),
                ),
            })
            .collect(),
    }
}

pub(super) fn claims(r: &mut Reader, claims: &[pb::InterestClaim]) -> Vec<InterestClaim> {
    claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let f = format!("claims[{i}]");
            let start = date(r, &format!("{f}.start_date"), c.start_date.as_ref());
            InterestClaim {
                id: c.claim_id.clone(),
                principal: r.col.take_or(
                    wire::money_from_pb(&format!("{f}.principal"), c.principal.as_ref()),
                    Money::from_cents(1),
                ),
                start,
                end: r.col.take_or(
                    wire::optional_date_from_pb(&format!("{f}.end_date"), c.end_date.as_ref()),
                    Some(start),
                ),
            }
        })
        .collect()
}
