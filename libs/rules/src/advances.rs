//! Advances to a child for one month (DOMAIN.md, "Advances" and the house decision on them).
//!
//! Every condition is checked and every one that fails is reported, in this order:
//! - `ADVANCE_MONTH_AFTER_APPLICATION`: only for months after the application — the month M
//!   must come after the month of the application date (equivalently, the 1st of M is after
//!   the application date): an application of 15 March 2021 gives advances from April 2021.
//! - `ADVANCE_FUTURE_MAINTENANCE_CLAIMED`: the application claims future maintenance.
//! - `ADVANCE_CHILD_AGE`: the child's age on the 1st of M; at 18 or over, entitlement to
//!   family allowance then is required; from 26 there is no advance at all, whatever the
//!   family-allowance entitlement (seed 001: "par enfant de moins de 26 ans").
//! - `ADVANCE_ADULT_RENEWAL` (18 or over only): the 6-monthly renewal must run at least to the
//!   1st of M; a child of 18 or over with no renewal date has none on record, so it lapsed.
//! - `ADVANCE_APPLICANT_RESIDENCE`: the applicant lives in Belgium (seed 001: "pour chaque
//!   personne résidant sur le territoire belge"): the country of the official domicile is
//!   Belgium. An address without a country code is a Belgian one (the form's frame 1 asks for
//!   the domicile in Belgium, in the Belgian format).
//! - `ADVANCE_INCOME_CEILING`: where a ceiling ([`RefKind::ApplicantIncomeCeiling`]) is in
//!   force on the 1st of M, net income ≤ ceiling + increment × (dependent children + disabled
//!   ones, who count twice); the applicant's income is then required. Where the ceiling is
//!   abolished (`ADVANCE_INCOME_CEILING_ABOLISHED`) there is no income check and no income
//!   needed; where neither is in force the value is missing, an error. An increment that is
//!   abolished while a ceiling is in force adds nothing.
//! - `ADVANCE_MAINTENANCE_DUE`: the amount given, or the title's amount for M (the
//!   indexation rules' own steps); zero when no period of an explicit schedule covers M
//!   (the title has not started or has ended), which makes the child ineligible.
//! - `ADVANCE_CAP`: the [`RefKind::AdvanceCap`] in force on the 1st of M.
//! - `ADVANCE_AMOUNT`: min(maintenance due, cap) when eligible, else zero.
//!
//! Maintenance due and the cap are always worked out, even for an ineligible month, since
//! the assessment reports them.

mod validate;

pub use validate::{max_amount, validate};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::{Money, YearMonth};

use crate::{
    error::{RuleError, Violations},
    explain::{Explainer, Explanation, Rule},
    indexation::AmountRule,
    reference::{RefKind, RefPayload, ReferenceTable},
};

const HOUSE: &str = "house rule";
const LAW: &str = "Law of 21 February 2003 creating SECAL (advances)";

pub const ADVANCE_MONTH_AFTER_APPLICATION: Rule = Rule {
    id: "ADVANCE_MONTH_AFTER_APPLICATION",
    legal_basis: HOUSE,
};
pub const ADVANCE_FUTURE_MAINTENANCE_CLAIMED: Rule = Rule {
    id: "ADVANCE_FUTURE_MAINTENANCE_CLAIMED",
    legal_basis: HOUSE,
};
pub const ADVANCE_APPLICANT_RESIDENCE: Rule = Rule {
    id: "ADVANCE_APPLICANT_RESIDENCE",
    legal_basis: LAW,
};
pub const ADVANCE_CHILD_AGE: Rule = Rule {
    id: "ADVANCE_CHILD_AGE",
    legal_basis: HOUSE,
};
pub const ADVANCE_ADULT_RENEWAL: Rule = Rule {
    id: "ADVANCE_ADULT_RENEWAL",
    legal_basis: HOUSE,
};
pub const ADVANCE_INCOME_CEILING: Rule = Rule {
    id: "ADVANCE_INCOME_CEILING",
    legal_basis: LAW,
};
pub const ADVANCE_INCOME_CEILING_ABOLISHED: Rule = Rule {
    id: "ADVANCE_INCOME_CEILING_ABOLISHED",
    legal_basis: LAW,
};
pub const ADVANCE_MAINTENANCE_DUE: Rule = Rule {
    id: "ADVANCE_MAINTENANCE_DUE",
    legal_basis: HOUSE,
};
pub const ADVANCE_CAP: Rule = Rule {
    id: "ADVANCE_CAP",
    legal_basis: LAW,
};
pub const ADVANCE_AMOUNT: Rule = Rule {
    id: "ADVANCE_AMOUNT",
    legal_basis: HOUSE,
};

/// The maintenance due for the child for the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Maintenance {
    /// Already indexed.
    Due(Money),
    /// The title's amount rule, indexed for the month by the engine.
    Title(AmountRule),
}

/// What the advance rule needs about one child and one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvanceCase {
    pub month: YearMonth,
    pub application_date: NaiveDate,
    pub future_maintenance_claimed: bool,
    pub child_birth_date: NaiveDate,
    pub family_allowance_entitled: bool,
    pub adult_entitlement_valid_until: Option<NaiveDate>,
    pub maintenance: Maintenance,
    pub applicant_net_monthly_income: Option<Money>,
    /// Disabled ones included; checked, not assumed, to be zero or more.
    pub dependent_children: i32,
    pub disabled_dependent_children: i32,
    /// ISO 3166-1 alpha-2 country of the applicant's official domicile, upper case; empty
    /// for an address given without one (a Belgian address).
    pub applicant_country: String,
}

/// The oldest a child may be on the 1st of the month and still get an advance (seed 001:
/// "par enfant de moins de 26 ans").
pub const MAX_CHILD_AGE: u32 = 25;

/// Why a child gets no advance for a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ineligibility {
    MonthNotAfterApplication,
    NoFutureMaintenanceClaimed,
    ChildAged26OrOver,
    AdultWithoutFamilyAllowance,
    AdultRenewalLapsed,
    ApplicantNotInBelgium,
    IncomeAboveCeiling,
    NoMaintenanceDue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvanceAssessment {
    pub eligible: bool,
    /// min(maintenance due, cap) when eligible, else zero.
    pub amount: Money,
    /// Every condition that failed, in the order above.
    pub reasons: Vec<Ineligibility>,
    pub maintenance_due: Money,
    pub cap: Money,
    /// Ceiling plus increments; `None` when the ceiling is abolished.
    pub income_ceiling: Option<Money>,
    pub explanation: Explanation,
}

/// The advance for `case`. Violations name fields relative to the `AdvanceCase` message.
pub fn assess(
    case: &AdvanceCase,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<AdvanceAssessment, RuleError> {
    let mut v = Violations::new();
    validate(case, &mut v);
    v.into_result()?;
    let mut reasons = Vec::new();
    check_application(case, &mut reasons, &mut ex);
    check_age(case, &mut reasons, &mut ex);
    check_residence(case, &mut reasons, &mut ex);
    let income_ceiling = check_income(case, refs, &mut reasons, &mut ex)?;
    let maintenance_due = maintenance_due(case, refs, &mut ex)?;
    if !maintenance_due.is_positive() {
        reasons.push(Ineligibility::NoMaintenanceDue);
    }
    let cap = cap(case.month.first_day(), refs, &mut ex)?;
    let eligible = reasons.is_empty();
    let amount = amount(eligible, maintenance_due, cap, reasons.len(), &mut ex);
    Ok(AdvanceAssessment {
        eligible,
        amount,
        reasons,
        maintenance_due,
        cap,
        income_ceiling,
        explanation: ex.finish(),
    })
}

/// `ADVANCE_MONTH_AFTER_APPLICATION` and `ADVANCE_FUTURE_MAINTENANCE_CLAIMED`: the
/// conditions the application itself settles.
fn check_application(case: &AdvanceCase, reasons: &mut Vec<Ineligibility>, ex: &mut Explainer) {
    let month = case.month;
    let after = month.first_day() > case.application_date;
    ex.step(
        ADVANCE_MONTH_AFTER_APPLICATION,
        "",
        || {
            let verdict = if after { "is" } else { "is not" };
            format!(
                "{month} {verdict} after the month of the application ({})",
                case.application_date
            )
        },
        None,
        &[],
    );
    if !after {
        reasons.push(Ineligibility::MonthNotAfterApplication);
    }

    ex.step(
        ADVANCE_FUTURE_MAINTENANCE_CLAIMED,
        "",
        || {
            let verdict = if case.future_maintenance_claimed {
                "claims"
            } else {
                "does not claim"
            };
            format!("the application {verdict} future maintenance")
        },
        None,
        &[],
    );
    if !case.future_maintenance_claimed {
        reasons.push(Ineligibility::NoFutureMaintenanceClaimed);
    }
}

/// `ADVANCE_CAP`: worked out even for an ineligible month, since the assessment reports it.
fn cap(
    first_day: NaiveDate,
    refs: &ReferenceTable,
    ex: &mut Explainer,
) -> Result<Money, RuleError> {
    let (cap, cap_value) = refs.number(RefKind::AdvanceCap, first_day)?;
    let cap = Money::from_decimal(cap).round_cents();
    ex.step(
        ADVANCE_CAP,
        "",
        || format!("cap in force on {first_day}: {cap}"),
        Some(cap.to_string()),
        &[cap_value],
    );
    Ok(cap)
}

/// `ADVANCE_AMOUNT`: `failed` conditions make it zero.
fn amount(
    eligible: bool,
    maintenance_due: Money,
    cap: Money,
    failed: usize,
    ex: &mut Explainer,
) -> Money {
    let amount = if eligible {
        maintenance_due.min(cap)
    } else {
        Money::ZERO
    };
    ex.step(
        ADVANCE_AMOUNT,
        "",
        || {
            if eligible {
                format!("min({maintenance_due}, {cap}) = {amount}")
            } else {
                format!("not eligible ({failed} condition(s) failed): 0.00")
            }
        },
        Some(amount.to_string()),
        &[],
    );
    amount
}

/// `ADVANCE_APPLICANT_RESIDENCE`: advances only while the applicant lives in Belgium.
fn check_residence(case: &AdvanceCase, reasons: &mut Vec<Ineligibility>, ex: &mut Explainer) {
    let country = case.applicant_country.as_str();
    let in_belgium = country.is_empty() || country == "BE";
    ex.step(
        ADVANCE_APPLICANT_RESIDENCE,
        "",
        || match country {
            "" => "official domicile given without a country: a Belgian address".to_owned(),
            "BE" => "official domicile in Belgium".to_owned(),
            other => format!("official domicile in {other}: not in Belgium"),
        },
        None,
        &[],
    );
    if !in_belgium {
        reasons.push(Ineligibility::ApplicantNotInBelgium);
    }
}

fn check_age(case: &AdvanceCase, reasons: &mut Vec<Ineligibility>, ex: &mut Explainer) {
    let first_day = case.month.first_day();
    // A child born during the month is 0 on its 1st.
    let age = first_day.years_since(case.child_birth_date).unwrap_or(0);
    let adult = age >= 18;
    let too_old = age > MAX_CHILD_AGE;
    let allowance = case.family_allowance_entitled;
    ex.step(
        ADVANCE_CHILD_AGE,
        "",
        || match (too_old, adult, allowance) {
            (true, _, _) => format!("{age} on {first_day}: 26 or over, no advance"),
            (_, false, _) => format!("{age} on {first_day}: under 18"),
            (_, true, true) => format!("{age} on {first_day}: entitled to family allowance"),
            (_, true, false) => {
                format!("{age} on {first_day}: not entitled to family allowance")
            }
        },
        Some(age.to_string()),
        &[],
    );
    if too_old {
        // The family-allowance flag and the renewal do not matter any more.
        reasons.push(Ineligibility::ChildAged26OrOver);
        return;
    }
    if !adult {
        return;
    }
    if !allowance {
        reasons.push(Ineligibility::AdultWithoutFamilyAllowance);
    }
    let renewed = case
        .adult_entitlement_valid_until
        .is_some_and(|until| until >= first_day);
    ex.step(
        ADVANCE_ADULT_RENEWAL,
        "",
        || match case.adult_entitlement_valid_until {
            None => "no renewal of the adult entitlement on record: lapsed".to_owned(),
            Some(until) if renewed => format!("renewed until {until}, in force on {first_day}"),
            Some(until) => format!("renewed until {until}, lapsed before {first_day}"),
        },
        None,
        &[],
    );
    if !renewed {
        reasons.push(Ineligibility::AdultRenewalLapsed);
    }
}

/// The income condition; the ceiling plus increments when one is in force.
fn check_income(
    case: &AdvanceCase,
    refs: &ReferenceTable,
    reasons: &mut Vec<Ineligibility>,
    ex: &mut Explainer,
) -> Result<Option<Money>, RuleError> {
    let first_day = case.month.first_day();
    let ceiling_value = refs.in_force(RefKind::ApplicantIncomeCeiling, "", first_day)?;
    let ceiling = match ceiling_value.payload {
        RefPayload::Abolished => {
            ex.step(
                ADVANCE_INCOME_CEILING_ABOLISHED,
                "",
                || format!("no income ceiling on {first_day}: income not checked"),
                None,
                &[ceiling_value],
            );
            return Ok(None);
        }
        RefPayload::Number(n) => Money::from_decimal(n),
        RefPayload::Brackets(_) | RefPayload::Surcharge(_) => {
            return Err(missing(RefKind::ApplicantIncomeCeiling, first_day));
        }
    };
    let Some(income) = case.applicant_net_monthly_income else {
        return Err(RuleError::invalid(
            "applicant_net_monthly_income",
            format!("is required: an income ceiling is in force on {first_day}"),
        ));
    };
    let increment_value =
        refs.in_force(RefKind::ApplicantIncomeCeilingChildIncrement, "", first_day)?;
    let increment = match increment_value.payload {
        RefPayload::Number(n) => Money::from_decimal(n),
        RefPayload::Abolished => Money::ZERO,
        RefPayload::Brackets(_) | RefPayload::Surcharge(_) => {
            return Err(missing(
                RefKind::ApplicantIncomeCeilingChildIncrement,
                first_day,
            ));
        }
    };
    // A disabled child counts twice.
    let counted = i64::from(case.dependent_children) + i64::from(case.disabled_dependent_children);
    let total = (ceiling + increment.mul_decimal(Decimal::from(counted))).round_cents();
    let above = income > total;
    ex.step(
        ADVANCE_INCOME_CEILING,
        "",
        || {
            let verdict = if above { "above" } else { "within" };
            format!(
                "{} + {} × {counted} (dependent children {}, disabled {}) = {total}; \
                 net income {income} is {verdict} it",
                ceiling.round_cents(),
                increment.round_cents(),
                case.dependent_children,
                case.disabled_dependent_children
            )
        },
        Some(total.to_string()),
        &[ceiling_value, increment_value],
    );
    if above {
        reasons.push(Ineligibility::IncomeAboveCeiling);
    }
    Ok(Some(total))
}

fn maintenance_due(
    case: &AdvanceCase,
    refs: &ReferenceTable,
    ex: &mut Explainer,
) -> Result<Money, RuleError> {
    let month = case.month;
    match &case.maintenance {
        Maintenance::Due(amount) => {
            ex.step(
                ADVANCE_MAINTENANCE_DUE,
                "",
                || format!("maintenance due for {month}, as given: {amount}"),
                Some(amount.to_string()),
                &[],
            );
            Ok(*amount)
        }
        Maintenance::Title(AmountRule::Explicit(periods)) if !covers(periods, month) => {
            ex.step(
                ADVANCE_MAINTENANCE_DUE,
                "",
                || format!("no period of the title covers {month}: nothing due"),
                Some(Money::ZERO.to_string()),
                &[],
            );
            Ok(Money::ZERO)
        }
        Maintenance::Title(rule) => Ok(rule.amount_for(month, refs, ex, "maintenance")?.amount),
    }
}

/// Whether an explicit schedule gives an amount for `month`, read as
/// [`AmountRule::amount_for`] reads it (an open period runs until the next one starts).
fn covers(periods: &[crate::indexation::AmountPeriod], month: YearMonth) -> bool {
    periods.iter().enumerate().any(|(i, p)| {
        let end = p
            .last
            .or_else(|| periods.get(i + 1).and_then(|n| n.first.prev()));
        p.first <= month && end.is_none_or(|e| month <= e)
    })
}

fn missing(kind: RefKind, date: NaiveDate) -> RuleError {
    RuleError::MissingReference {
        kind,
        key: String::new(),
        date,
    }
}

#[cfg(test)]
mod tests;
