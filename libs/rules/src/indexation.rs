//! Indexation of a title's monthly amount (old Civil Code art. 203quater), or explicit
//! amounts per period as a title or the seed tables give them.
//!
//! Rules: `INDEXATION_BASE` (before the first adjustment the base amount applies),
//! `INDEXATION_CPI` (base × CPI(reference month) ÷ CPI(base month), always from the original
//! base, rounded to the cent once), `INDEXATION_EXPLICIT` (the amount of the period that
//! holds the month).

use rust_decimal::Decimal;
use secal_domain::{Money, YearMonth};

use crate::{
    RefKind, RefValue,
    error::{RuleError, Violations},
    explain::{Explainer, Rule},
    reference::{LinkKey, PriceKey},
};

pub const INDEXATION_BASE: Rule = Rule {
    id: "INDEXATION_BASE",
    legal_basis: "old Civil Code art. 203quater",
};
pub const INDEXATION_CPI: Rule = Rule {
    id: "INDEXATION_CPI",
    legal_basis: "old Civil Code art. 203quater",
};
pub const INDEXATION_EXPLICIT: Rule = Rule {
    id: "INDEXATION_EXPLICIT",
    legal_basis: "executory title",
};

/// How a title fixes one creditor's monthly amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountRule {
    Cpi(CpiIndexation),
    Explicit(Vec<AmountPeriod>),
}

/// Indexation by the CPI formula. For an adjustment taking effect in month K (every 12 months
/// from `first_adjustment_month`) the reference month is K − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpiIndexation {
    pub base_amount: Money,
    pub base_month: YearMonth,
    pub first_adjustment_month: YearMonth,
}

/// One period of an explicit schedule; `last` inclusive, `None` until the next period starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountPeriod {
    pub first: YearMonth,
    pub last: Option<YearMonth>,
    pub amount: Money,
}

/// The amount due for one month and how it was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedAmount {
    /// Rounded to the cent.
    pub amount: Money,
    /// CPI month used (CPI formula after the first adjustment only).
    pub reference_month: Option<YearMonth>,
    /// Month the amount in force was last adjusted, or the period's first month.
    pub adjusted_in: Option<YearMonth>,
    /// The formula's unrounded result (CPI formula only).
    pub unrounded: Option<Decimal>,
    /// The explanation step that produced it.
    pub step_id: String,
}

impl AmountRule {
    /// Checks the rule's own consistency; `field` is the path of the `MaintenanceAmount`.
    pub fn validate(&self, field: &str, v: &mut Violations) {
        match self {
            AmountRule::Cpi(c) => {
                v.check(
                    c.base_amount.is_positive(),
                    format!("{field}.cpi_indexation.base_amount"),
                    "must be positive",
                );
                v.check(
                    c.base_amount.is_whole_cents(),
                    format!("{field}.cpi_indexation.base_amount"),
                    "must be in whole cents",
                );
                v.check(
                    c.first_adjustment_month > c.base_month,
                    format!("{field}.cpi_indexation.first_adjustment_month"),
                    "must be after the base month",
                );
            }
            AmountRule::Explicit(periods) => {
                let f = format!("{field}.explicit_schedule.periods");
                v.check(!periods.is_empty(), &f, "at least one period is required");
                for (i, p) in periods.iter().enumerate() {
                    v.check(
                        !p.amount.is_negative() && p.amount.is_whole_cents(),
                        format!("{f}[{i}].amount"),
                        "must be zero or positive, in whole cents",
                    );
                    if let Some(last) = p.last {
                        v.check(
                            last >= p.first,
                            format!("{f}[{i}].last_month"),
                            "must not be before first_month",
                        );
                    }
                    if let Some(prev) = i.checked_sub(1).and_then(|j| periods.get(j)) {
                        let prev_end_ok = prev.last.is_none_or(|l| l < p.first);
                        v.check(
                            p.first > prev.first && prev_end_ok,
                            format!("{f}[{i}].first_month"),
                            "periods must be in order and must not overlap",
                        );
                    }
                }
            }
        }
    }

    /// The amount due for `month`. `subject` names the creditor in the explanation.
    pub fn amount_for(
        &self,
        month: YearMonth,
        refs: &crate::ReferenceTable,
        ex: &mut Explainer,
        subject: &str,
    ) -> Result<IndexedAmount, RuleError> {
        let subject = format!("{subject} {month}");
        match self {
            AmountRule::Cpi(c) if month < c.first_adjustment_month => Ok(c.base(subject, ex)),
            AmountRule::Cpi(c) => c.indexed(month, refs, subject, ex),
            AmountRule::Explicit(periods) => explicit_amount(periods, month, subject, ex),
        }
    }
}

impl CpiIndexation {
    /// `INDEXATION_BASE`: before the first adjustment.
    fn base(&self, subject: String, ex: &mut Explainer) -> IndexedAmount {
        let step = ex.step(
            INDEXATION_BASE,
            subject,
            || {
                format!(
                    "before the first adjustment ({}): base amount {}",
                    self.first_adjustment_month, self.base_amount
                )
            },
            Some(self.base_amount.to_string()),
            &[],
        );
        IndexedAmount {
            amount: self.base_amount,
            reference_month: None,
            adjusted_in: None,
            unrounded: None,
            step_id: step,
        }
    }

    /// `INDEXATION_CPI`: from the original base at every adjustment, never from the previous
    /// indexed amount, so that rounding does not accumulate over the years.
    fn indexed(
        &self,
        month: YearMonth,
        refs: &crate::ReferenceTable,
        subject: String,
        ex: &mut Explainer,
    ) -> Result<IndexedAmount, RuleError> {
        let years = month.months_since(self.first_adjustment_month) / 12;
        let adjusted_in = self
            .first_adjustment_month
            .add_months(years * 12)
            .ok_or_else(|| RuleError::invalid("month", "out of range"))?;
        let reference_month = adjusted_in
            .prev()
            .ok_or_else(|| RuleError::invalid("month", "out of range"))?;
        let pair = IndexPair::find(refs, RefKind::Cpi, self.base_month, reference_month)?;
        let unrounded = self.base_amount.amount() * pair.reference / pair.base;
        let amount = Money::from_decimal(unrounded).round_cents();
        let step = ex.step(
            INDEXATION_CPI,
            subject,
            || {
                format!(
                    "{}{} × CPI {reference_month} {} ÷ CPI {} {} = {} → {amount} (adjusted in {adjusted_in}){}",
                    pair.conversion_text(self.base_month),
                    self.base_amount,
                    pair.reference.normalize(),
                    self.base_month,
                    pair.base.round_dp(6).normalize(),
                    unrounded.round_dp(6).normalize(),
                    pair.base_text(),
                )
            },
            Some(amount.to_string()),
            &pair.values,
        );
        Ok(IndexedAmount {
            amount,
            reference_month: Some(reference_month),
            adjusted_in: Some(adjusted_in),
            unrounded: Some(unrounded),
            step_id: step,
        })
    }
}

/// The two indices of a CPI formula, on one base. When no base holds both months, the base
/// month's index is converted to the reference month's base by the publisher's linking
/// coefficient (never by a ratio computed here).
struct IndexPair<'a> {
    reference: Decimal,
    /// The base month's index on `base_year`, converted if `conversion` is set.
    base: Decimal,
    base_year: u16,
    /// The base month's index as published, its base, and the coefficient used.
    conversion: Option<(Decimal, u16, Decimal, String)>,
    values: Vec<&'a RefValue>,
}

impl<'a> IndexPair<'a> {
    fn find(
        refs: &'a crate::ReferenceTable,
        series: RefKind,
        base_month: YearMonth,
        reference_month: YearMonth,
    ) -> Result<Self, RuleError> {
        let not_published = |month: YearMonth| RuleError::MissingReference {
            kind: series,
            key: month.to_string(),
            date: month.first_day(),
        };
        let on = |month, base| refs.price_index(series, PriceKey { month, base });
        let ref_bases = refs.price_bases(series, reference_month);
        let base_bases = refs.price_bases(series, base_month);
        let (Some(&to), Some(&from)) = (ref_bases.first(), base_bases.first()) else {
            let missing = if ref_bases.is_empty() {
                reference_month
            } else {
                base_month
            };
            return Err(not_published(missing));
        };
        // Both months on one base need no conversion: the newest such base.
        if let Some(&common) = ref_bases.iter().find(|b| base_bases.contains(b)) {
            let (reference, rv) = on(reference_month, common)?;
            let (base, bv) = on(base_month, common)?;
            return Ok(Self {
                reference,
                base,
                base_year: common,
                conversion: None,
                values: vec![rv, bv],
            });
        }
        let (reference, rv) = on(reference_month, to)?;
        let (published, bv) = on(base_month, from)?;
        let link = LinkKey { series, from, to };
        let (coefficient, lv) = refs.price_link(link, reference_month)?;
        Ok(Self {
            reference,
            base: published * coefficient,
            base_year: to,
            conversion: Some((published, from, coefficient, link.key())),
            values: vec![rv, bv, lv],
        })
    }

    /// "CPI 2009-05 111.27 (2004 = 100) × 0.8170 (linking coefficient cpi:2004:2013) =
    /// 90.90759 (2013 = 100); ", or nothing.
    fn conversion_text(&self, base_month: YearMonth) -> String {
        match &self.conversion {
            None => String::new(),
            Some((published, from, coefficient, key)) => format!(
                "CPI {base_month} {} ({from} = 100) × {} (linking coefficient {key}) = {} ({} = 100); ",
                published.normalize(),
                coefficient.normalize(),
                self.base.round_dp(6).normalize(),
                self.base_year,
            ),
        }
    }

    /// Nothing on the reference base (as explanations always read), else the base named.
    fn base_text(&self) -> String {
        if self.base_year == PriceKey::REFERENCE_BASE {
            String::new()
        } else {
            format!(" (indices on base {} = 100)", self.base_year)
        }
    }
}

/// `INDEXATION_EXPLICIT`: a period without `last` runs until the next one starts.
fn explicit_amount(
    periods: &[AmountPeriod],
    month: YearMonth,
    subject: String,
    ex: &mut Explainer,
) -> Result<IndexedAmount, RuleError> {
    let found = periods.iter().enumerate().find(|(i, p)| {
        let end = p
            .last
            .or_else(|| periods.get(i + 1).and_then(|n| n.first.prev()));
        p.first <= month && end.is_none_or(|e| month <= e)
    });
    let Some((_, period)) = found else {
        return Err(RuleError::invalid(
            "amount.explicit_schedule",
            format!("no period gives the amount of {month}"),
        ));
    };
    let step = ex.step(
        INDEXATION_EXPLICIT,
        subject,
        || {
            format!(
                "amount of the period from {}: {}",
                period.first, period.amount
            )
        },
        Some(period.amount.to_string()),
        &[],
    );
    Ok(IndexedAmount {
        amount: period.amount,
        reference_month: None,
        adjusted_in: Some(period.first),
        unrounded: None,
        step_id: step,
    })
}

#[cfg(test)]
mod tests;
