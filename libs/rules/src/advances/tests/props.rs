use proptest::prelude::*;

use super::super::*;
use super::fixtures::*;

proptest! {
    #[test]
    fn the_advance_never_exceeds_the_cap_or_the_maintenance_due(
        due_cents in 0i64..100_000,
        income_cents in 0i64..400_000,
        months_after in -3i32..120,
        age_months in 0i32..300,
        children in 0i32..5,
        disabled in 0i32..5,
        allowance in any::<bool>(),
        claimed in any::<bool>(),
    ) {
        let application = d(2016, 6, 15);
        let month = ym(2016, 6).add_months(months_after).unwrap();
        let birth = month.add_months(-age_months).unwrap().first_day();
        let c = AdvanceCase {
            month,
            application_date: application,
            future_maintenance_claimed: claimed,
            child_birth_date: birth,
            family_allowance_entitled: allowance,
            adult_entitlement_valid_until: Some(d(2020, 1, 1)),
            maintenance: Maintenance::Due(Money::from_cents(due_cents)),
            applicant_net_monthly_income: Some(Money::from_cents(income_cents)),
            dependent_children: children.max(disabled),
            disabled_dependent_children: disabled,
            applicant_country: String::new(),
        };
        let a = run(&c);
        prop_assert!(a.amount <= a.cap);
        prop_assert!(a.amount <= a.maintenance_due);
        prop_assert!(!a.amount.is_negative());
        prop_assert_eq!(a.eligible, a.reasons.is_empty());
        if !a.eligible {
            prop_assert_eq!(a.amount, Money::ZERO);
        }
    }
}
