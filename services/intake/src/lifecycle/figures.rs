//! The figures of the mandate: the title's amounts (indexed as it says) from the first month
//! declared unpaid, with the acts already tried (frame 6), judged by the calculation service on
//! the proposal date — what is not time-barred and the interest so far; the declared arrears
//! (frame 4) when the title's amounts cannot be computed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, wire};
use tonic::Code;

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

/// The mandate's figures and what they were computed from.
pub(crate) struct Figures {
    pub response: pb::ComputeArrearsResponse,
    pub basis: pb::MandateBasis,
    /// Declared: why the title could not be used.
    pub note: String,
}

fn request(case: pb::ArrearsCase, proposed_on: NaiveDate) -> pb::ComputeArrearsRequest {
    pb::ComputeArrearsRequest {
        arrears_case: Some(case),
        calculation_date: Some(wire::date_to_pb(proposed_on)),
        // The mandate keeps every step (not their wording): the figures it proposes stay
        // traceable line by line.
        explanation: pb::ArrearsExplanationLevel::Steps as i32,
        ..Default::default()
    }
}

fn failed(s: &tonic::Status) -> String {
    format!("{:?}: {}", s.code(), s.message())
}

/// The mandate's figures, or why they could not be computed (the proposal still goes out;
/// the history says what is missing). From the title first — the case payments books on
/// activation (`secal-case`), SECAL indexing the title itself — and from the declared table
/// only when the title's amounts cannot be computed (a price index not loaded, a title that
/// does not make a case), saying why.
#[tracing::instrument(skip_all)]
pub(crate) async fn compute(
    calculation: Option<&Calculation>,
    caller: &Caller,
    form: &pb::ApplicationForm,
    snapshot: &pb::DossierSnapshot,
    proposed_on: NaiveDate,
) -> Result<Figures, String> {
    let Some(calculation) = calculation else {
        return Err("no calculation service is configured".into());
    };
    // An accepted dossier's form has its title; without one there is nothing to compute
    // from, and a blank title would only yield wrong figures.
    let Some(title) = &form.title else {
        return Err("the current form has no executory title".into());
    };
    let inputs = secal_case::CaseInputs {
        snapshot,
        recorded_acts: Vec::new(),
        payments: Vec::new(),
    };
    let why = match secal_case::build(inputs) {
        Ok(case) => match calculation
            .compute_arrears(caller, request(case, proposed_on))
            .await
        {
            Ok(response) => {
                return Ok(Figures {
                    response,
                    basis: pb::MandateBasis::Title,
                    note: String::new(),
                });
            }
            // The case is refused for what it needs (a figure, a term): the declared table
            // still gives the applicant figures, said to be the declared ones.
            Err(s) if matches!(s.code(), Code::FailedPrecondition | Code::InvalidArgument) => {
                failed(&s)
            }
            Err(s) => return Err(failed(&s)),
        },
        Err(why) => why,
    };
    calculation
        .compute_arrears(caller, request(arrears_case(form, title), proposed_on))
        .await
        .map(|response| Figures {
            response,
            basis: pb::MandateBasis::Declared,
            note: why,
        })
        .map_err(|s| failed(&s))
}

/// The mandate's figures as the dossier keeps them, and the history's note: what they were
/// computed from, or why there are none (an answer without totals has no figures either).
pub(crate) fn mandate_of(figures: Result<Figures, String>) -> (pb::Mandate, String) {
    let figures = figures.and_then(|mut f| match f.response.totals.take() {
        Some(totals) => Ok((f, totals)),
        None => Err("the calculation service answered without totals".to_owned()),
    });
    match figures {
        Ok((f, totals)) => {
            let note = match f.basis {
                pb::MandateBasis::Declared => {
                    format!("figures from the declared table, not the title: {}", f.note)
                }
                _ => String::new(),
            };
            let mandate = pb::Mandate {
                arrears_claimable: totals.claimable,
                interest: totals.interest,
                explanation: f.response.explanation,
                basis: f.basis as i32,
                basis_note: f.note,
                ..Default::default()
            };
            (mandate, note)
        }
        Err(why) => (
            pb::Mandate::default(),
            format!("figures not computed: {why}"),
        ),
    }
}
