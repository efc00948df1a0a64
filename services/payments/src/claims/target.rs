//! What the claim account must hold, from the calculation service's table, and the transfers
//! that bring the ledger there. Pure.
//!
//! Per creditor and month the account holds the line's due (the lump sum of a judgment sits
//! on the last month it covers), its interest to the booking date, and — when the line is
//! time-barred — its unpaid part moved off the enforceable principal; per month, the fee of
//! the application's regime on the dues (each line's due × the regime's percentage, rounded
//! half away from zero to the cent, so that a month's fee never changes once its dues are
//! booked). Anything the ledger holds beyond that (an amendment lowered a month, a backdated
//! act revived a line) is corrected by the reverse transfer, never edited.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use secal_proto::v1::{self as pb, TransferCode};

use super::booked::{Booked, Component};
use crate::ledger::{AccountKey, AccountKind as K, NewTransfer};

/// One line of the calculation's table, in cents and dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub creditor: String,
    /// The creditor's position in the title.
    pub position: i32,
    pub kind: pb::ArrearsLineKind,
    /// First day of the month.
    pub month: NaiveDate,
    pub due_date: NaiveDate,
    pub due: i64,
    pub unpaid: i64,
    pub status: pb::InstalmentStatus,
    pub limit: NaiveDate,
    pub limitation_set_by: String,
    pub interest: i64,
    pub interest_from: Option<NaiveDate>,
}

fn cents(field: &str, m: Option<&pb::Money>) -> Result<i64, String> {
    m.and_then(|m| m.amount.parse::<secal_domain::Money>().ok())
        .and_then(|m| m.to_cents().ok())
        .ok_or_else(|| format!("the calculation's {field} is not an amount"))
}

fn date(field: &str, d: Option<&pb::Date>) -> Result<NaiveDate, String> {
    d.and_then(|d| {
        NaiveDate::from_ymd_opt(
            d.year,
            u32::try_from(d.month).ok()?,
            u32::try_from(d.day).ok()?,
        )
    })
    .ok_or_else(|| format!("the calculation's {field} is not a date"))
}

fn month(m: Option<&pb::YearMonth>) -> Result<NaiveDate, String> {
    m.and_then(|m| NaiveDate::from_ymd_opt(m.year, u32::try_from(m.month).ok()?, 1))
        .ok_or_else(|| "the calculation's line month is not a month".to_owned())
}

/// The table's lines, creditors in title order.
pub(crate) fn lines_of(resp: &pb::ComputeArrearsResponse) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (position, c) in (0i32..).zip(&resp.creditors) {
        for l in &c.lines {
            out.push(Line {
                creditor: c.creditor_id.clone(),
                position,
                kind: pb::ArrearsLineKind::try_from(l.kind).unwrap_or_default(),
                month: month(l.month.as_ref())?,
                due_date: date("due_date", l.due_date.as_ref())?,
                due: cents("due", l.due.as_ref())?,
                unpaid: cents("unpaid", l.unpaid.as_ref())?,
                status: pb::InstalmentStatus::try_from(l.status).unwrap_or_default(),
                limit: date("prescription_limit", l.prescription_limit.as_ref())?,
                limitation_set_by: l.limitation_set_by.clone(),
                interest: cents("interest", l.interest.as_ref())?,
                interest_from: l
                    .interest_from
                    .as_ref()
                    .map(|d| date("interest_from", Some(d)))
                    .transpose()?,
            });
        }
    }
    Ok(out)
}

/// The fee on one due, in cents.
pub(crate) fn fee_of(due: i64, percent: Decimal) -> i64 {
    let fee = (Decimal::from(due) * percent / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(fee).unwrap_or(i64::MAX)
}

/// An amount the account must hold, and the value date of a transfer that books it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Want {
    pub cents: i64,
    pub value_date: NaiveDate,
}

pub(crate) type Targets = BTreeMap<(Component, String, NaiveDate), Want>;

/// What the account must hold on `booked_to`. A due and its fee take the line's due date,
/// the interest the booking date, a write-off the first day the line is time-barred.
pub(crate) fn targets(lines: &[Line], fee_percent: Decimal, booked_to: NaiveDate) -> Targets {
    let mut t = Targets::new();
    let mut add = |k: (Component, String, NaiveDate), cents: i64, value_date: NaiveDate| {
        let w = t.entry(k).or_insert(Want {
            cents: 0,
            value_date,
        });
        w.cents += cents;
        w.value_date = w.value_date.min(value_date);
    };
    for l in lines {
        let c = l.creditor.clone();
        add((Component::Due, c.clone(), l.month), l.due, l.due_date);
        add(
            (Component::Fee, String::new(), l.month),
            fee_of(l.due, fee_percent),
            l.due_date,
        );
        add(
            (Component::Interest, c.clone(), l.month),
            l.interest,
            booked_to,
        );
        let barred = if l.status == pb::InstalmentStatus::TimeBarred {
            l.unpaid
        } else {
            0
        };
        let barred_on = l.limit.succ_opt().unwrap_or(l.limit).min(booked_to);
        add((Component::TimeBarred, c, l.month), barred, barred_on);
    }
    t
}

/// One difference to book: positive books more, negative corrects `corrects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delta {
    pub component: Component,
    pub creditor: String,
    pub month: NaiveDate,
    pub cents: i64,
    pub value_date: NaiveDate,
    pub corrects: Option<String>,
}

/// The differences between what the account must hold and what the ledger holds: additions
/// first, then corrections, then write-offs (which need the principal booked first).
pub(crate) fn deltas(targets: &Targets, booked: &Booked, booked_to: NaiveDate) -> Vec<Delta> {
    let keys: BTreeSet<&(Component, String, NaiveDate)> =
        targets.keys().chain(booked.keys()).collect();
    let mut out: Vec<Delta> = keys
        .into_iter()
        .filter_map(|k| {
            let want = targets.get(k);
            let have = booked.get(k);
            let cents = want.map_or(0, |w| w.cents) - have.map_or(0, |h| h.cents);
            (cents != 0).then(|| Delta {
                component: k.0,
                creditor: k.1.clone(),
                month: k.2,
                cents,
                value_date: match (cents > 0, want) {
                    (true, Some(w)) => w.value_date,
                    _ => booked_to,
                },
                corrects: (cents < 0)
                    .then(|| have.and_then(|h| h.last_transfer.clone()))
                    .flatten(),
            })
        })
        .collect();
    out.sort_by_key(|d| match (d.component, d.cents > 0) {
        (Component::TimeBarred, true) => 2,
        (_, true) => 0,
        (_, false) => 1,
    });
    out
}

/// Signed totals of a booking's differences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub principal: i64,
    pub fee: i64,
    pub interest: i64,
    pub time_barred: i64,
}

pub(crate) fn totals(deltas: &[Delta]) -> Totals {
    let mut t = Totals::default();
    for d in deltas {
        *match d.component {
            Component::Due => &mut t.principal,
            Component::Fee => &mut t.fee,
            Component::Interest => &mut t.interest,
            Component::TimeBarred => &mut t.time_barred,
        } += d.cents;
    }
    t
}

/// The transfers of a booking, ids `claim/<dossier>/<sequence>/<n>` from 1.
pub(crate) fn transfers(
    dossier: &str,
    sequence: i64,
    reference: &str,
    deltas: &[Delta],
) -> Vec<NewTransfer> {
    (1..)
        .zip(deltas)
        .map(|(n, d)| {
            let (debit, credit, code) = accounts(dossier, d);
            let (debit, credit) = if d.cents > 0 {
                (debit, credit)
            } else {
                (credit, debit)
            };
            let code = if d.cents > 0 {
                code
            } else {
                TransferCode::Correction
            };
            NewTransfer {
                for_month: Some(d.month),
                reference: reference.to_owned(),
                description: describe(d),
                corrects: d.corrects.clone(),
                ..NewTransfer::posted(
                    format!("claim/{dossier}/{sequence}/{n}"),
                    debit,
                    credit,
                    d.cents.abs(),
                    code,
                    d.value_date,
                )
            }
        })
        .collect()
}

/// The accounts and code of a positive difference (a negative one is the reverse).
fn accounts(dossier: &str, d: &Delta) -> (AccountKey, AccountKey, TransferCode) {
    let claim = || AccountKey::party(K::CreditorClaim, dossier, &d.creditor);
    match d.component {
        Component::Due => (
            AccountKey::dossier(K::DebtorPrincipal, dossier),
            claim(),
            TransferCode::DebtRecognition,
        ),
        Component::Interest => (
            AccountKey::dossier(K::DebtorInterest, dossier),
            claim(),
            TransferCode::Interest,
        ),
        Component::Fee => (
            AccountKey::dossier(K::DebtorSurcharge, dossier),
            AccountKey::service(K::FeeIncome),
            TransferCode::Surcharge,
        ),
        Component::TimeBarred => (
            AccountKey::party(K::DebtorTimeBarred, dossier, &d.creditor),
            AccountKey::dossier(K::DebtorPrincipal, dossier),
            TransferCode::WriteOff,
        ),
    }
}

fn describe(d: &Delta) -> String {
    let what = match d.component {
        Component::Due => "maintenance due",
        Component::Interest => "interest",
        Component::Fee => "fee",
        Component::TimeBarred => "time-barred",
    };
    let change = if d.cents > 0 { "" } else { "correction of " };
    format!(
        "{change}{what} {:04}-{:02}",
        d.month.year(),
        d.month.month()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::booked::Cell;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn line(
        month: u32,
        due: i64,
        unpaid: i64,
        status: pb::InstalmentStatus,
        interest: i64,
    ) -> Line {
        Line {
            creditor: "p-1".into(),
            position: 0,
            kind: pb::ArrearsLineKind::Instalment,
            month: day(2020, month, 1),
            due_date: day(2020, month, 5),
            due,
            unpaid,
            status,
            limit: day(2025, month, 5),
            limitation_set_by: String::new(),
            interest,
            interest_from: None,
        }
    }

    #[test]
    fn thirteen_percent_is_rounded_half_away_from_zero_per_line() {
        let pct = Decimal::from(13);
        assert_eq!(fee_of(25_000, pct), 3_250);
        assert_eq!(fee_of(12_345, pct), 1_605); // 1,604.85 → 1,605
        assert_eq!(fee_of(0, pct), 0);
    }

    #[test]
    fn a_first_booking_books_due_fee_interest_and_the_barred_part_last() {
        let to = day(2026, 1, 10);
        let lines = [
            line(1, 25_000, 25_000, pb::InstalmentStatus::TimeBarred, 0),
            line(2, 25_000, 10_000, pb::InstalmentStatus::Open, 1_234),
        ];
        let d = deltas(&targets(&lines, Decimal::from(13), to), &Booked::new(), to);
        let t = totals(&d);
        assert_eq!(
            t,
            Totals {
                principal: 50_000,
                fee: 6_500,
                interest: 1_234,
                time_barred: 25_000
            }
        );
        assert_eq!(d.last().map(|x| x.component), Some(Component::TimeBarred));
        assert_eq!(d.last().map(|x| x.value_date), Some(day(2025, 1, 6)));
        let tr = transfers("SEC-2026-000001-23", 1, "mandate", &d);
        assert_eq!(tr[0].id, "claim/SEC-2026-000001-23/1/1");
        assert!(tr.iter().all(|t| t.cents > 0));
    }

    #[test]
    fn a_second_booking_to_the_same_table_books_nothing() {
        let to = day(2026, 1, 10);
        let lines = [line(2, 25_000, 25_000, pb::InstalmentStatus::Open, 500)];
        let t = targets(&lines, Decimal::from(13), to);
        let booked: Booked = t
            .iter()
            .map(|(k, w)| {
                (
                    k.clone(),
                    Cell {
                        cents: w.cents,
                        last_transfer: Some("x".into()),
                    },
                )
            })
            .collect();
        assert!(deltas(&t, &booked, to).is_empty());
    }

    #[test]
    fn a_lowered_month_is_corrected_naming_the_last_booking() {
        let to = day(2026, 1, 10);
        let lines = [line(2, 20_000, 20_000, pb::InstalmentStatus::Open, 0)];
        let mut booked = Booked::new();
        booked.insert(
            (Component::Due, "p-1".into(), day(2020, 2, 1)),
            Cell {
                cents: 25_000,
                last_transfer: Some("claim/x/1/1".into()),
            },
        );
        let d = deltas(&targets(&lines, Decimal::ZERO, to), &booked, to);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].cents, d[0].corrects.as_deref()),
            (-5_000, Some("claim/x/1/1"))
        );
        let tr = transfers("SEC-2026-000001-23", 2, "amendment", &d);
        assert_eq!(tr[0].code, TransferCode::Correction);
        assert_eq!(tr[0].debit.kind, K::CreditorClaim);
        assert_eq!(tr[0].credit.kind, K::DebtorPrincipal);
    }
}
