//! What a seizable-income request must satisfy, every problem at once.

use std::collections::HashMap;

use secal_domain::Money;

use super::{MAX_COVER_MONTHS, MAX_DEPENDENT_CHILDREN, MAX_INCOMES, SeizableRequest, max_amount};
use crate::error::Violations;

/// Checks `req`; fields are named as in `ComputeSeizableIncomeRequest`.
pub fn validate(req: &SeizableRequest, v: &mut Violations) {
    v.check(
        req.incomes.len() <= MAX_INCOMES,
        "incomes",
        format!("at most {MAX_INCOMES} incomes"),
    );
    v.check(
        (0..=MAX_DEPENDENT_CHILDREN).contains(&req.dependent_children),
        "dependent_children",
        format!("between 0 and {MAX_DEPENDENT_CHILDREN}"),
    );
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, income) in req.incomes.iter().enumerate() {
        let f = format!("incomes[{i}]");
        if income.id.is_empty() {
            v.push(format!("{f}.income_id"), "is required");
        } else if let Some(first) = seen.get(income.id.as_str()) {
            v.push(
                format!("{f}.income_id"),
                format!("duplicates incomes[{first}].income_id"),
            );
        } else {
            seen.insert(&income.id, i);
        }
        check_amount(income.amount, &format!("{f}.amount"), v);
        if let Some(covers) = &income.covers {
            let field = format!("{f}.covers.last_month");
            match covers.last {
                None => v.push(
                    field,
                    "is required: a payment is spread over a closed range of months",
                ),
                Some(last) if last < covers.first => {
                    v.push(field, "must not be before first_month")
                }
                Some(last) => {
                    let months = last.months_since(covers.first) + 1;
                    v.check(
                        months <= MAX_COVER_MONTHS,
                        field,
                        format!("the range covers {months} months; at most {MAX_COVER_MONTHS}"),
                    );
                }
            }
        }
    }
}

/// A final amount of income: zero or more, whole cents, below the sanity ceiling.
pub fn check_amount(amount: Money, field: &str, v: &mut Violations) {
    v.check(!amount.is_negative(), field, "must not be negative");
    v.check(amount.is_whole_cents(), field, "must be in whole cents");
    let max = max_amount();
    v.check(amount <= max, field, format!("must not exceed {max}"));
}
