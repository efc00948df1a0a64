//! The figures of the mandate: the declared arrears (frame 4) and the acts already tried
//! (frame 6) judged by the calculation service on the proposal date — what is not time-barred
//! and the interest so far.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, wire};

use crate::admissibility::Calculation;

/// The declared unpaid months as a title whose amounts are exactly those months (the
/// applicant states what is unpaid; the calculation judges prescription and interest).
fn arrears_case(form: &pb::ApplicationForm, title: &pb::ExecutoryTitle) -> pb::ArrearsCase {
    let mut by_creditor: BTreeMap<String, Vec<pb::UnpaidMonthEntry>> = BTreeMap::new();
    for row in form.arrears.iter().flat_map(|a| a.unpaid_months.iter()) {
        let key = match row.creditor_key.trim() {
            "" => "all".to_owned(),
            k => k.to_owned(),
        };
        by_creditor.entry(key).or_default().push(row.clone());
    }
    let creditors = by_creditor
        .into_iter()
        .map(|(key, mut rows)| {
            rows.sort_by_key(|r| r.month.map(|m| (m.year, m.month)));
            pb::TitleCreditor {
                creditor_id: key,
                first_month: rows.first().and_then(|r| r.month),
                last_month: rows.last().and_then(|r| r.month),
                amount: Some(pb::MaintenanceAmount {
                    method: Some(pb::maintenance_amount::Method::ExplicitSchedule(
                        pb::ExplicitAmountSchedule {
                            periods: rows
                                .into_iter()
                                .map(|r| pb::AmountPeriod {
                                    first_month: r.month,
                                    last_month: r.month,
                                    amount: r.unpaid,
                                })
                                .collect(),
                        },
                    )),
                }),
            }
        })
        .collect();
    let acts = form
        .enforcement
        .iter()
        .flat_map(|e| e.attempts.iter())
        .enumerate()
        .filter_map(|(i, a)| {
            let kind = secal_proto::legal_act_kind(
                pb::EnforcementActKind::try_from(a.kind).unwrap_or_default(),
            )?;
            Some(pb::LegalAct {
                act_id: format!("act{i}"),
                kind: kind as i32,
                act_date: a.act_date,
                creditor_ids: a.creditor_keys.clone(),
                covered_months: a.covered_months,
                reference: a.reference.clone(),
            })
        })
        .collect();
    pb::ArrearsCase {
        title: Some(pb::MaintenanceTitle {
            title_reference: title.reference.clone(),
            title_date: title.title_date,
            due_day: title.due_day,
            creditors,
        }),
        payments: Vec::new(),
        acts,
        judgment_fixed_arrears: Vec::new(),
    }
}

/// The mandate's figures, or why they could not be computed (the proposal still goes out;
/// the history says what is missing).
#[tracing::instrument(skip_all)]
pub(crate) async fn compute(
    calculation: Option<&Calculation>,
    caller: &Caller,
    form: &pb::ApplicationForm,
    proposed_on: NaiveDate,
) -> Result<pb::ComputeArrearsResponse, String> {
    let Some(calculation) = calculation else {
        return Err("no calculation service is configured".into());
    };
    // An accepted dossier's form has its title; without one there is nothing to compute
    // from, and a blank title would only yield wrong figures.
    let Some(title) = &form.title else {
        return Err("the current form has no executory title".into());
    };
    let request = pb::ComputeArrearsRequest {
        arrears_case: Some(arrears_case(form, title)),
        calculation_date: Some(wire::date_to_pb(proposed_on)),
        // The mandate keeps every step (not their wording): the figures it proposes stay
        // traceable line by line.
        explanation: pb::ArrearsExplanationLevel::Steps as i32,
        ..Default::default()
    };
    calculation
        .compute_arrears(caller, request)
        .await
        .map_err(|s| format!("{:?}: {}", s.code(), s.message()))
}
