//! The dossier's case as the arrears rules read it (`secal.v1.ArrearsCase`), built from the
//! dossier's snapshot (title, creditors, declared arrears, the acts the applicant had tried),
//! the acts recorded since, and the payments as the ledger allocated them. One construction
//! for the two services that compute a dossier's arrears from its title: intake's mandate
//! proposal (no acts recorded, no payments yet) and payments' claim account (which reads the
//! acts and allocations, and calls the calculation service). Pure.

use std::collections::BTreeMap;

use secal_proto::v1 as pb;

/// A creditor's party id in the ledger: the person id, or the form's creditor key while the
/// person is not registered (as the advances run names children).
pub fn party_of(c: &pb::DossierCreditor) -> String {
    match c.person.as_ref().map(|p| p.person_id.trim()) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => c.creditor_key.trim().to_owned(),
    }
}

/// The indexation terms of an indexed title, with the defaults the form leaves implicit:
/// the base is the CPI of the month before the judgment (intake's contract says so), and the
/// first adjustment falls on the judgment's first anniversary month — the usual clause, and
/// the one of the seed's worked examples (judgment of September 2003, first indexed amount
/// September 2004). Without a title date both stay unset and the calculation refuses the case
/// by name, so the booking fails visibly rather than on a guess.
pub fn indexation_terms(
    title: &pb::ExecutoryTitle,
) -> (Option<pb::YearMonth>, Option<pb::YearMonth>) {
    let judged = title.title_date.map(|d| pb::YearMonth {
        year: d.year,
        month: d.month,
    });
    let base = title
        .index_base_month
        .or_else(|| judged.map(|j| shift(j, -1)));
    let first = title.first_adjustment_month.or_else(|| {
        judged.map(|j| pb::YearMonth {
            year: j.year + 1,
            month: j.month,
        })
    });
    (base, first)
}

/// `m` moved by `by` months.
fn shift(m: pb::YearMonth, by: i32) -> pb::YearMonth {
    let index = m.year * 12 + (m.month - 1) + by;
    pb::YearMonth {
        year: index.div_euclid(12),
        month: index.rem_euclid(12) + 1,
    }
}

fn key(m: &pb::YearMonth) -> (i32, i32) {
    (m.year, m.month)
}

/// What the case is built from.
pub struct CaseInputs<'a> {
    pub snapshot: &'a pb::DossierSnapshot,
    /// Acts recorded after activation (ids are theirs).
    pub recorded_acts: Vec<pb::LegalAct>,
    /// The principal parts of the ledger's allocations, each tied to its creditor and month.
    pub payments: Vec<pb::ReceivedPayment>,
}

/// The case, or why the snapshot cannot make one.
pub fn build(inputs: CaseInputs<'_>) -> Result<pb::ArrearsCase, String> {
    let s = inputs.snapshot;
    let title = s
        .title
        .as_ref()
        .ok_or("the dossier's snapshot has no executory title")?;
    let keys: BTreeMap<String, String> = s
        .creditors
        .iter()
        .map(|c| (c.creditor_key.trim().to_owned(), party_of(c)))
        .collect();
    let creditors = s
        .creditors
        .iter()
        .filter_map(|c| title_creditor(s, title, c).transpose())
        .collect::<Result<Vec<_>, String>>()?;
    let mut acts = form_acts(s, &keys);
    acts.extend(inputs.recorded_acts);
    Ok(pb::ArrearsCase {
        title: Some(pb::MaintenanceTitle {
            title_reference: title.reference.clone(),
            title_date: title.title_date,
            due_day: title.due_day,
            creditors,
        }),
        payments: inputs.payments,
        acts,
        judgment_fixed_arrears: judgment_arrears(s, title),
    })
}

/// The acts of the application form (frame 6) the rules know, ids `form-<n>` from 1.
pub fn form_acts(s: &pb::DossierSnapshot, keys: &BTreeMap<String, String>) -> Vec<pb::LegalAct> {
    s.enforcement_attempts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let kind = pb::EnforcementActKind::try_from(a.kind).ok()?;
            let kind = secal_proto::legal_act_kind(kind)?;
            Some(pb::LegalAct {
                act_id: format!("form-{}", i + 1),
                kind: kind as i32,
                act_date: a.act_date,
                // A key the form does not know stays as given: the calculation names it.
                creditor_ids: a
                    .creditor_keys
                    .iter()
                    .map(|k| keys.get(k.trim()).cloned().unwrap_or_else(|| k.clone()))
                    .collect(),
                covered_months: a.covered_months,
                reference: a.reference.clone(),
            })
        })
        .collect()
}

/// The creditor as the title makes it owed, or `None` when the form fixes no amount for it.
/// The claim starts at the title's first month, or at the first month the applicant declared
/// unpaid for the creditor when that is later (months before it were not claimed); an
/// arrears-only application ends the month before the application.
fn title_creditor(
    s: &pb::DossierSnapshot,
    title: &pb::ExecutoryTitle,
    c: &pb::DossierCreditor,
) -> Result<Option<pb::TitleCreditor>, String> {
    let Some(amount) = c.monthly_amount.clone() else {
        return Ok(None);
    };
    let declared_first = s
        .declared_arrears
        .iter()
        .flat_map(|a| a.unpaid_months.iter())
        .filter(|r| {
            r.creditor_key.trim().is_empty() || r.creditor_key.trim() == c.creditor_key.trim()
        })
        .filter_map(|r| r.month)
        .min_by_key(key);
    let first_month = match (title.first_month, declared_first) {
        (Some(t), Some(d)) => Some(if key(&d) > key(&t) { d } else { t }),
        (t, d) => t.or(d),
    };
    let Some(first_month) = first_month else {
        return Err(format!(
            "creditor {}: the title has no first month and nothing was declared unpaid",
            c.creditor_key
        ));
    };
    let arrears_only = s.kind == pb::ApplicationKind::ArrearsOnly as i32;
    let last_month = c.last_month.or_else(|| {
        arrears_only
            .then_some(s.application_date)
            .flatten()
            .map(|d| {
                shift(
                    pb::YearMonth {
                        year: d.year,
                        month: d.month,
                    },
                    -1,
                )
            })
    });
    Ok(Some(pb::TitleCreditor {
        creditor_id: party_of(c),
        first_month: Some(first_month),
        last_month,
        amount: Some(maintenance_amount(title, amount, first_month)),
    }))
}

fn maintenance_amount(
    title: &pb::ExecutoryTitle,
    amount: pb::Money,
    first_month: pb::YearMonth,
) -> pb::MaintenanceAmount {
    use pb::maintenance_amount::Method;
    let method = if title.indexed {
        let (base_month, first_adjustment_month) = indexation_terms(title);
        Method::CpiIndexation(pb::CpiIndexation {
            base_amount: Some(amount),
            base_month,
            first_adjustment_month,
        })
    } else {
        Method::ExplicitSchedule(pb::ExplicitAmountSchedule {
            periods: vec![pb::AmountPeriod {
                first_month: Some(first_month),
                last_month: None,
                amount: Some(amount),
            }],
        })
    };
    pb::MaintenanceAmount {
        method: Some(method),
    }
}

/// The arrears the title itself fixed (10-year prescription from the title's date), for each
/// creditor with an amount. The form states one lump sum for the title: with one creditor it
/// replaces the covered months; with several, no split is stated, so the months keep their
/// own amounts and only the 10-year prescription applies.
fn judgment_arrears(
    s: &pb::DossierSnapshot,
    title: &pb::ExecutoryTitle,
) -> Vec<pb::JudgmentFixedArrears> {
    let (Some(covered), Some(date)) = (title.fixed_arrears_months, title.title_date) else {
        return Vec::new();
    };
    let owed: Vec<&pb::DossierCreditor> = s
        .creditors
        .iter()
        .filter(|c| c.monthly_amount.is_some())
        .collect();
    let lump_sum = if owed.len() == 1 {
        title.fixed_arrears.clone()
    } else {
        None
    };
    owed.iter()
        .map(|c| pb::JudgmentFixedArrears {
            judgment_id: format!("title/{}", party_of(c)),
            creditor_id: party_of(c),
            judgment_date: Some(date),
            covered_months: Some(covered),
            lump_sum: lump_sum.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: i32, month: i32) -> Option<pb::YearMonth> {
        Some(pb::YearMonth { year, month })
    }

    fn eur(s: &str) -> Option<pb::Money> {
        Some(pb::Money { amount: s.into() })
    }

    fn snapshot() -> pb::DossierSnapshot {
        pb::DossierSnapshot {
            kind: pb::ApplicationKind::ArrearsAndFuture as i32,
            application_date: Some(pb::Date {
                year: 2026,
                month: 3,
                day: 10,
            }),
            creditors: vec![pb::DossierCreditor {
                person: Some(pb::DossierPerson {
                    person_id: "p-1".into(),
                    ..Default::default()
                }),
                creditor_key: "c1".into(),
                monthly_amount: eur("250.00"),
                ..Default::default()
            }],
            title: Some(pb::ExecutoryTitle {
                first_month: ym(2024, 1),
                due_day: 5,
                title_date: Some(pb::Date {
                    year: 2023,
                    month: 12,
                    day: 1,
                }),
                ..Default::default()
            }),
            declared_arrears: Some(pb::ArrearsFrame {
                unpaid_months: vec![pb::UnpaidMonthEntry {
                    creditor_key: "c1".into(),
                    month: ym(2025, 7),
                    unpaid: eur("250.00"),
                }],
                ..Default::default()
            }),
            enforcement_attempts: vec![pb::EnforcementAttempt {
                kind: pb::EnforcementActKind::Garnishment as i32,
                creditor_keys: vec!["c1".into()],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn build_of(s: &pb::DossierSnapshot) -> pb::ArrearsCase {
        build(CaseInputs {
            snapshot: s,
            recorded_acts: Vec::new(),
            payments: Vec::new(),
        })
        .expect("a case")
    }

    #[test]
    fn the_claim_starts_at_the_first_declared_month_and_runs_on_for_future_maintenance() {
        let case = build_of(&snapshot());
        let c = &case.title.as_ref().expect("title").creditors[0];
        assert_eq!(c.creditor_id, "p-1");
        assert_eq!(c.first_month, ym(2025, 7));
        assert_eq!(c.last_month, None);
    }

    #[test]
    fn an_arrears_only_claim_ends_the_month_before_the_application() {
        let mut s = snapshot();
        s.kind = pb::ApplicationKind::ArrearsOnly as i32;
        let case = build_of(&s);
        assert_eq!(
            case.title.expect("title").creditors[0].last_month,
            ym(2026, 2)
        );
    }

    #[test]
    fn the_form_acts_name_parties_and_a_garnishment_is_a_seizure() {
        let case = build_of(&snapshot());
        assert_eq!(case.acts.len(), 1);
        assert_eq!(case.acts[0].act_id, "form-1");
        assert_eq!(case.acts[0].kind, pb::LegalActKind::Seizure as i32);
        assert_eq!(case.acts[0].creditor_ids, ["p-1"]);
    }

    #[test]
    fn title_fixed_arrears_of_one_creditor_become_its_lump_sum() {
        let mut s = snapshot();
        if let Some(t) = s.title.as_mut() {
            t.fixed_arrears = eur("1200.00");
            t.fixed_arrears_months = Some(pb::MonthRange {
                first_month: ym(2023, 1),
                last_month: ym(2023, 12),
            });
        }
        let case = build_of(&s);
        assert_eq!(case.judgment_fixed_arrears.len(), 1);
        assert_eq!(case.judgment_fixed_arrears[0].lump_sum, eur("1200.00"));
    }

    #[test]
    fn an_indexed_title_defaults_its_base_to_the_month_before_the_judgment() {
        let title = pb::ExecutoryTitle {
            indexed: true,
            title_date: Some(pb::Date {
                year: 2024,
                month: 1,
                day: 15,
            }),
            ..Default::default()
        };
        assert_eq!(indexation_terms(&title), (ym(2023, 12), ym(2025, 1)));
    }
}
