//! Totals of lines: each figure the sum of the rounded line figures, per calendar year of the
//! lines' months and overall.

use std::collections::BTreeMap;

use secal_domain::Money;

use super::{ArrearsLine, CreditorArrears, LineStatus, YearTotal};

/// Totals of a set of lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub due: Money,
    pub paid: Money,
    pub unpaid: Money,
    /// Unpaid amounts of time-barred lines.
    pub time_barred: Money,
    /// unpaid − time_barred.
    pub claimable: Money,
    pub interest: Money,
}

impl Totals {
    fn add_line(&mut self, l: &ArrearsLine) {
        self.due += l.due;
        self.paid += l.paid;
        self.unpaid += l.unpaid;
        if l.status == LineStatus::TimeBarred {
            self.time_barred += l.unpaid;
        } else {
            self.claimable += l.unpaid;
        }
        self.interest += l.interest;
    }

    fn add(&mut self, o: &Totals) {
        self.due += o.due;
        self.paid += o.paid;
        self.unpaid += o.unpaid;
        self.time_barred += o.time_barred;
        self.claimable += o.claimable;
        self.interest += o.interest;
    }

    pub(super) fn describe(&self, lines: usize) -> String {
        format!(
            "{lines} lines: due {}, paid {}, unpaid {}, time-barred {}, claimable {}, \
             interest {}",
            self.due, self.paid, self.unpaid, self.time_barred, self.claimable, self.interest
        )
    }
}

fn years(map: BTreeMap<i32, Totals>) -> Vec<YearTotal> {
    map.into_iter()
        .map(|(year, totals)| YearTotal { year, totals })
        .collect()
}

pub(super) fn of_lines(lines: &[ArrearsLine]) -> (Vec<YearTotal>, Totals) {
    let mut by_year: BTreeMap<i32, Totals> = BTreeMap::new();
    let mut all = Totals::default();
    for l in lines {
        by_year.entry(l.month.year()).or_default().add_line(l);
        all.add_line(l);
    }
    (years(by_year), all)
}

pub(super) fn of_creditors(creditors: &[CreditorArrears]) -> (Vec<YearTotal>, Totals) {
    let mut by_year: BTreeMap<i32, Totals> = BTreeMap::new();
    let mut all = Totals::default();
    for c in creditors {
        for y in &c.year_totals {
            by_year.entry(y.year).or_default().add(&y.totals);
        }
        all.add(&c.totals);
    }
    (years(by_year), all)
}
