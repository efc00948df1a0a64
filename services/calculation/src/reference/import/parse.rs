//! Reading Statbel's open-data file "CPI All base years" (the text file of the zip Statbel
//! distributes): pipe-separated, a header line naming the columns, one line per month and
//! base. Pure: bytes in, figures or the first problems (line and column) out.

use std::collections::HashMap;

use rust_decimal::Decimal;
use secal_domain::YearMonth;
use secal_rules::{RefKind, reference::PriceKey};
use secal_runtime::FieldViolation;

/// The columns read; the file has others (inflation, smoothed health index, …) that the
/// rules do not use.
const YEAR: &str = "NM_YR";
const MONTH: &str = "NM_MTH";
const BASE: &str = "NM_BASE_YR";
const CPI: &str = "MS_CPI_IDX";
const HEALTH: &str = "MS_HLTH_IDX";

/// Past this many problems the rest are not listed: the file is wrong either way.
const MAX_PROBLEMS: usize = 20;

/// One published figure of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Figure {
    pub kind: RefKind,
    pub at: PriceKey,
    pub value: Decimal,
    /// As written in the file.
    pub text: String,
    /// 1-based, the header being line 1.
    pub line: u32,
    pub column: &'static str,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ParsedFile {
    pub figures: Vec<Figure>,
    /// Data lines of months before the first month asked for.
    pub ignored_lines: u32,
}

struct Columns {
    count: usize,
    year: usize,
    month: usize,
    base: usize,
    series: Vec<(RefKind, &'static str, usize)>,
}

/// Every problem names the request field `file` and, in its description, the line and column.
pub(super) fn parse(
    bytes: &[u8],
    first_month: Option<YearMonth>,
) -> Result<ParsedFile, Vec<FieldViolation>> {
    let problem = |text: String| FieldViolation::new("file", text);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![problem(format!(
            "not UTF-8 text (byte {} is not)",
            e.valid_up_to()
        ))]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let header = lines.next().unwrap_or_default();
    let columns = columns(header).map_err(|e| vec![problem(format!("line 1: {e}"))])?;
    let mut out = ParsedFile::default();
    let mut problems = Vec::new();
    let mut seen: HashMap<(RefKind, PriceKey), u32> = HashMap::new();
    for (n, line) in (2u32..).zip(lines) {
        if line.trim().is_empty() {
            continue;
        }
        match data_line(line, n, &columns, first_month) {
            Ok(None) => out.ignored_lines += 1,
            Ok(Some(figures)) => {
                for f in figures {
                    match seen.insert((f.kind, f.at), n) {
                        Some(earlier) => problems.push(format!(
                            "line {n}: {} of {} on base {} is already on line {earlier}",
                            f.column, f.at.month, f.at.base
                        )),
                        None => out.figures.push(f),
                    }
                }
            }
            Err(e) => problems.push(format!("line {n}: {e}")),
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if out.figures.is_empty() && problems.is_empty() {
        problems.push("no figure in the file".into());
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.into_iter().map(problem).collect())
    }
}

fn columns(header: &str) -> Result<Columns, String> {
    let names: Vec<&str> = header.split('|').map(str::trim).collect();
    let find = |name: &str| names.iter().position(|n| *n == name);
    let required = |name: &'static str| {
        find(name).ok_or_else(|| {
            format!(
                "the header has no column {name} (is this Statbel's \"CPI All base years\" file?)"
            )
        })
    };
    let mut series = vec![(RefKind::Cpi, CPI, required(CPI)?)];
    if let Some(i) = find(HEALTH) {
        series.push((RefKind::HealthIndex, HEALTH, i));
    }
    Ok(Columns {
        count: names.len(),
        year: required(YEAR)?,
        month: required(MONTH)?,
        base: required(BASE)?,
        series,
    })
}

/// The figures of one line; `None` when its month is before `first_month`.
fn data_line(
    line: &str,
    n: u32,
    c: &Columns,
    first_month: Option<YearMonth>,
) -> Result<Option<Vec<Figure>>, String> {
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    if fields.len() != c.count {
        return Err(format!(
            "{} fields, the header has {}",
            fields.len(),
            c.count
        ));
    }
    let field = |i: usize| fields.get(i).copied().unwrap_or_default();
    let year = whole(field(c.year), 1900..=2100).ok_or_else(|| bad(YEAR, field(c.year)))?;
    let month = whole(field(c.month), 1..=12).ok_or_else(|| bad(MONTH, field(c.month)))?;
    let base = whole(field(c.base), 1900..=2100).ok_or_else(|| bad(BASE, field(c.base)))?;
    let month = YearMonth::new(year as i32, month).map_err(|_| bad(MONTH, field(c.month)))?;
    if first_month.is_some_and(|first| month < first) {
        return Ok(None);
    }
    let at = PriceKey {
        month,
        base: u16::try_from(base).map_err(|_| bad(BASE, field(c.base)))?,
    };
    let mut figures = Vec::new();
    for &(kind, column, i) in &c.series {
        let text = field(i);
        // Statbel leaves a figure empty (or ".") where a base does not cover the month.
        if text.is_empty() || text == "." {
            continue;
        }
        let value = index(text).ok_or_else(|| {
            format!("column {column}: {text:?} is not an index (a positive decimal like 103.54)")
        })?;
        figures.push(Figure {
            kind,
            at,
            value,
            text: text.to_owned(),
            line: n,
            column,
        });
    }
    Ok(Some(figures))
}

fn bad(column: &str, text: &str) -> String {
    format!("column {column}: {text:?} is not valid")
}

fn whole(text: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    let digits = !text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| text.parse().ok())
        .flatten()
        .filter(|v| range.contains(v))
}

/// A positive decimal, "." or "," as separator, at most 6 significant decimals (the store's
/// precision for index values). Statbel writes every figure with 8 decimals ("95.58000000"):
/// zeros past the sixth are only the file's layout.
fn index(text: &str) -> Option<Decimal> {
    let normalised = text.replacen(',', ".", 1);
    let (whole, fraction) = normalised.split_once('.').unwrap_or((&normalised, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let significant = fraction.trim_end_matches('0');
    let well_formed = !whole.is_empty()
        && whole.len() <= 6
        && digits(whole)
        && digits(fraction)
        && fraction.len() <= 8
        && significant.len() <= 6
        && !normalised.ends_with('.');
    well_formed
        .then(|| {
            // 8 decimals are read as the figure published (two decimals for an index).
            let kept = if fraction.len() > 6 {
                format!("{significant:0<2}")
            } else {
                fraction.to_owned()
            };
            let text = if kept.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{kept}")
            };
            Decimal::from_str_exact(&text).ok()
        })
        .flatten()
        .filter(|v| *v > Decimal::ZERO)
}

#[cfg(test)]
mod tests;
