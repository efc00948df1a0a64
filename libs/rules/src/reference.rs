//! Dated reference data as the rules see it: every figure that changes over time, with its
//! validity. The calculation service loads the table from its database; tests build it by
//! hand. A rule asks for "the value in force on date D".

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::{Money, YearMonth};

use crate::error::RuleError;

/// The kinds of reference data (mirrors `secal.v1.ReferenceKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKind {
    /// Consumer price index; key "YYYY-MM" (base 2013 = 100) or "YYYY-MM/BBBB" (base BBBB),
    /// see [`PriceKey`].
    Cpi,
    /// Health index, keyed like the CPI.
    HealthIndex,
    /// The publisher's coefficient converting a monthly index from one base to another; key
    /// "<series>:<from>:<to>", see [`LinkKey`].
    PriceIndexLink,
    /// Legal interest rate in civil matters, percent per year.
    LegalInterestRate,
    /// Maximum advance per child per month, EUR.
    AdvanceCap,
    /// Ceiling of the applicant's net monthly income for advances, EUR (abolished from
    /// 1 June 2020: stored as an abolished value).
    ApplicantIncomeCeiling,
    /// Increment of that ceiling per dependent child, EUR.
    ApplicantIncomeCeilingChildIncrement,
    /// Judicial Code art. 1409 thresholds A/B/C/D and per-child increment.
    SeizureBrackets,
    /// Fees on recovered maintenance, by application date.
    DebtorSurcharge,
}

impl RefKind {
    pub const ALL: [RefKind; 9] = [
        RefKind::Cpi,
        RefKind::HealthIndex,
        RefKind::PriceIndexLink,
        RefKind::LegalInterestRate,
        RefKind::AdvanceCap,
        RefKind::ApplicantIncomeCeiling,
        RefKind::ApplicantIncomeCeilingChildIncrement,
        RefKind::SeizureBrackets,
        RefKind::DebtorSurcharge,
    ];

    /// Stable lower-case name (database column value, messages).
    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::Cpi => "cpi",
            RefKind::HealthIndex => "health_index",
            RefKind::PriceIndexLink => "price_index_link",
            RefKind::LegalInterestRate => "legal_interest_rate",
            RefKind::AdvanceCap => "advance_cap",
            RefKind::ApplicantIncomeCeiling => "applicant_income_ceiling",
            RefKind::ApplicantIncomeCeilingChildIncrement => {
                "applicant_income_ceiling_child_increment"
            }
            RefKind::SeizureBrackets => "seizure_brackets",
            RefKind::DebtorSurcharge => "debtor_surcharge",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for RefKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Judicial Code art. 1409 thresholds of one year (net monthly income, EUR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeizureBrackets {
    pub a: Money,
    pub b: Money,
    pub c: Money,
    pub d: Money,
    pub child_increment: Money,
}

/// Fees on recovered maintenance (percent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurchargeRule {
    pub debtor_percent: Decimal,
    pub creditor_percent: Decimal,
}

/// The figure(s) of a reference value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefPayload {
    Number(Decimal),
    Brackets(SeizureBrackets),
    Surcharge(SurchargeRule),
    /// The rule this kind feeds does not apply in the period.
    Abolished,
}

/// One stored value with its validity (`valid_to` inclusive, `None` open-ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefValue {
    /// The store's identifier; explanations cite values by it.
    pub id: String,
    pub kind: RefKind,
    /// A [`PriceKey`] for the price indices, a [`LinkKey`] for their links, empty otherwise.
    pub key: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub payload: RefPayload,
    pub source: String,
}

impl RefValue {
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }

    /// The figure of a single-number kind.
    pub fn number(&self) -> Option<Decimal> {
        match self.payload {
            RefPayload::Number(n) => Some(n),
            _ => None,
        }
    }

    /// "legal_interest_rate 7 (2003-01-01..2003-12-31, id 12)", for explanations.
    pub fn describe(&self) -> String {
        let figure = match &self.payload {
            RefPayload::Number(n) => n.normalize().to_string(),
            RefPayload::Brackets(b) => format!(
                "A {} B {} C {} D {} child {}",
                b.a, b.b, b.c, b.d, b.child_increment
            ),
            RefPayload::Surcharge(s) => format!(
                "debtor {}% creditor {}%",
                s.debtor_percent.normalize(),
                s.creditor_percent.normalize()
            ),
            RefPayload::Abolished => "abolished".into(),
        };
        let to = self.valid_to.map(|d| d.to_string()).unwrap_or_default();
        let key = if self.key.is_empty() {
            String::new()
        } else {
            format!("[{}] ", self.key)
        };
        format!(
            "{} {key}{figure} ({}..{to}, id {})",
            self.kind, self.valid_from, self.id
        )
    }
}

/// The overlap of two values of one kind and key, which makes "the value in force" ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reference values {first} and {second} of {kind} overlap")]
pub struct OverlapError {
    pub kind: RefKind,
    pub first: String,
    pub second: String,
}

/// The key of a price-index value: its month and the base it is published on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PriceKey {
    pub month: YearMonth,
    /// The base year (the index averages 100 over it).
    pub base: u16,
}

impl PriceKey {
    /// Belgium's reference base from January 2014; its keys carry no suffix because every
    /// CPI key stored before other bases existed meant it.
    pub const REFERENCE_BASE: u16 = 2013;

    /// "YYYY-MM" (base 2013) or "YYYY-MM/BBBB"; "YYYY-MM/2013" is refused so that a month
    /// and base have one spelling.
    pub fn parse(key: &str) -> Option<Self> {
        let (month, base) = match key.split_once('/') {
            None => (key, Self::REFERENCE_BASE),
            Some((month, base)) => {
                let base = four_digits(base)?;
                (base != Self::REFERENCE_BASE).then_some((month, base))?
            }
        };
        let well_formed = month.len() == 7
            && month.bytes().enumerate().all(|(i, b)| match i {
                4 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        let month = well_formed
            .then(|| month.parse::<YearMonth>().ok())
            .flatten()?;
        Some(Self { month, base })
    }

    pub fn key(&self) -> String {
        if self.base == Self::REFERENCE_BASE {
            self.month.to_string()
        } else {
            format!("{}/{}", self.month, self.base)
        }
    }
}

/// The key of a linking coefficient: `series` index on base `from` × coefficient = index on
/// base `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkKey {
    pub series: RefKind,
    pub from: u16,
    pub to: u16,
}

impl LinkKey {
    /// "cpi:2004:2013" or "health_index:2004:2013".
    pub fn parse(key: &str) -> Option<Self> {
        let mut parts = key.split(':');
        let series = RefKind::parse(parts.next()?).filter(|k| k.is_price_index())?;
        let from = four_digits(parts.next()?)?;
        let to = four_digits(parts.next()?)?;
        (parts.next().is_none() && from != to).then_some(Self { series, from, to })
    }

    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.series, self.from, self.to)
    }
}

fn four_digits(s: &str) -> Option<u16> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl RefKind {
    /// The monthly price indices (keyed by [`PriceKey`]).
    pub fn is_price_index(self) -> bool {
        matches!(self, RefKind::Cpi | RefKind::HealthIndex)
    }
}

/// All reference values in force at some time, indexed by kind and key.
#[derive(Debug, Clone, Default)]
pub struct ReferenceTable {
    series: HashMap<(RefKind, String), Vec<RefValue>>,
    /// The bases each price-index month is stored on, newest first.
    price_bases: HashMap<(RefKind, YearMonth), Vec<u16>>,
}

impl ReferenceTable {
    /// Builds the table; values of one kind and key must not overlap (superseded values are
    /// left out by whoever loads them).
    pub fn new(values: impl IntoIterator<Item = RefValue>) -> Result<Self, OverlapError> {
        let mut series: HashMap<(RefKind, String), Vec<RefValue>> = HashMap::new();
        for v in values {
            series.entry((v.kind, v.key.clone())).or_default().push(v);
        }
        for ((kind, _), values) in series.iter_mut() {
            values.sort_by_key(|v| v.valid_from);
            for pair in values.windows(2) {
                if pair[0].valid_to.is_none_or(|to| to >= pair[1].valid_from) {
                    return Err(OverlapError {
                        kind: *kind,
                        first: pair[0].id.clone(),
                        second: pair[1].id.clone(),
                    });
                }
            }
        }
        let mut price_bases: HashMap<(RefKind, YearMonth), Vec<u16>> = HashMap::new();
        for (kind, key) in series.keys() {
            if let Some(p) = kind
                .is_price_index()
                .then(|| PriceKey::parse(key))
                .flatten()
            {
                price_bases
                    .entry((*kind, p.month))
                    .or_default()
                    .push(p.base);
            }
        }
        for bases in price_bases.values_mut() {
            bases.sort_unstable_by(|a, b| b.cmp(a));
        }
        Ok(Self {
            series,
            price_bases,
        })
    }

    /// The value of `kind` (and `key`) in force on `date`.
    pub fn in_force(
        &self,
        kind: RefKind,
        key: &str,
        date: NaiveDate,
    ) -> Result<&RefValue, RuleError> {
        let missing = || RuleError::MissingReference {
            kind,
            key: key.to_owned(),
            date,
        };
        let values = self
            .series
            .get(&(kind, key.to_owned()))
            .ok_or_else(missing)?;
        // Sorted by valid_from: the candidate is the last one starting on or before `date`.
        let idx = values.partition_point(|v| v.valid_from <= date);
        idx.checked_sub(1)
            .and_then(|i| values.get(i))
            .filter(|v| v.in_force_on(date))
            .ok_or_else(missing)
    }

    /// A single-number value in force on `date`, with the value it came from.
    pub fn number(
        &self,
        kind: RefKind,
        date: NaiveDate,
    ) -> Result<(Decimal, &RefValue), RuleError> {
        let v = self.in_force(kind, "", date)?;
        match v.payload {
            RefPayload::Number(n) => Ok((n, v)),
            _ => Err(RuleError::MissingReference {
                kind,
                key: String::new(),
                date,
            }),
        }
    }

    /// The CPI of `month` on the reference base (2013 = 100).
    pub fn cpi(&self, month: YearMonth) -> Result<(Decimal, &RefValue), RuleError> {
        self.price_index(
            RefKind::Cpi,
            PriceKey {
                month,
                base: PriceKey::REFERENCE_BASE,
            },
        )
    }

    /// The index of `series` (CPI or health index) for a month on a base.
    pub fn price_index(
        &self,
        series: RefKind,
        at: PriceKey,
    ) -> Result<(Decimal, &RefValue), RuleError> {
        let key = at.key();
        let date = at.month.first_day();
        self.positive(self.in_force(series, &key, date)?, series, &key, date)
    }

    /// The bases `series` is stored on for `month`, newest first (empty: not published, or
    /// not loaded).
    pub fn price_bases(&self, series: RefKind, month: YearMonth) -> &[u16] {
        self.price_bases
            .get(&(series, month))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The publisher's coefficient from one base to another; `on` is the month it is used
    /// for.
    pub fn price_link(
        &self,
        link: LinkKey,
        on: YearMonth,
    ) -> Result<(Decimal, &RefValue), RuleError> {
        let key = link.key();
        let kind = RefKind::PriceIndexLink;
        let date = on.first_day();
        self.positive(self.in_force(kind, &key, date)?, kind, &key, date)
    }

    fn positive<'a>(
        &self,
        v: &'a RefValue,
        kind: RefKind,
        key: &str,
        date: NaiveDate,
    ) -> Result<(Decimal, &'a RefValue), RuleError> {
        match v.payload {
            RefPayload::Number(n) if n > Decimal::ZERO => Ok((n, v)),
            _ => Err(RuleError::MissingReference {
                kind,
                key: key.to_owned(),
                date,
            }),
        }
    }

    /// Every value, for listing; order unspecified.
    pub fn values(&self) -> impl Iterator<Item = &RefValue> {
        self.series.values().flatten()
    }

    pub fn len(&self) -> usize {
        self.series.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rate(id: &str, from: NaiveDate, to: Option<NaiveDate>, r: Decimal) -> RefValue {
        RefValue {
            id: id.into(),
            kind: RefKind::LegalInterestRate,
            key: String::new(),
            valid_from: from,
            valid_to: to,
            payload: RefPayload::Number(r),
            source: "test".into(),
        }
    }

    #[test]
    fn the_value_in_force_is_found_and_a_gap_is_an_error() {
        let t = ReferenceTable::new([
            rate("1", d(2006, 1, 1), Some(d(2006, 12, 31)), dec!(7)),
            rate("2", d(2007, 1, 1), Some(d(2007, 12, 31)), dec!(6)),
            rate("3", d(2009, 1, 1), None, dec!(5.5)),
        ])
        .unwrap();
        assert_eq!(
            t.number(RefKind::LegalInterestRate, d(2006, 12, 31))
                .unwrap()
                .0,
            dec!(7)
        );
        assert_eq!(
            t.number(RefKind::LegalInterestRate, d(2007, 1, 1))
                .unwrap()
                .0,
            dec!(6)
        );
        assert_eq!(
            t.number(RefKind::LegalInterestRate, d(2030, 1, 1))
                .unwrap()
                .0,
            dec!(5.5)
        );
        let err = t
            .number(RefKind::LegalInterestRate, d(2008, 6, 1))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no legal_interest_rate value in force on 2008-06-01"
        );
        assert!(t.number(RefKind::LegalInterestRate, d(2005, 6, 1)).is_err());
        assert!(t.number(RefKind::AdvanceCap, d(2006, 6, 1)).is_err());
    }

    #[test]
    fn overlapping_values_are_refused() {
        let err = ReferenceTable::new([
            rate("1", d(2006, 1, 1), None, dec!(7)),
            rate("2", d(2007, 1, 1), None, dec!(6)),
        ])
        .unwrap_err();
        assert_eq!((err.first.as_str(), err.second.as_str()), ("1", "2"));
    }
}
