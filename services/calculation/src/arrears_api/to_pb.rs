//! The rules' results written back to the wire.

use secal_proto::v1 as pb;
use secal_rules::{
    admissibility::AdmissibilityResult,
    arrears::{ArrearsLine, ArrearsResult, Totals, YearTotal},
    claim::{LineKind, LineStatus, PaymentApplication},
    interest::{InterestLine, InterestResult},
    prescription::{LimitationChange, PrescriptionLine, PrescriptionResult},
};
use std::fmt::Write;

use secal_domain::Money;
use secal_runtime::wire::{date_to_pb, year_month_to_pb};

use crate::convert::explanation_to_pb;

/// Whole cents are written without the general decimal formatter (a table has thousands of
/// amounts); the text is the same as `Money`'s.
fn money(m: Money) -> Option<pb::Money> {
    let amount = match m.to_cents() {
        Ok(cents) => {
            let mut out = String::with_capacity(12);
            if cents < 0 {
                out.push('-');
            }
            let abs = cents.unsigned_abs();
            let _ = write!(out, "{}.{:02}", abs / 100, abs % 100);
            out
        }
        Err(_) => m.to_string(),
    };
    Some(pb::Money { amount })
}

fn kind(k: LineKind) -> i32 {
    match k {
        LineKind::Instalment => pb::ArrearsLineKind::Instalment as i32,
        LineKind::JudgmentLumpSum => pb::ArrearsLineKind::JudgmentLumpSum as i32,
    }
}

fn status(s: LineStatus) -> i32 {
    match s {
        LineStatus::Open => pb::InstalmentStatus::Open as i32,
        LineStatus::Paid => pb::InstalmentStatus::Paid as i32,
        LineStatus::TimeBarred => pb::InstalmentStatus::TimeBarred as i32,
    }
}

fn totals(t: &Totals) -> pb::ArrearsTotals {
    pb::ArrearsTotals {
        due: money(t.due),
        paid: money(t.paid),
        unpaid: money(t.unpaid),
        time_barred: money(t.time_barred),
        claimable: money(t.claimable),
        interest: money(t.interest),
    }
}

fn year_totals(years: &[YearTotal]) -> Vec<pb::ArrearsYearTotal> {
    years
        .iter()
        .map(|y| pb::ArrearsYearTotal {
            year: y.year,
            totals: Some(totals(&y.totals)),
        })
        .collect()
}

fn line(l: ArrearsLine) -> pb::ArrearsLine {
    pb::ArrearsLine {
        kind: kind(l.kind),
        month: Some(year_month_to_pb(l.month)),
        due_date: Some(date_to_pb(l.due_date)),
        due: money(l.due),
        paid: money(l.paid),
        unpaid: money(l.unpaid),
        status: status(l.status),
        prescription_limit: Some(date_to_pb(l.prescription_limit)),
        limitation_set_by: l.limitation_set_by,
        interest: money(l.interest),
        interest_from: l.interest_from.map(date_to_pb),
        interest_started_by: l.interest_started_by,
        step_ids: l.step_ids,
    }
}

fn application(a: PaymentApplication) -> pb::PaymentApplication {
    pb::PaymentApplication {
        payment_id: a.payment_id,
        amount: money(a.amount),
        parts: a
            .parts
            .into_iter()
            .map(|p| pb::PaymentApplicationPart {
                creditor_id: p.creditor_id,
                month: Some(year_month_to_pb(p.month)),
                line_kind: kind(p.line_kind),
                amount: money(p.amount),
            })
            .collect(),
        unapplied: money(a.unapplied),
    }
}

pub(super) fn arrears(r: ArrearsResult) -> pb::ComputeArrearsResponse {
    pb::ComputeArrearsResponse {
        calculation_date: Some(date_to_pb(r.calculation_date)),
        creditors: r
            .creditors
            .into_iter()
            .map(|c| pb::CreditorArrears {
                creditor_id: c.creditor_id,
                year_totals: year_totals(&c.year_totals),
                totals: Some(totals(&c.totals)),
                lines: c.lines.into_iter().map(line).collect(),
            })
            .collect(),
        year_totals: year_totals(&r.year_totals),
        totals: Some(totals(&r.totals)),
        overpayment: money(r.overpayment),
        payment_applications: r
            .payment_applications
            .into_iter()
            .map(application)
            .collect(),
        explanation: Some(explanation_to_pb(r.explanation)),
    }
}

fn change(c: LimitationChange) -> pb::LimitationChange {
    pb::LimitationChange {
        source_id: c.source_id,
        source_date: Some(date_to_pb(c.source_date)),
        proposed_limit: Some(date_to_pb(c.proposed_limit)),
        applied: c.applied,
        reason: c.reason,
    }
}

fn prescription_line(l: PrescriptionLine) -> pb::PrescriptionLine {
    pb::PrescriptionLine {
        creditor_id: l.creditor_id,
        kind: kind(l.kind),
        month: Some(year_month_to_pb(l.month)),
        due_date: Some(date_to_pb(l.due_date)),
        prescription_limit: Some(date_to_pb(l.prescription_limit)),
        time_barred: l.time_barred,
        limitation_set_by: l.limitation_set_by,
        changes: l.changes.into_iter().map(change).collect(),
    }
}

pub(super) fn prescription(r: PrescriptionResult) -> pb::ComputePrescriptionResponse {
    pb::ComputePrescriptionResponse {
        lines: r.lines.into_iter().map(prescription_line).collect(),
        explanation: Some(explanation_to_pb(r.explanation)),
    }
}

fn interest_line(l: InterestLine) -> pb::InterestLine {
    pb::InterestLine {
        claim_id: l.claim_id,
        creditor_id: l.creditor_id,
        month: l.month.map(year_month_to_pb),
        start_date: Some(date_to_pb(l.start_date)),
        end_date: Some(date_to_pb(l.end_date)),
        started_by: l.started_by,
        periods: l
            .periods
            .into_iter()
            .map(|p| pb::InterestPeriod {
                start_date: Some(date_to_pb(p.start)),
                end_date: Some(date_to_pb(p.end)),
                days: i32::try_from(p.days).unwrap_or(i32::MAX),
                balance: money(p.balance),
                rate_percent: p.rate_percent.normalize().to_string(),
                reference_value_id: p.reference_value_id,
                unrounded_amount: p.unrounded.normalize().to_string(),
            })
            .collect(),
        interest: money(l.interest),
    }
}

pub(super) fn interest(r: InterestResult) -> pb::ComputeInterestResponse {
    pb::ComputeInterestResponse {
        lines: r.lines.into_iter().map(interest_line).collect(),
        total: money(r.total),
        explanation: Some(explanation_to_pb(r.explanation)),
    }
}

pub(super) fn admissibility(r: AdmissibilityResult) -> pb::CheckAdmissibilityResponse {
    pb::CheckAdmissibilityResponse {
        admissible: r.admissible,
        unpaid_month_count: i32::try_from(r.unpaid_months.len()).unwrap_or(i32::MAX),
        unpaid_months: r.unpaid_months.into_iter().map(year_month_to_pb).collect(),
        required_unpaid_months: i32::try_from(r.required_unpaid_months).unwrap_or(i32::MAX),
        window_start: Some(date_to_pb(r.window_start)),
        window_end: Some(date_to_pb(r.window_end)),
        explanation: Some(explanation_to_pb(r.explanation)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_money_writes_them() {
        for text in [
            "0.00",
            "150.00",
            "-0.50",
            "7174.89",
            "1000000000.00",
            "0.07",
        ] {
            let m = Money::parse(text).unwrap();
            assert_eq!(money(m).unwrap().amount, m.to_string());
        }
        let unrounded = Money::from_decimal(rust_decimal::Decimal::new(12345, 3));
        assert_eq!(money(unrounded).unwrap().amount, "12.345");
    }
}
