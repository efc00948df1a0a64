//! The children a month's run considers, read from the dossier snapshots intake sent.

use secal_case::indexation_terms;
use secal_domain::YearMonth;
use secal_proto::v1 as pb;

/// One child of an active dossier, with the advance case to assess (`None`: no maintenance
/// is due for the child in the month, so nothing to assess).
#[derive(Debug, Clone)]
pub struct Child {
    pub dossier: String,
    pub child: String,
    pub case: Option<pb::AdvanceCase>,
}

fn ym(m: YearMonth) -> pb::YearMonth {
    secal_runtime::wire::year_month_to_pb(m)
}

fn before(a: &pb::YearMonth, b: &pb::YearMonth) -> bool {
    (a.year, a.month) < (b.year, b.month)
}

/// The children with advances requested. House choice: the snapshot has no separate flag for
/// future maintenance; an advance request implies it (intake only accepts advance requests
/// with future maintenance claimed).
/// `dossier` is the number the state is stored under (the snapshot's own copy is not trusted).
/// There are always [`count_of`] of them, whatever the month.
pub fn children_of(dossier: &str, s: &pb::DossierSnapshot, month: YearMonth) -> Vec<Child> {
    let m = ym(month);
    // Optional in the snapshot: no title yet means no first month and no indexation.
    let title = s.title.clone().unwrap_or_default();
    let (index_base_month, first_adjustment_month) = indexation_terms(&title);
    // Where the applicant lives decides whether advances are paid at all (the calculation
    // service's residence rule); an address given without a country is a Belgian one.
    let country = s
        .applicant
        .as_ref()
        .and_then(|a| a.address.as_ref())
        .map(|a| a.country_code.trim().to_ascii_uppercase())
        .unwrap_or_default();
    s.creditors
        .iter()
        .filter(|c| requested(c))
        .map(|c| {
            // Optional in the snapshot: a child not yet registered is known by its key.
            let person = c.person.clone().unwrap_or_default();
            let child = if person.person_id.is_empty() {
                c.creditor_key.clone()
            } else {
                person.person_id.clone()
            };
            let started = title.first_month.as_ref().is_none_or(|f| !before(&m, f));
            let ended = c.last_month.as_ref().is_some_and(|l| before(l, &m));
            let amount = c.monthly_amount.as_ref().filter(|_| started && !ended);
            let case = amount.map(|amount| pb::AdvanceCase {
                month: Some(m),
                application_date: s.application_date,
                future_maintenance_claimed: true,
                child_birth_date: person.birth_date,
                family_allowance_entitled: c.family_allowance_entitled,
                adult_entitlement_valid_until: c.entitlement_valid_until,
                maintenance: Some(if title.indexed {
                    pb::advance_case::Maintenance::MaintenanceAmount(pb::MaintenanceAmount {
                        method: Some(pb::maintenance_amount::Method::CpiIndexation(
                            pb::CpiIndexation {
                                base_amount: Some(amount.clone()),
                                base_month: index_base_month,
                                first_adjustment_month,
                            },
                        )),
                    })
                } else {
                    pb::advance_case::Maintenance::MaintenanceDue(amount.clone())
                }),
                applicant_net_monthly_income: s.applicant_net_monthly_income.clone(),
                dependent_children: s.dependent_child_count,
                disabled_dependent_children: s.disabled_dependent_child_count,
                applicant_country_code: country.clone(),
            });
            Child {
                dossier: dossier.to_owned(),
                child,
                case,
            }
        })
        .collect()
}

fn requested(c: &pb::DossierCreditor) -> bool {
    c.advances_requested
}

/// How many children a run considers in a dossier (stored with the dossier's state so that
/// a run knows its total without reading every snapshot).
pub fn count_of(s: &pb::DossierSnapshot) -> usize {
    s.creditors.iter().filter(|c| requested(c)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creditor(
        id: &str,
        requested: bool,
        last_month: Option<pb::YearMonth>,
    ) -> pb::DossierCreditor {
        pb::DossierCreditor {
            person: Some(pb::DossierPerson {
                person_id: id.into(),
                ..Default::default()
            }),
            advances_requested: requested,
            last_month,
            ..Default::default()
        }
    }

    #[test]
    fn the_stored_count_is_the_number_of_children_in_every_month() {
        let s = pb::DossierSnapshot {
            creditors: vec![
                creditor("a", true, None),
                creditor("b", false, None),
                creditor(
                    "c",
                    true,
                    Some(pb::YearMonth {
                        year: 2024,
                        month: 1,
                    }),
                ),
            ],
            ..Default::default()
        };
        assert_eq!(count_of(&s), 2);
        for (year, month) in [(2023, 12), (2024, 1), (2024, 2), (2030, 6)] {
            let m = YearMonth::new(year, month).unwrap();
            assert_eq!(children_of("SEC-2024-000001-53", &s, m).len(), count_of(&s));
        }
    }
}
