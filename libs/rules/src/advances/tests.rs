use rust_decimal_macros::dec;

use super::*;
use crate::indexation::{AmountPeriod, CpiIndexation};
use fixtures::*;

mod fixtures;
mod props;

#[test]
fn an_eligible_child_gets_the_cap_when_more_is_due() {
    let a = run(&case());
    assert!(a.eligible, "{:?}", a.reasons);
    assert_eq!(a.amount, money("175.00"));
    assert_eq!(a.cap, money("175.00"));
    assert_eq!(a.maintenance_due, money("200.00"));
    // 1800 + 70 × 2.
    assert_eq!(a.income_ceiling, Some(money("1940.00")));
    let rules: Vec<_> = a.explanation.steps.iter().map(|s| s.rule.id).collect();
    assert_eq!(
        rules,
        [
            "ADVANCE_MONTH_AFTER_APPLICATION",
            "ADVANCE_FUTURE_MAINTENANCE_CLAIMED",
            "ADVANCE_CHILD_AGE",
            "ADVANCE_APPLICANT_RESIDENCE",
            "ADVANCE_INCOME_CEILING",
            "ADVANCE_MAINTENANCE_DUE",
            "ADVANCE_CAP",
            "ADVANCE_AMOUNT",
        ]
    );
    let ceiling = &a.explanation.steps[4];
    assert_eq!(ceiling.reference_ids, ["ceil-15", "inc-2019"]);
    assert_eq!(
        ceiling.detail,
        "1800.00 + 70.00 × 2 (dependent children 2, disabled 0) = 1940.00; \
         net income 1900.00 is within it"
    );
    let cited: Vec<_> = a
        .explanation
        .references
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(cited, ["ceil-15", "inc-2019", "cap"]);
}

#[test]
fn smaller_maintenance_is_advanced_in_full() {
    let a = run(&AdvanceCase {
        maintenance: Maintenance::Due(money("120.50")),
        ..case()
    });
    assert_eq!(a.amount, money("120.50"));
}

#[test]
fn the_income_ceiling_counts_a_disabled_child_twice() {
    let rich = AdvanceCase {
        applicant_net_monthly_income: Some(money("2000")),
        ..case()
    };
    let a = run(&rich);
    assert_eq!(a.reasons, [Ineligibility::IncomeAboveCeiling]);
    assert_eq!(a.amount, Money::ZERO);
    assert_eq!(a.cap, money("175.00"));
    let with_disabled = run(&AdvanceCase {
        disabled_dependent_children: 1,
        ..rich
    });
    assert_eq!(with_disabled.income_ceiling, Some(money("2010.00")));
    assert!(with_disabled.eligible);
    // Equal to the ceiling is within it; the 2020 ceiling is 2,200 + 70.
    let at_ceiling = run(&AdvanceCase {
        month: ym(2020, 5),
        applicant_net_monthly_income: Some(money("2340")),
        ..case()
    });
    assert_eq!(at_ceiling.income_ceiling, Some(money("2340.00")));
    assert!(at_ceiling.eligible);
}

#[test]
fn no_income_check_once_the_ceiling_is_abolished() {
    let a = run(&AdvanceCase {
        month: ym(2020, 6),
        applicant_net_monthly_income: None,
        ..case()
    });
    assert!(a.eligible);
    assert_eq!(a.income_ceiling, None);
    assert_eq!(
        a.explanation.steps[4].rule.id,
        "ADVANCE_INCOME_CEILING_ABOLISHED"
    );
    assert_eq!(a.explanation.steps[4].reference_ids, ["ceil-x"]);
    let rich = run(&AdvanceCase {
        month: ym(2021, 2),
        applicant_net_monthly_income: Some(money("9000")),
        ..case()
    });
    assert!(rich.eligible);
}

#[test]
fn income_is_required_where_a_ceiling_is_in_force() {
    let v = violations(&AdvanceCase {
        applicant_net_monthly_income: None,
        ..case()
    });
    assert_eq!(v[0].field, "applicant_net_monthly_income");
    assert!(v[0].reason.contains("2019-06-01"));
}

#[test]
fn no_ceiling_and_no_abolition_is_a_missing_reference() {
    let err = assess(
        &AdvanceCase {
            month: ym(2014, 6),
            application_date: d(2014, 1, 10),
            ..case()
        },
        &table(),
        Explainer::new(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no applicant_income_ceiling value in force on 2014-06-01"
    );
}

#[test]
fn only_months_after_the_application() {
    let march = |day| AdvanceCase {
        month: ym(2021, 3),
        application_date: d(2021, 3, day),
        ..case()
    };
    assert_eq!(
        run(&march(1)).reasons,
        [Ineligibility::MonthNotAfterApplication]
    );
    assert_eq!(
        run(&march(31)).reasons,
        [Ineligibility::MonthNotAfterApplication]
    );
    let april = AdvanceCase {
        month: ym(2021, 4),
        ..march(31)
    };
    assert!(run(&april).eligible);
    let before = AdvanceCase {
        month: ym(2021, 2),
        ..march(1)
    };
    assert_eq!(
        run(&before).reasons,
        [Ineligibility::MonthNotAfterApplication]
    );
}

#[test]
fn no_advance_from_26_whatever_the_family_allowance_says() {
    // 26 on 1 March 2021, entitled to family allowance and renewed: still no advance.
    let old = AdvanceCase {
        month: ym(2021, 3),
        application_date: d(2020, 1, 10),
        child_birth_date: d(1995, 3, 1),
        family_allowance_entitled: true,
        adult_entitlement_valid_until: Some(d(2021, 8, 31)),
        ..case()
    };
    let a = run(&old);
    assert!(!a.eligible);
    assert_eq!(a.reasons, [Ineligibility::ChildAged26OrOver]);
    assert_eq!(a.amount, Money::ZERO);
    // The day before, 25: eligible.
    let young = AdvanceCase {
        child_birth_date: d(1995, 3, 2),
        ..old.clone()
    };
    assert!(run(&young).eligible);
}

#[test]
fn the_applicant_must_live_in_belgium() {
    let abroad = AdvanceCase {
        applicant_country: "FR".into(),
        ..case()
    };
    let a = run(&abroad);
    assert_eq!(a.reasons, [Ineligibility::ApplicantNotInBelgium]);
    assert!(
        a.explanation
            .steps
            .iter()
            .any(|s| s.rule.id == "ADVANCE_APPLICANT_RESIDENCE")
    );
    for home in ["BE", ""] {
        let c = AdvanceCase {
            applicant_country: home.into(),
            ..case()
        };
        assert!(run(&c).eligible, "{home:?}");
    }
    let v = violations(&AdvanceCase {
        applicant_country: "fr".into(),
        ..case()
    });
    assert_eq!(v[0].field, "applicant_country_code");
}

#[test]
fn adults_need_family_allowance_and_a_current_renewal() {
    // 18 on 1 March 2021.
    let adult = AdvanceCase {
        month: ym(2021, 3),
        application_date: d(2020, 1, 10),
        child_birth_date: d(2003, 3, 1),
        family_allowance_entitled: true,
        adult_entitlement_valid_until: Some(d(2021, 3, 1)),
        ..case()
    };
    assert!(run(&adult).eligible);
    let steps = run(&adult).explanation.steps;
    assert_eq!(steps[2].result.as_deref(), Some("18"));
    assert_eq!(steps[3].rule.id, "ADVANCE_ADULT_RENEWAL");

    let lapsed = AdvanceCase {
        adult_entitlement_valid_until: Some(d(2021, 2, 28)),
        ..adult.clone()
    };
    assert_eq!(run(&lapsed).reasons, [Ineligibility::AdultRenewalLapsed]);
    let never_renewed = AdvanceCase {
        adult_entitlement_valid_until: None,
        ..adult.clone()
    };
    assert_eq!(
        run(&never_renewed).reasons,
        [Ineligibility::AdultRenewalLapsed]
    );
    let no_allowance = AdvanceCase {
        family_allowance_entitled: false,
        ..adult.clone()
    };
    assert_eq!(
        run(&no_allowance).reasons,
        [Ineligibility::AdultWithoutFamilyAllowance]
    );
    // 18 only on 2 March: still a minor on the 1st, nothing else asked.
    let minor = AdvanceCase {
        child_birth_date: d(2003, 3, 2),
        family_allowance_entitled: false,
        adult_entitlement_valid_until: None,
        ..adult
    };
    assert!(run(&minor).eligible);
}

#[test]
fn the_title_gives_the_maintenance_due_or_nothing_outside_its_periods() {
    let schedule = Maintenance::Title(AmountRule::Explicit(vec![AmountPeriod {
        first: ym(2021, 1),
        last: Some(ym(2021, 12)),
        amount: money("140"),
    }]));
    let in_title = run(&AdvanceCase {
        month: ym(2021, 5),
        application_date: d(2020, 12, 1),
        maintenance: schedule.clone(),
        ..case()
    });
    assert_eq!(in_title.amount, money("140.00"));
    assert_eq!(in_title.explanation.steps[5].rule.id, "INDEXATION_EXPLICIT");
    let ended = run(&AdvanceCase {
        month: ym(2022, 1),
        application_date: d(2020, 12, 1),
        maintenance: schedule,
        ..case()
    });
    assert_eq!(ended.reasons, [Ineligibility::NoMaintenanceDue]);
    assert_eq!(ended.maintenance_due, Money::ZERO);

    // 150 × 112 / 110 = 152.7272… from September 2021.
    let indexed = run(&AdvanceCase {
        month: ym(2021, 10),
        application_date: d(2021, 1, 5),
        maintenance: Maintenance::Title(AmountRule::Cpi(CpiIndexation {
            base_amount: money("150"),
            base_month: ym(2020, 8),
            first_adjustment_month: ym(2021, 9),
        })),
        ..case()
    });
    assert_eq!(indexed.maintenance_due, money("152.73"));
    assert_eq!(indexed.amount, money("152.73"));
    let zero = run(&AdvanceCase {
        maintenance: Maintenance::Due(Money::ZERO),
        ..case()
    });
    assert_eq!(zero.reasons, [Ineligibility::NoMaintenanceDue]);
}

#[test]
fn every_failed_condition_is_reported() {
    let a = run(&AdvanceCase {
        month: ym(2019, 3),
        future_maintenance_claimed: false,
        child_birth_date: d(2000, 1, 1),
        family_allowance_entitled: false,
        applicant_net_monthly_income: Some(money("5000")),
        maintenance: Maintenance::Due(Money::ZERO),
        ..case()
    });
    use Ineligibility::*;
    assert_eq!(
        a.reasons,
        [
            MonthNotAfterApplication,
            NoFutureMaintenanceClaimed,
            AdultWithoutFamilyAllowance,
            AdultRenewalLapsed,
            IncomeAboveCeiling,
            NoMaintenanceDue
        ]
    );
    assert_eq!(a.amount, Money::ZERO);
    assert!(!a.eligible);
}

#[test]
fn bad_input_is_reported_all_at_once() {
    let v = violations(&AdvanceCase {
        child_birth_date: d(2019, 7, 1),
        maintenance: Maintenance::Due(Money::from_decimal(dec!(-0.001))),
        applicant_net_monthly_income: Some(money("-1")),
        dependent_children: 1,
        disabled_dependent_children: 2,
        ..case()
    });
    let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "child_birth_date",
            "maintenance_due",
            "maintenance_due",
            "applicant_net_monthly_income",
            "disabled_dependent_children",
        ]
    );
    let v = violations(&AdvanceCase {
        maintenance: Maintenance::Title(AmountRule::Explicit(vec![])),
        dependent_children: -1,
        disabled_dependent_children: -1,
        ..case()
    });
    let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "maintenance_amount.explicit_schedule.periods",
            "dependent_children",
            "disabled_dependent_children",
        ]
    );
}

#[test]
fn compact_explanations_keep_results_and_references() {
    let a = assess(&case(), &table(), Explainer::compact()).unwrap();
    assert!(a.explanation.steps.iter().all(|s| s.detail.is_empty()));
    assert_eq!(
        a.explanation.steps.last().unwrap().result.as_deref(),
        Some("175.00")
    );
    assert_eq!(a.explanation.references.len(), 3);
}
