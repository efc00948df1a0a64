//! Amounts and dates as the letters print them.
//!
//! Amounts: French and German `1 234,56 €`, with a NARROW NO-BREAK SPACE (U+202F) between
//! groups of thousands and a NO-BREAK SPACE (U+00A0) before the euro sign — the CLDR
//! convention, and neither space lets a line break inside an amount. Dutch `€ 1.234,56`,
//! with a NO-BREAK SPACE after the euro sign.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::Language;

/// Between groups of thousands (fr, de).
pub const THOUSANDS_SPACE: char = '\u{202F}';
/// Between the number and the euro sign.
pub const EURO_SPACE: char = '\u{00A0}';

/// `amount` in EUR as the letter prints it, rounded to the cent (half away from zero, as
/// every figure of the suite).
pub fn format_amount(amount: Decimal, language: Language) -> String {
    let cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let sign = if cents.is_sign_negative() && !cents.is_zero() {
        "-"
    } else {
        ""
    };
    let plain = format!("{:.2}", cents.abs());
    let (units, decimals) = plain.split_once('.').unwrap_or((plain.as_str(), "00"));
    match language {
        Language::Fr | Language::De => {
            let units = group_thousands(units, THOUSANDS_SPACE);
            format!("{sign}{units},{decimals}{EURO_SPACE}€")
        }
        Language::Nl => {
            let units = group_thousands(units, '.');
            format!("€{EURO_SPACE}{sign}{units},{decimals}")
        }
    }
}

/// `digits` (ASCII, no sign) with `separator` between groups of three from the right.
fn group_thousands(digits: &str, separator: char) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// `date` written out in the letter's language: `1er mars 2026`, `1 maart 2026`,
/// `1. März 2026`.
pub fn format_date(date: NaiveDate, language: Language) -> String {
    let day = date.day();
    let month = month_name(date.month0(), language);
    let year = date.year();
    match language {
        Language::Fr if day == 1 => format!("1er {month} {year}"),
        Language::Fr | Language::Nl => format!("{day} {month} {year}"),
        Language::De => format!("{day}. {month} {year}"),
    }
}

fn month_name(month0: u32, language: Language) -> &'static str {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const DE: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    let names = match language {
        Language::Fr => &FR,
        Language::Nl => &NL,
        Language::De => &DE,
    };
    // month0 is 0..=11 by chrono's contract.
    names.get(month0 as usize).copied().unwrap_or("")
}

#[cfg(test)]
mod tests;
