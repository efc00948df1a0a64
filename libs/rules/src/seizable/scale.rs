//! The scales of Judicial Code art. 1409–1410 applied to a month's counted income.

use rust_decimal::Decimal;
use secal_domain::Money;

use crate::reference::SeizureBrackets;

/// The scale used for the seizable amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// 20% A–B, 30% B–C, 40% C–D, all above D.
    EarnedIncome,
    /// 20% A–B, 40% B–D, all above D.
    ReplacementIncome,
    /// Maintenance claims: everything counted is seizable, no bands.
    MaintenanceException,
}

/// One band of a scale applied to an income.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    /// "0-A", "A-B", "B-C", "C-D", "D+".
    pub label: &'static str,
    pub lower: Money,
    /// `None` for the top band.
    pub upper: Option<Money>,
    pub rate_percent: Decimal,
    /// Part of the income in the band (whole cents when the income and thresholds are).
    pub income_in_band: Money,
    /// `income_in_band × rate`, rounded to the cent: each band is a figure the rule shows,
    /// and the seizable amount is the sum of the bands as shown.
    pub seizable: Money,
}

/// The five bands of `scale` over `income`. The replacement scale's single 40% band from B
/// to D is shown as B-C and C-D at 40% each, so that every scale uses the same labels.
pub fn bands(scale: Scale, b: &SeizureBrackets, income: Money) -> Vec<Band> {
    let (bc, cd) = match scale {
        Scale::EarnedIncome => (Decimal::from(30), Decimal::from(40)),
        Scale::ReplacementIncome => (Decimal::from(40), Decimal::from(40)),
        Scale::MaintenanceException => return Vec::new(),
    };
    let defs = [
        ("0-A", Money::ZERO, Some(b.a), Decimal::ZERO),
        ("A-B", b.a, Some(b.b), Decimal::from(20)),
        ("B-C", b.b, Some(b.c), bc),
        ("C-D", b.c, Some(b.d), cd),
        ("D+", b.d, None, Decimal::ONE_HUNDRED),
    ];
    defs.into_iter()
        .map(|(label, lower, upper, rate_percent)| {
            let top = upper.map_or(income, |u| income.min(u));
            let income_in_band = (top - lower).max(Money::ZERO);
            Band {
                label,
                lower,
                upper,
                rate_percent,
                income_in_band,
                seizable: income_in_band.percent(rate_percent).round_cents(),
            }
        })
        .collect()
}

/// "0 + 20%×99.00 + 30%×149.00 + …", the sum as a case officer would write it.
pub fn describe(bands: &[Band]) -> String {
    let terms: Vec<String> = bands
        .iter()
        .filter(|b| !b.income_in_band.is_zero() || b.label == "0-A")
        .map(|b| match b.rate_percent {
            r if r.is_zero() => "0".to_owned(),
            r if r == Decimal::ONE_HUNDRED => b.income_in_band.to_string(),
            r => format!("{}%×{}", r.normalize(), b.income_in_band),
        })
        .collect();
    terms.join(" + ")
}
