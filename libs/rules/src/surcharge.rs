//! Fees on recovered maintenance (DOMAIN.md, "Fees"): the regime is the one in force on the
//! application date — from 1 January 2015 the debtor owes 13% on top of the principal and the
//! creditor pays nothing; before, 10% charged to the debtor and 5% kept from the sums passed
//! to the creditor.
//!
//! Rules: `SURCHARGE_REGIME` (the [`RefKind::DebtorSurcharge`] value in force on the
//! application date), `SURCHARGE_DEBTOR` (principal × debtor %, rounded to the cent),
//! `SURCHARGE_CREDITOR_DEDUCTION` (principal × creditor %, rounded), `SURCHARGE_DEBTOR_TOTAL`
//! (principal + surcharge) and `SURCHARGE_CREDITOR_NET` (principal − deduction).
//!
//! An abolished regime means no fees at all (both percentages zero), so that the abolition of
//! the fees would be a data change rather than a code change.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::Money;

use crate::{
    error::{RuleError, Violations},
    explain::{Explainer, Explanation, Rule},
    reference::{RefKind, RefPayload, RefValue, ReferenceTable},
};

const BASIS: &str = "Law of 21 February 2003 creating SECAL (fees)";

pub const SURCHARGE_REGIME: Rule = Rule {
    id: "SURCHARGE_REGIME",
    legal_basis: BASIS,
};
pub const SURCHARGE_DEBTOR: Rule = Rule {
    id: "SURCHARGE_DEBTOR",
    legal_basis: BASIS,
};
pub const SURCHARGE_CREDITOR_DEDUCTION: Rule = Rule {
    id: "SURCHARGE_CREDITOR_DEDUCTION",
    legal_basis: BASIS,
};
pub const SURCHARGE_DEBTOR_TOTAL: Rule = Rule {
    id: "SURCHARGE_DEBTOR_TOTAL",
    legal_basis: BASIS,
};
pub const SURCHARGE_CREDITOR_NET: Rule = Rule {
    id: "SURCHARGE_CREDITOR_NET",
    legal_basis: BASIS,
};

/// Largest principal accepted (1,000,000,000,000.00): far above any real claim, and far
/// enough from `Decimal`'s range that no product can overflow.
pub fn max_principal() -> Money {
    Money::from_cents(100_000_000_000_000)
}

/// The fees on one principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surcharge {
    pub debtor_surcharge: Money,
    pub debtor_percent: Decimal,
    pub creditor_deduction: Money,
    pub creditor_percent: Decimal,
    pub debtor_total: Money,
    pub creditor_net: Money,
    pub explanation: Explanation,
}

/// Checks the principal; `field` is its path in the request.
pub fn validate(principal: Money, field: &str, v: &mut Violations) {
    v.check(principal.is_positive(), field, "must be positive");
    v.check(principal.is_whole_cents(), field, "must be in whole cents");
    let max = max_principal();
    v.check(principal <= max, field, format!("must not exceed {max}"));
}

/// The fees on `principal` under the regime in force on `application_date`. The principal's
/// violations are named `principal`.
pub fn compute(
    application_date: NaiveDate,
    principal: Money,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<Surcharge, RuleError> {
    let mut v = Violations::new();
    validate(principal, "principal", &mut v);
    v.into_result()?;
    let (regime, debtor_percent, creditor_percent) = regime(application_date, refs, &mut ex)?;
    let debtor_surcharge = fee(SURCHARGE_DEBTOR, principal, debtor_percent, regime, &mut ex);
    let creditor_deduction = fee(
        SURCHARGE_CREDITOR_DEDUCTION,
        principal,
        creditor_percent,
        regime,
        &mut ex,
    );
    let debtor_total = principal + debtor_surcharge;
    ex.step(
        SURCHARGE_DEBTOR_TOTAL,
        "",
        || format!("{principal} + {debtor_surcharge} = {debtor_total}"),
        Some(debtor_total.to_string()),
        &[],
    );
    let creditor_net = principal - creditor_deduction;
    ex.step(
        SURCHARGE_CREDITOR_NET,
        "",
        || format!("{principal} − {creditor_deduction} = {creditor_net}"),
        Some(creditor_net.to_string()),
        &[],
    );
    Ok(Surcharge {
        debtor_surcharge,
        debtor_percent,
        creditor_deduction,
        creditor_percent,
        debtor_total,
        creditor_net,
        explanation: ex.finish(),
    })
}

/// `SURCHARGE_REGIME`: the value in force and its (debtor, creditor) percentages; an
/// abolished regime is no fees at all rather than an error.
fn regime<'r>(
    application_date: NaiveDate,
    refs: &'r ReferenceTable,
    ex: &mut Explainer,
) -> Result<(&'r RefValue, Decimal, Decimal), RuleError> {
    let regime = refs.in_force(RefKind::DebtorSurcharge, "", application_date)?;
    let (debtor_percent, creditor_percent) = match &regime.payload {
        RefPayload::Surcharge(s) => (s.debtor_percent, s.creditor_percent),
        RefPayload::Abolished => (Decimal::ZERO, Decimal::ZERO),
        RefPayload::Number(_) | RefPayload::Brackets(_) => {
            return Err(RuleError::MissingReference {
                kind: RefKind::DebtorSurcharge,
                key: String::new(),
                date: application_date,
            });
        }
    };
    ex.step(
        SURCHARGE_REGIME,
        "",
        || {
            format!(
                "application of {application_date}: debtor {}%, creditor {}% ({})",
                debtor_percent.normalize(),
                creditor_percent.normalize(),
                regime.describe()
            )
        },
        None,
        &[regime],
    );
    Ok((regime, debtor_percent, creditor_percent))
}

/// `principal` × `percent`, rounded to the cent once, under `rule` (the debtor's surcharge
/// and the creditor's deduction are worked out alike).
fn fee(
    rule: Rule,
    principal: Money,
    percent: Decimal,
    regime: &RefValue,
    ex: &mut Explainer,
) -> Money {
    let fee = principal.percent(percent).round_cents();
    ex.step(
        rule,
        "",
        || {
            format!(
                "{principal} × {}% = {} → {fee}",
                percent.normalize(),
                principal.percent(percent)
            )
        },
        Some(fee.to_string()),
        &[regime],
    );
    fee
}

#[cfg(test)]
mod tests;
