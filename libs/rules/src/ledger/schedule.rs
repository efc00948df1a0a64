//! The lines of a table: each creditor's instalments due strictly before the calculation
//! date, with a judgment's lump sum in place of the months it covers.

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};

use super::{INSTALMENT_DUE, JUDGMENT_LUMP_SUM, Limitation, Line};
use crate::{
    claim::{ArrearsCase, LineKind, TitleCreditor},
    dates,
    error::RuleError,
    explain::Explainer,
    indexation::{AmountPeriod, AmountRule, IndexedAmount},
    reference::ReferenceTable,
    text,
};

/// The title's due day as the date rules take it (validated to 0..=31; 0 means 1).
pub(super) fn due_day(raw: i32) -> u32 {
    u32::try_from(raw).unwrap_or(1).clamp(1, 31)
}

/// The last month whose instalment falls due strictly before `as_of`.
pub(crate) fn last_due_month(as_of: NaiveDate, due_day: u32) -> Option<YearMonth> {
    let month = YearMonth::from_date(as_of).ok()?;
    if dates::due_date(month, due_day) < as_of {
        Some(month)
    } else {
        month.prev()
    }
}

/// The creditor's months counted on `as_of`, first and last; `None` when there are none.
pub(super) fn months(
    c: &TitleCreditor,
    as_of: NaiveDate,
    due_day: u32,
) -> Option<(YearMonth, YearMonth)> {
    let due_by = last_due_month(as_of, due_day)?;
    let last = c.last_month.map_or(due_by, |l| l.min(due_by));
    (last >= c.first_month).then_some((c.first_month, last))
}

/// Last month of the `i`-th period: its own, or the month before the next period starts
/// (as [`AmountRule::amount_for`] reads a schedule).
fn period_end(periods: &[AmountPeriod], i: usize) -> Option<YearMonth> {
    let p = periods.get(i)?;
    p.last
        .or_else(|| periods.get(i + 1).and_then(|n| n.first.prev()))
}

fn period_index(periods: &[AmountPeriod], month: YearMonth) -> Option<usize> {
    (0..periods.len())
        .find(|&i| periods[i].first <= month && period_end(periods, i).is_none_or(|e| month <= e))
}

/// The first month of `first..=last` no period of a (valid) schedule gives an amount for.
pub(super) fn first_uncovered(
    periods: &[AmountPeriod],
    first: YearMonth,
    last: YearMonth,
) -> Option<YearMonth> {
    let mut month = first;
    loop {
        let Some(i) = period_index(periods, month) else {
            return Some(month);
        };
        match period_end(periods, i) {
            Some(end) if end < last => month = end.next()?,
            _ => return None,
        }
    }
}

/// Months sharing one amount: one explicit period, or one CPI adjustment year. Cheap, as it
/// runs for every line: a (valid) schedule's periods are ordered, so the candidate is the
/// last one starting by `month`.
fn amount_group(rule: &AmountRule, month: YearMonth) -> i64 {
    match rule {
        AmountRule::Cpi(c) if month < c.first_adjustment_month => -1,
        AmountRule::Cpi(c) => i64::from(month.months_since(c.first_adjustment_month) / 12),
        AmountRule::Explicit(periods) => {
            let i = periods.partition_point(|p| p.first <= month);
            match i
                .checked_sub(1)
                .and_then(|k| periods.get(k).map(|p| (k, p)))
            {
                Some((k, p)) if p.last.is_none_or(|l| month <= l) => k as i64,
                _ => -2,
            }
        }
    }
}

/// One creditor's part of the table while it is built.
struct Part<'c> {
    creditor: &'c TitleCreditor,
    months: Option<(YearMonth, YearMonth)>,
    /// (the line's month, judgment) of the lump sums in force.
    lump_sums: Vec<(YearMonth, usize)>,
    /// One amount (and its text) per explicit period or CPI year, not one per month.
    amount: Option<(i64, IndexedAmount, String)>,
}

/// Every line of the table, oldest month first, creditors in title order on a month.
pub(super) fn build(
    case: &ArrearsCase,
    as_of: NaiveDate,
    refs: &ReferenceTable,
    ex: &mut Explainer,
) -> Result<Vec<Line>, RuleError> {
    let due_day = due_day(case.title.due_day);
    let mut parts = Vec::with_capacity(case.title.creditors.len());
    let mut span: Option<(YearMonth, YearMonth)> = None;
    let mut widen = |first: YearMonth, last: YearMonth| {
        span = Some(span.map_or((first, last), |(f, l)| (f.min(first), l.max(last))));
    };
    let mut count = 0;
    for creditor in &case.title.creditors {
        let lump_sums: Vec<(YearMonth, usize)> = (0..case.judgments.len())
            .filter(|&j| {
                let jd = &case.judgments[j];
                jd.creditor_id == creditor.id && jd.lump_sum.is_some() && jd.date < as_of
            })
            .map(|j| (lump_sum_month(case, j), j))
            .collect();
        let months = months(creditor, as_of, due_day);
        if let Some((first, last)) = months {
            widen(first, last);
            count += usize::try_from(last.months_since(first) + 1).unwrap_or(0);
        }
        for &(m, _) in &lump_sums {
            widen(m, m);
        }
        parts.push(Part {
            creditor,
            months,
            lump_sums,
            amount: None,
        });
    }
    let Some((from, to)) = span else {
        return Ok(Vec::new());
    };
    let mut lines = Vec::with_capacity(count);
    for month in from.iter_to(to) {
        for (c, part) in parts.iter_mut().enumerate() {
            for &(m, j) in &part.lump_sums {
                if m == month {
                    lines.push(lump_sum_line(case, c, j, ex));
                }
            }
            let counted = part
                .months
                .is_some_and(|(first, last)| first <= month && month <= last);
            let replaced = part
                .lump_sums
                .iter()
                .any(|&(_, j)| case.judgments[j].covered.contains(month));
            if counted && !replaced {
                lines.push(instalment(c, part, month, due_day, as_of, refs, ex)?);
            }
        }
    }
    Ok(lines)
}

fn instalment(
    c: usize,
    part: &mut Part<'_>,
    month: YearMonth,
    due_day: u32,
    as_of: NaiveDate,
    refs: &ReferenceTable,
    ex: &mut Explainer,
) -> Result<Line, RuleError> {
    let creditor = part.creditor;
    let group = amount_group(&creditor.amount, month);
    let (indexed, amount_text) = match part.amount.take() {
        Some((g, a, t)) if g == group => (a, t),
        _ => {
            let a = creditor.amount.amount_for(month, refs, ex, &creditor.id)?;
            let t = a.amount.to_string();
            (a, t)
        }
    };
    let due_date = dates::due_date(month, due_day);
    let subject = text::subject(&creditor.id, month);
    let step = ex.step(
        INSTALMENT_DUE,
        subject.clone(),
        || {
            let mut d = String::with_capacity(96);
            text::push_month(&mut d, month);
            d.push_str(" falls due on ");
            text::push_date(&mut d, due_date);
            d.push_str(" (due day ");
            d.push_str(&due_day.to_string());
            d.push_str("), before ");
            text::push_date(&mut d, as_of);
            d.push_str(": ");
            d.push_str(&amount_text);
            d.push_str(" (amount: step ");
            d.push_str(&indexed.step_id);
            d.push(')');
            d
        },
        Some(amount_text.clone()),
        &[],
    );
    let line = Line::new(
        c,
        LineKind::Instalment,
        month,
        due_date,
        indexed.amount,
        subject,
        [indexed.step_id.clone(), step],
    );
    part.amount = Some((group, indexed, amount_text));
    Ok(line)
}

fn lump_sum_month(case: &ArrearsCase, j: usize) -> YearMonth {
    let covered = &case.judgments[j].covered;
    covered.last.unwrap_or(covered.first)
}

fn lump_sum_line(case: &ArrearsCase, c: usize, j: usize, ex: &mut Explainer) -> Line {
    let jd = &case.judgments[j];
    let month = lump_sum_month(case, j);
    let sum = jd.lump_sum.unwrap_or(Money::ZERO);
    let subject = text::subject(&jd.creditor_id, month);
    let step = ex.step(
        JUDGMENT_LUMP_SUM,
        subject.clone(),
        || {
            format!(
                "judgment {} of {} fixed the arrears of {} at {sum}, due on the judgment's date",
                jd.id, jd.date, jd.covered
            )
        },
        Some(sum.to_string()),
        &[],
    );
    let mut line = Line::new(
        c,
        LineKind::JudgmentLumpSum,
        month,
        jd.date,
        sum,
        subject,
        [step],
    );
    line.lump_sum_of = Some(j);
    line.limitation = Limitation::from_judgment(j, jd.date);
    line
}
