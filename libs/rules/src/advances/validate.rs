//! What an advance case must satisfy, every problem at once.

use secal_domain::Money;

use super::{AdvanceCase, Maintenance};
use crate::error::Violations;
use crate::seizable::MAX_DEPENDENT_CHILDREN;

/// Largest amount accepted (1,000,000,000.00): no real maintenance or income comes near it,
/// and products with it stay far from `Decimal`'s range.
pub fn max_amount() -> Money {
    Money::from_cents(100_000_000_000)
}

/// Checks `case`; fields are named as in the `AdvanceCase` message.
pub fn validate(case: &AdvanceCase, v: &mut Violations) {
    v.check(
        case.child_birth_date <= case.month.last_day(),
        "child_birth_date",
        format!("the child is not born in or before {}", case.month),
    );
    match &case.maintenance {
        Maintenance::Due(amount) => check_amount(*amount, "maintenance_due", v),
        Maintenance::Title(rule) => rule.validate("maintenance_amount", v),
    }
    if let Some(income) = case.applicant_net_monthly_income {
        check_amount(income, "applicant_net_monthly_income", v);
    }
    v.check(
        (0..=MAX_DEPENDENT_CHILDREN).contains(&case.dependent_children),
        "dependent_children",
        format!("between 0 and {MAX_DEPENDENT_CHILDREN}"),
    );
    let country = case.applicant_country.as_bytes();
    v.check(
        country.is_empty() || (country.len() == 2 && country.iter().all(u8::is_ascii_uppercase)),
        "applicant_country_code",
        "an ISO 3166-1 alpha-2 country code (e.g. BE), or empty for a Belgian address",
    );
    if case.disabled_dependent_children < 0 {
        v.push("disabled_dependent_children", "must not be negative");
    } else if case.dependent_children >= 0 {
        v.check(
            case.disabled_dependent_children <= case.dependent_children,
            "disabled_dependent_children",
            "must not exceed dependent_children (disabled children are among them)",
        );
    }
}

fn check_amount(amount: Money, field: &str, v: &mut Violations) {
    v.check(!amount.is_negative(), field, "must not be negative");
    v.check(amount.is_whole_cents(), field, "must be in whole cents");
    let max = max_amount();
    v.check(amount <= max, field, format!("must not exceed {max}"));
}
