//! The seizable part of one month's incomes (Judicial Code art. 1409–1412, seed 004), as the
//! house decision in DOMAIN.md puts it:
//!
//! 1. `SEIZURE_MONTH_SHARE` — each income's share of the month: its amount, or a lump sum
//!    spread evenly over the months it covers (amount ÷ months), rounded to the cent; an
//!    income whose range does not include the month has a zero share and is not counted.
//! 2. `SEIZURE_UNSEIZABLE_INCOME` (ordinary claims: the fully unseizable kinds and CPAS aid)
//!    and `SEIZURE_CPAS_AID_EXCLUDED` (maintenance claims: CPAS social aid only) — shares
//!    left out.
//! 3. `SEIZURE_CUMULATION` — the counted shares are added up (the rounded shares, so that the
//!    total is the sum of the figures shown).
//! 4. Ordinary claims: `SEIZURE_REPLACEMENT_SCALE` when every counted income is a
//!    replacement income (and there is at least one), else `SEIZURE_EARNED_SCALE`, on the
//!    brackets in force on the first day of the month (a set is in force from a date, not for
//!    a year: the yearly indexation applies from 1 January, but temporary increases started
//!    and ended inside a year); each band's seizable part is rounded to the cent and the bands
//!    are added up. Then `SEIZURE_CHILD_DEDUCTION`: the per-child increment × dependent
//!    children is subtracted, never below zero (the deduction shown is what was actually
//!    subtracted).
//!    Maintenance claims: `SEIZURE_MAINTENANCE_EXCEPTION` — everything counted is seizable,
//!    no scale, no child deduction, and no brackets are needed.

mod kinds;
mod scale;
mod validate;

pub use kinds::{IncomeCategory, IncomeKind};
pub use scale::{Band, Scale};
pub use validate::validate;

use rust_decimal::Decimal;
use secal_domain::{Money, YearMonth};

use crate::{
    error::{RuleError, Violations},
    explain::{Explainer, Explanation, Rule},
    reference::{RefKind, RefPayload, ReferenceTable},
};

pub const SEIZURE_MONTH_SHARE: Rule = Rule {
    id: "SEIZURE_MONTH_SHARE",
    legal_basis: "house rule",
};
pub const SEIZURE_UNSEIZABLE_INCOME: Rule = Rule {
    id: "SEIZURE_UNSEIZABLE_INCOME",
    legal_basis: "Judicial Code art. 1410 §2",
};
pub const SEIZURE_CPAS_AID_EXCLUDED: Rule = Rule {
    id: "SEIZURE_CPAS_AID_EXCLUDED",
    legal_basis: "Judicial Code art. 1412",
};
pub const SEIZURE_CUMULATION: Rule = Rule {
    id: "SEIZURE_CUMULATION",
    legal_basis: "house rule",
};
pub const SEIZURE_EARNED_SCALE: Rule = Rule {
    id: "SEIZURE_EARNED_SCALE",
    legal_basis: "Judicial Code art. 1409 §1",
};
pub const SEIZURE_REPLACEMENT_SCALE: Rule = Rule {
    id: "SEIZURE_REPLACEMENT_SCALE",
    legal_basis: "Judicial Code art. 1410 §1",
};
pub const SEIZURE_CHILD_DEDUCTION: Rule = Rule {
    id: "SEIZURE_CHILD_DEDUCTION",
    legal_basis: "Judicial Code art. 1409 §1bis",
};
pub const SEIZURE_MAINTENANCE_EXCEPTION: Rule = Rule {
    id: "SEIZURE_MAINTENANCE_EXCEPTION",
    legal_basis: "Judicial Code art. 1412",
};

/// Longest range a single payment may be spread over.
pub const MAX_COVER_MONTHS: i32 = 120;
/// Most incomes in one request.
pub const MAX_INCOMES: usize = 1_000;

/// The most dependent children a request may count (seizable income, advances): far above
/// any household, and a bound, so that a mistyped count (2147483647) is refused instead of
/// silently protecting the whole income.
pub const MAX_DEPENDENT_CHILDREN: i32 = 30;

/// Largest single income accepted (1,000,000,000.00): no real income comes near it, and sums
/// of [`MAX_INCOMES`] of them stay far from `Decimal`'s range.
pub fn max_amount() -> Money {
    Money::from_cents(100_000_000_000)
}

/// The months a payment covers (`last` inclusive; required, but kept optional so that its
/// absence is reported as a violation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covers {
    pub first: YearMonth,
    pub last: Option<YearMonth>,
}

/// One income of the debtor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Income {
    pub id: String,
    pub kind: IncomeKind,
    /// Net amount paid.
    pub amount: Money,
    /// `None`: paid for the request's month only.
    pub covers: Option<Covers>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimKind {
    Ordinary,
    /// Judicial Code art. 1412.
    Maintenance,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeizableRequest {
    pub month: YearMonth,
    pub incomes: Vec<Income>,
    /// Checked, not assumed, to be zero or more.
    pub dependent_children: i32,
    pub claim_kind: ClaimKind,
}

/// How one income was treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Treatment {
    pub income_id: String,
    pub kind: IncomeKind,
    pub category: IncomeCategory,
    /// Rounded to the cent; zero when the income does not cover the month.
    pub month_share: Money,
    pub counted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeizableIncome {
    pub seizable_amount: Money,
    pub counted_income: Money,
    pub excluded_income: Money,
    pub scale: Scale,
    /// Empty for the maintenance exception.
    pub bands: Vec<Band>,
    pub seizable_before_child_deduction: Money,
    pub child_deduction: Money,
    pub incomes: Vec<Treatment>,
    pub explanation: Explanation,
}

/// The seizable amount of `req.month`.
pub fn compute(
    req: &SeizableRequest,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<SeizableIncome, RuleError> {
    let mut v = Violations::new();
    validate(req, &mut v);
    v.into_result()?;
    let incomes: Vec<Treatment> = req
        .incomes
        .iter()
        .map(|income| treat(income, req.month, req.claim_kind, &mut ex))
        .collect();
    let (counted_income, excluded_income) = cumulate(&incomes, req.month, &mut ex);
    let (scale, bands, before, child_deduction) =
        seizable_part(req, &incomes, counted_income, refs, &mut ex)?;
    Ok(SeizableIncome {
        seizable_amount: before - child_deduction,
        counted_income,
        excluded_income,
        scale,
        bands,
        seizable_before_child_deduction: before,
        child_deduction,
        incomes,
        explanation: ex.finish(),
    })
}

/// `SEIZURE_CUMULATION`: the counted incomes' month shares add up; the others are reported,
/// not lost. Returns (counted, left out).
fn cumulate(incomes: &[Treatment], month: YearMonth, ex: &mut Explainer) -> (Money, Money) {
    let counted: Vec<&Treatment> = incomes.iter().filter(|t| t.counted).collect();
    let counted_income: Money = counted.iter().map(|t| t.month_share).sum();
    let excluded_income: Money = incomes
        .iter()
        .filter(|t| !t.counted)
        .map(|t| t.month_share)
        .sum();
    ex.step(
        SEIZURE_CUMULATION,
        "",
        || {
            let terms: Vec<String> = counted.iter().map(|t| t.month_share.to_string()).collect();
            let terms = if terms.is_empty() {
                "nothing".to_owned()
            } else {
                terms.join(" + ")
            };
            format!("counted for {month}: {terms} = {counted_income}; left out: {excluded_income}")
        },
        Some(counted_income.to_string()),
        &[],
    );
    (counted_income, excluded_income)
}

/// The seizable part of `counted_income`: (scale, bands, before child deduction, child
/// deduction). A maintenance claim takes all of it; an ordinary one goes through the scale,
/// the replacement-income one when every counted income is a replacement income.
fn seizable_part(
    req: &SeizableRequest,
    incomes: &[Treatment],
    counted_income: Money,
    refs: &ReferenceTable,
    ex: &mut Explainer,
) -> Result<(Scale, Vec<Band>, Money, Money), RuleError> {
    match req.claim_kind {
        ClaimKind::Maintenance => {
            ex.step(
                SEIZURE_MAINTENANCE_EXCEPTION,
                "",
                || {
                    format!(
                        "maintenance claim: all of {counted_income} is seizable \
                         (no scale, no child deduction)"
                    )
                },
                Some(counted_income.to_string()),
                &[],
            );
            let scale = Scale::MaintenanceException;
            Ok((scale, Vec::new(), counted_income, Money::ZERO))
        }
        ClaimKind::Ordinary => {
            let mut counted = incomes.iter().filter(|t| t.counted).peekable();
            let replacement_only = counted.peek().is_some()
                && counted.all(|t| t.category == IncomeCategory::Replacement);
            let scale = if replacement_only {
                Scale::ReplacementIncome
            } else {
                Scale::EarnedIncome
            };
            ordinary(scale, counted_income, req, refs, ex)
        }
    }
}

/// The share of `income` in `month` and whether it is counted.
fn treat(income: &Income, month: YearMonth, claim: ClaimKind, ex: &mut Explainer) -> Treatment {
    let category = income.kind.category();
    let what = || format!("{} ({})", income.kind.describe(), category.describe());
    let (first, last) = match income.covers {
        Some(Covers {
            first,
            last: Some(last),
        }) => (first, last),
        _ => (month, month),
    };
    let covered = first <= month && month <= last;
    let months = last.months_since(first) + 1;
    let month_share = if !covered {
        Money::ZERO
    } else if months == 1 {
        income.amount
    } else {
        Money::from_decimal(income.amount.amount() / Decimal::from(months)).round_cents()
    };
    let counted = covered
        && match claim {
            ClaimKind::Ordinary => matches!(
                category,
                IncomeCategory::Earned | IncomeCategory::Replacement
            ),
            ClaimKind::Maintenance => category != IncomeCategory::CpasSocialAid,
        };
    ex.step(
        SEIZURE_MONTH_SHARE,
        income.id.clone(),
        || match (covered, months) {
            (false, _) => format!(
                "{}: {} covers {first}..{last}, not {month}: not counted",
                what(),
                income.amount
            ),
            (true, 1) => format!("{}: {} for {month}", what(), income.amount),
            (true, n) => format!(
                "{}: {} ÷ {n} months ({first}..{last}) = {} → {month_share}",
                what(),
                income.amount,
                (income.amount.amount() / Decimal::from(n))
                    .round_dp(6)
                    .normalize()
            ),
        },
        Some(month_share.to_string()),
        &[],
    );
    if covered && !counted {
        let (rule, why) = match claim {
            ClaimKind::Ordinary => (SEIZURE_UNSEIZABLE_INCOME, "an ordinary claim"),
            ClaimKind::Maintenance => (SEIZURE_CPAS_AID_EXCLUDED, "even a maintenance claim"),
        };
        ex.step(
            rule,
            income.id.clone(),
            || format!("{}: {month_share} left out for {why}", what()),
            None,
            &[],
        );
    }
    Treatment {
        income_id: income.id.clone(),
        kind: income.kind,
        category,
        month_share,
        counted,
    }
}

/// The scale and the child deduction of an ordinary claim.
fn ordinary(
    scale: Scale,
    counted_income: Money,
    req: &SeizableRequest,
    refs: &ReferenceTable,
    ex: &mut Explainer,
) -> Result<(Scale, Vec<Band>, Money, Money), RuleError> {
    let first_day = req.month.first_day();
    // The brackets in force on the first day of the month apply to the whole month: a value is
    // in force from a date, and some sets (temporary increases) begin or end inside a year.
    let value = refs.in_force(RefKind::SeizureBrackets, "", first_day)?;
    let RefPayload::Brackets(brackets) = &value.payload else {
        return Err(RuleError::MissingReference {
            kind: RefKind::SeizureBrackets,
            key: String::new(),
            date: first_day,
        });
    };
    let bands = scale::bands(scale, brackets, counted_income);
    let before: Money = bands.iter().map(|b| b.seizable).sum();
    let rule = match scale {
        Scale::ReplacementIncome => SEIZURE_REPLACEMENT_SCALE,
        _ => SEIZURE_EARNED_SCALE,
    };
    ex.step(
        rule,
        "",
        || {
            format!(
                "{counted_income} on the brackets in force on {first_day}: {} = {before}",
                scale::describe(&bands)
            )
        },
        Some(before.to_string()),
        &[value],
    );

    let children = Decimal::from(req.dependent_children);
    let full_deduction = brackets.child_increment.mul_decimal(children).round_cents();
    let child_deduction = full_deduction.min(before);
    let seizable = before - child_deduction;
    ex.step(
        SEIZURE_CHILD_DEDUCTION,
        "",
        || {
            let floor = if child_deduction < full_deduction {
                " (never below zero)"
            } else {
                ""
            };
            format!(
                "{} × {} dependent children = {full_deduction}; \
                 {before} − {child_deduction} = {seizable}{floor}",
                brackets.child_increment, req.dependent_children
            )
        },
        Some(seizable.to_string()),
        &[value],
    );
    Ok((scale, bands, before, child_deduction))
}

#[cfg(test)]
mod tests;
