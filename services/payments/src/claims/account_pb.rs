//! The claim account's stored rows and their wire form (GetClaimAccount). Pure: the reads
//! are in `account`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_proto::v1 as pb;
use secal_runtime::wire;
use uuid::Uuid;

use crate::claims::case;
use crate::ledger::{cents_pb, month_pb};

/// `claim_accounts`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct AccountRow {
    pub booked_to: NaiveDate,
    pub fee_percent: Decimal,
    pub mandate_booked_to: Option<NaiveDate>,
}

/// `claim_bookings`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct BookingRow {
    pub sequence: i64,
    pub kind: i16,
    pub booked_to: NaiveDate,
    pub reason: String,
    pub principal_cents: i64,
    pub fee_cents: i64,
    pub interest_cents: i64,
    pub barred_cents: i64,
    pub transfers: i32,
    pub booked_by: String,
    pub booked_at: DateTime<Utc>,
}

/// `claim_mandate_lines`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct MandateLineRow {
    pub creditor: String,
    pub month: NaiveDate,
    pub declared_cents: Option<i64>,
    pub computed_cents: i64,
}

/// `claim_acts`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct ActRow {
    pub act_id: Uuid,
    pub kind: i16,
    pub act_date: NaiveDate,
    pub creditor_ids: Vec<String>,
    pub covered_first: Option<NaiveDate>,
    pub covered_last: Option<NaiveDate>,
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// `claim_lines`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct LineRow {
    pub creditor: String,
    pub kind: i16,
    pub month: NaiveDate,
    pub due_date: NaiveDate,
    pub due_cents: i64,
    pub unpaid_cents: i64,
    pub status: i16,
    pub prescription_limit: NaiveDate,
    pub limitation_set_by: String,
    pub interest_cents: i64,
    pub interest_from: Option<NaiveDate>,
}

fn stamp(actor: &str, at: DateTime<Utc>) -> Option<pb::AuditStamp> {
    Some(pb::AuditStamp {
        actor: actor.to_owned(),
        at: wire::timestamp(at),
        via: String::new(),
    })
}

pub(super) fn booking_pb(b: &BookingRow) -> pb::ClaimBooking {
    pb::ClaimBooking {
        sequence: b.sequence,
        kind: i32::from(b.kind),
        booked_to: Some(wire::date_to_pb(b.booked_to)),
        reason: b.reason.clone(),
        principal: Some(cents_pb(b.principal_cents)),
        fee: Some(cents_pb(b.fee_cents)),
        interest: Some(cents_pb(b.interest_cents)),
        time_barred: Some(cents_pb(b.barred_cents)),
        transfers: b.transfers,
        booked: stamp(&b.booked_by, b.booked_at),
    }
}

pub(super) fn line_pb(l: &LineRow) -> pb::ClaimLine {
    pb::ClaimLine {
        creditor_person_id: l.creditor.clone(),
        kind: i32::from(l.kind),
        month: Some(month_pb(l.month)),
        due_date: Some(wire::date_to_pb(l.due_date)),
        due: Some(cents_pb(l.due_cents)),
        unpaid: Some(cents_pb(l.unpaid_cents)),
        status: i32::from(l.status),
        prescription_limit: Some(wire::date_to_pb(l.prescription_limit)),
        limitation_set_by: l.limitation_set_by.clone(),
        interest: Some(cents_pb(l.interest_cents)),
        interest_from: l.interest_from.map(wire::date_to_pb),
    }
}

/// The fee percentage as people write it: "13", "12.5" (no trailing zeros).
pub(super) fn percent(p: Decimal) -> String {
    p.normalize().to_string()
}

/// The mandate as booked, or `None` before activation (no mandate date and no mandate
/// booking). A mandate that changed nothing in the ledger has no booking: zero totals.
pub(super) fn mandate_pb(
    account: Option<&AccountRow>,
    bookings: &[BookingRow],
    lines: &[MandateLineRow],
    title_order: &[String],
) -> Option<pb::MandateBooking> {
    let booking = bookings
        .iter()
        .find(|b| b.kind == pb::ClaimBookingKind::Mandate as i16);
    let booked_to = account
        .and_then(|a| a.mandate_booked_to)
        .or(booking.map(|b| b.booked_to))?;
    let cents = |f: fn(&BookingRow) -> i64| Some(cents_pb(booking.map_or(0, f)));
    let position = |c: &str| {
        title_order
            .iter()
            .position(|t| t == c)
            .unwrap_or(title_order.len())
    };
    let mut differing: Vec<&MandateLineRow> = lines
        .iter()
        .filter(|l| l.declared_cents != Some(l.computed_cents))
        .collect();
    differing.sort_by(|a, b| {
        (position(&a.creditor), &a.creditor, a.month).cmp(&(
            position(&b.creditor),
            &b.creditor,
            b.month,
        ))
    });
    Some(pb::MandateBooking {
        booked_to: Some(wire::date_to_pb(booked_to)),
        principal: cents(|b| b.principal_cents),
        interest: cents(|b| b.interest_cents),
        fee: cents(|b| b.fee_cents),
        fee_percent: account.map(|a| percent(a.fee_percent)).unwrap_or_default(),
        differences: differing.into_iter().map(mandate_line_pb).collect(),
        declared_total: Some(cents_pb(
            lines.iter().filter_map(|l| l.declared_cents).sum(),
        )),
        computed_total: Some(cents_pb(lines.iter().map(|l| l.computed_cents).sum())),
    })
}

fn mandate_line_pb(l: &MandateLineRow) -> pb::MandateLine {
    pb::MandateLine {
        creditor_person_id: l.creditor.clone(),
        month: Some(month_pb(l.month)),
        declared: l.declared_cents.map(cents_pb),
        computed: Some(cents_pb(l.computed_cents)),
        difference: Some(cents_pb(l.computed_cents - l.declared_cents.unwrap_or(0))),
    }
}

/// The creditors' parties in title order (the snapshot's), as the ledger and the lines name
/// them.
pub(super) fn title_order(s: Option<&pb::DossierSnapshot>) -> Vec<String> {
    s.map(|s| s.creditors.iter().map(case::party_of).collect())
        .unwrap_or_default()
}

/// The acts of the application form (with the ids and parties the bookings give them) and
/// those recorded since, by date; on a same date the form's first.
pub(super) fn acts_pb(
    s: Option<&pb::DossierSnapshot>,
    recorded: &[ActRow],
) -> Vec<pb::ClaimLegalAct> {
    let form = s.map(|s| {
        let keys: BTreeMap<String, String> = s
            .creditors
            .iter()
            .map(|c| (c.creditor_key.trim().to_owned(), case::party_of(c)))
            .collect();
        case::form_acts(s, &keys)
    });
    let mut acts: Vec<pb::ClaimLegalAct> = form
        .unwrap_or_default()
        .into_iter()
        .map(|a| pb::ClaimLegalAct {
            act_id: a.act_id,
            kind: a.kind,
            act_date: a.act_date,
            creditor_person_ids: a.creditor_ids,
            covered_months: a.covered_months,
            reference: a.reference,
            source: "application form".into(),
            recorded: None,
        })
        .chain(recorded.iter().map(recorded_act_pb))
        .collect();
    // A stable sort: the form's acts keep their order, and come before a recorded act of
    // the same day.
    acts.sort_by_key(|a| a.act_date.map(|d| (d.year, d.month, d.day)));
    acts
}

fn recorded_act_pb(a: &ActRow) -> pb::ClaimLegalAct {
    pb::ClaimLegalAct {
        act_id: a.act_id.to_string(),
        kind: i32::from(a.kind),
        act_date: Some(wire::date_to_pb(a.act_date)),
        creditor_person_ids: a.creditor_ids.clone(),
        covered_months: a.covered_first.map(|first| pb::MonthRange {
            first_month: Some(month_pb(first)),
            last_month: a.covered_last.map(month_pb),
        }),
        reference: a.reference.clone(),
        source: "recorded".into(),
        recorded: stamp(&a.recorded_by, a.recorded_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn booking(sequence: i64, kind: pb::ClaimBookingKind, principal: i64) -> BookingRow {
        BookingRow {
            sequence,
            kind: kind as i16,
            booked_to: d(2024, 6, 1),
            reason: "activation".into(),
            principal_cents: principal,
            fee_cents: 1_300,
            interest_cents: 250,
            barred_cents: 0,
            transfers: 3,
            booked_by: "svc".into(),
            booked_at: DateTime::<Utc>::default(),
        }
    }

    fn line(creditor: &str, m: u32, declared: Option<i64>, computed: i64) -> MandateLineRow {
        MandateLineRow {
            creditor: creditor.into(),
            month: d(2024, m, 1),
            declared_cents: declared,
            computed_cents: computed,
        }
    }

    #[test]
    fn the_mandate_shows_its_booking_and_only_the_months_that_differ() {
        let account = AccountRow {
            booked_to: d(2024, 7, 1),
            fee_percent: Decimal::new(1300, 2),
            mandate_booked_to: Some(d(2024, 6, 1)),
        };
        let bookings = [
            booking(1, pb::ClaimBookingKind::Mandate, 10_000),
            booking(2, pb::ClaimBookingKind::DuesRun, 5_000),
        ];
        let lines = [
            line("c2", 1, Some(5_000), 5_000),
            line("c2", 2, None, 4_000),
            line("c1", 3, Some(6_000), 5_000),
            line("c1", 1, Some(5_000), 5_000),
        ];
        let order = ["c1".to_owned(), "c2".to_owned()];
        let m = mandate_pb(Some(&account), &bookings, &lines, &order).expect("a mandate");
        assert_eq!(m.fee_percent, "13");
        assert_eq!(m.principal.map(|p| p.amount), Some("100.00".into()));
        assert_eq!(m.fee.map(|p| p.amount), Some("13.00".into()));
        let diffs: Vec<(&str, i32, Option<&str>, &str)> = m
            .differences
            .iter()
            .map(|l| {
                (
                    l.creditor_person_id.as_str(),
                    l.month.map_or(0, |m| m.month),
                    l.declared.as_ref().map(|d| d.amount.as_str()),
                    l.difference.as_ref().map_or("", |d| d.amount.as_str()),
                )
            })
            .collect();
        assert_eq!(
            diffs,
            [("c1", 3, Some("60.00"), "-10.00"), ("c2", 2, None, "40.00")]
        );
        assert_eq!(m.declared_total.map(|t| t.amount), Some("160.00".into()));
        assert_eq!(m.computed_total.map(|t| t.amount), Some("190.00".into()));
    }

    #[test]
    fn no_mandate_before_activation() {
        let account = AccountRow {
            booked_to: d(2024, 7, 1),
            fee_percent: Decimal::new(125, 1),
            mandate_booked_to: None,
        };
        assert!(mandate_pb(Some(&account), &[], &[], &[]).is_none());
        assert!(mandate_pb(None, &[], &[], &[]).is_none());
        assert_eq!(percent(account.fee_percent), "12.5");
    }

    #[test]
    fn the_form_acts_come_with_the_recorded_ones_by_date() {
        let s = pb::DossierSnapshot {
            creditors: vec![pb::DossierCreditor {
                creditor_key: "c1".into(),
                person: Some(pb::DossierPerson {
                    person_id: "person-1".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            enforcement_attempts: vec![
                pb::EnforcementAttempt {
                    kind: pb::EnforcementActKind::Garnishment as i32,
                    act_date: Some(wire::date_to_pb(d(2024, 3, 1))),
                    creditor_keys: vec!["c1".into()],
                    reference: "bailiff 1".into(),
                    ..Default::default()
                },
                pb::EnforcementAttempt {
                    kind: pb::EnforcementActKind::Other as i32,
                    act_date: Some(wire::date_to_pb(d(2024, 1, 1))),
                    ..Default::default()
                },
                pb::EnforcementAttempt {
                    kind: pb::EnforcementActKind::FormalNotice as i32,
                    act_date: Some(wire::date_to_pb(d(2024, 2, 1))),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let recorded = ActRow {
            act_id: Uuid::nil(),
            kind: pb::LegalActKind::Summons as i16,
            act_date: d(2024, 2, 15),
            creditor_ids: vec![],
            covered_first: Some(d(2023, 1, 1)),
            covered_last: None,
            reference: "summons".into(),
            recorded_by: "officer".into(),
            recorded_at: DateTime::<Utc>::default(),
        };
        let acts = acts_pb(Some(&s), &[recorded]);
        let seen: Vec<(&str, i32, &str)> = acts
            .iter()
            .map(|a| (a.act_id.as_str(), a.kind, a.source.as_str()))
            .collect();
        use pb::LegalActKind as L;
        assert_eq!(
            seen,
            [
                ("form-3", L::FormalNotice as i32, "application form"),
                (
                    "00000000-0000-0000-0000-000000000000",
                    L::Summons as i32,
                    "recorded"
                ),
                ("form-1", L::Seizure as i32, "application form"),
            ]
        );
        assert_eq!(acts[2].creditor_person_ids, ["person-1"]);
        assert_eq!(
            acts[1]
                .covered_months
                .and_then(|r| r.first_month)
                .map(|m| (m.year, m.month)),
            Some((2023, 1))
        );
        assert!(acts[1].recorded.is_some() && acts[0].recorded.is_none());
    }
}
