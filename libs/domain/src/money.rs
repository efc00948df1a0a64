//! Amounts in euro.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use thiserror::Error;

/// An amount in euro, positive or negative.
///
/// Final amounts are whole cents; intermediate results (indexation, interest, shares)
/// may carry more decimals until [`Money::round_cents`] is applied, once per figure, as
/// the rules require. Arithmetic never rounds. Like integer arithmetic, the operators
/// panic on overflow, which needs amounts beyond 10^26 euro.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(Decimal);

/// Why a string or value is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("the amount is empty")]
    Empty,
    #[error("unexpected character {found:?} at position {position} in an amount")]
    InvalidCharacter { position: usize, found: char },
    #[error("an amount is written like 150, 150.5 or -12.34")]
    Malformed,
    #[error("an amount has at most 2 decimals, found {digits}")]
    TooManyDecimals { digits: usize },
    #[error("the amount is too large")]
    OutOfRange,
    #[error("the amount is not a whole number of cents")]
    NotWholeCents,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Strict parse of a final amount; see the [`FromStr`] implementation.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        s.parse()
    }

    /// Any decimal, unrounded: for intermediate values.
    pub fn from_decimal(amount: Decimal) -> Self {
        Self::normalised(amount)
    }

    pub fn from_cents(cents: i64) -> Self {
        Self::normalised(Decimal::new(cents, 2))
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }

    /// Rounds to the cent, half away from zero (0.005 → 0.01, −0.005 → −0.01).
    pub fn round_cents(&self) -> Self {
        Self::normalised(
            self.0
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        )
    }

    /// The amount in cents, refusing to round silently.
    pub fn to_cents(&self) -> Result<i64, MoneyError> {
        if !self.is_whole_cents() {
            return Err(MoneyError::NotWholeCents);
        }
        self.0
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|cents| cents.to_i64())
            .ok_or(MoneyError::OutOfRange)
    }

    pub fn is_whole_cents(&self) -> bool {
        self.0.normalize().scale() <= 2
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_positive(&self) -> bool {
        self.0 > Decimal::ZERO
    }

    pub fn is_negative(&self) -> bool {
        self.0 < Decimal::ZERO
    }

    pub fn abs(&self) -> Self {
        Self(self.0.abs())
    }

    /// `self × factor`, unrounded (e.g. an indexation ratio).
    pub fn mul_decimal(&self, factor: Decimal) -> Self {
        Self::normalised(self.0 * factor)
    }

    /// `rate` percent of `self`, unrounded: `percent(dec!(20))` is a fifth.
    pub fn percent(&self, rate: Decimal) -> Self {
        Self::normalised(self.0 * rate / Decimal::ONE_HUNDRED)
    }

    // Decimal keeps the sign of zero; "-0.00" must not reach a document.
    fn normalised(amount: Decimal) -> Self {
        if amount.is_zero() {
            Self(Decimal::ZERO)
        } else {
            Self(amount)
        }
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Accepts `-?[0-9]+(\.[0-9]{1,2})?` and nothing else: no exponent, no thousands
    /// separator, no comma, no sign other than `-`, no surrounding spaces. The wire carries
    /// final amounts, and anything looser lets a formatting mistake change a value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let unsigned = s.strip_prefix('-').unwrap_or(s);
        let sign_len = s.len() - unsigned.len();
        for (position, c) in unsigned.chars().enumerate() {
            if !c.is_ascii_digit() && c != '.' {
                return Err(MoneyError::InvalidCharacter {
                    position: position + sign_len,
                    found: c,
                });
            }
        }
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        if whole.is_empty() || fraction.is_some_and(|f| f.is_empty() || f.contains('.')) {
            return Err(MoneyError::Malformed);
        }
        if let Some(digits) = fraction.map(str::len).filter(|&len| len > 2) {
            return Err(MoneyError::TooManyDecimals { digits });
        }
        Decimal::from_str_exact(s)
            .map(Self::normalised)
            .map_err(|_| MoneyError::OutOfRange)
    }
}

impl TryFrom<&str> for Money {
    type Error = MoneyError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Decimal> for Money {
    fn from(amount: Decimal) -> Self {
        Self::from_decimal(amount)
    }
}

impl fmt::Display for Money {
    /// Whole cents always show two decimals (`150.00`, `-0.50`); an unrounded
    /// intermediate value shows all its decimals rather than pretending to be rounded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let amount = self.0.normalize();
        let text = if amount.scale() <= 2 {
            let mut cents = amount;
            cents.rescale(2);
            cents.to_string()
        } else {
            amount.to_string()
        };
        f.pad(&text)
    }
}

impl Add for Money {
    type Output = Money;

    fn add(self, rhs: Money) -> Money {
        Money::normalised(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;

    fn sub(self, rhs: Money) -> Money {
        Money::normalised(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        Money::normalised(-self.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

impl serde::Serialize for Money {
    /// Only whole cents go on the wire, so that what is sent is what [`FromStr`] accepts;
    /// round first.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.is_whole_cents() {
            return Err(serde::ser::Error::custom(MoneyError::NotWholeCents));
        }
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::serde_str::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests;
