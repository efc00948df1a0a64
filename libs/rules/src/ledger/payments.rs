//! Payments in the pass: applying each one to the lines and the acknowledgement it is.

use std::fmt::Write;

use chrono::NaiveDate;
use secal_domain::Money;

use super::{PAYMENT_APPLIED, PAYMENT_NOT_COUNTED, Source, YEARS, plus_years};
use super::{PAYMENT_BARRED, PAYMENT_CLEARED, Pass};
use crate::{
    claim::{Payment, PaymentApplication, PaymentPart},
    explain::Explainer,
};

impl Pass<'_> {
    pub(super) fn payment(&mut self, p: usize, ex: &mut Explainer) -> PaymentApplication {
        let pay = &self.case.payments[p];
        let creditor = pay
            .creditor_id
            .as_deref()
            .and_then(|id| self.creditor_of.get(id).copied());
        let mut remaining = pay.amount;
        // Lines before it were fully paid before this payment: its acknowledgement skips them.
        let first_open = self.cursor;
        let mut touched: Vec<(usize, Money)> = Vec::new();
        if let Some(month) = pay.for_month {
            // The debtor's right to say which debt he pays: that month only. A month not due
            // on A has no line yet, so the payment stays a prepayment for it (unapplied) and
            // never pays older months.
            let creditors = match creditor {
                Some(c) => c..c + 1,
                None => 0..self.creditor_of.len(),
            };
            for c in creditors {
                if let Some(&i) = self.index.get(&(c, month)) {
                    self.apply(i, p, &mut remaining, &mut touched);
                }
            }
        } else {
            let mut i = self.cursor;
            while remaining.is_positive() && i < self.lines.len() {
                if creditor.is_none_or(|c| self.lines[i].creditor == c) {
                    self.apply(i, p, &mut remaining, &mut touched);
                }
                i += 1;
            }
        }
        while self
            .lines
            .get(self.cursor)
            .is_some_and(|l| !l.unpaid().is_positive())
        {
            self.cursor += 1;
        }
        let app = self.application(p, &touched, remaining);
        let step = ex.step(
            PAYMENT_APPLIED,
            pay.id.as_str(),
            || describe_application(pay, &app),
            Some((pay.amount - remaining).to_string()),
            &[],
        );
        for &(i, _) in &touched {
            self.lines[i].cite(step.clone());
        }
        self.acknowledge(p, creditor, first_open);
        app
    }

    fn apply(
        &mut self,
        i: usize,
        p: usize,
        remaining: &mut Money,
        touched: &mut Vec<(usize, Money)>,
    ) {
        let line = &mut self.lines[i];
        let amount = (*remaining).min(line.unpaid());
        if amount.is_positive() {
            let date = self.case.payments[p].paid_on;
            line.pay(amount);
            line.parts.push((date, amount));
            line.last_paid_by = Some(p);
            *remaining -= amount;
            touched.push((i, amount));
        }
    }

    /// A payment acknowledges what is still owed after it (house rule).
    fn acknowledge(&mut self, p: usize, creditor: Option<usize>, first_open: usize) {
        let paid_on = self.case.payments[p].paid_on;
        let proposed = plus_years(paid_on, YEARS);
        for line in &mut self.lines[first_open..] {
            if line.month.first_day() > paid_on {
                break;
            }
            if creditor.is_some_and(|c| line.creditor != c) || line.due_date > paid_on {
                continue;
            }
            let open = line.unpaid().is_positive();
            if !open && line.last_paid_by != Some(p) {
                continue;
            }
            let blocked = if line.limitation.barred_on(paid_on) {
                Some(PAYMENT_BARRED)
            } else if !open {
                Some(PAYMENT_CLEARED)
            } else {
                None
            };
            if blocked.is_none() || self.record {
                line.limitation.consider(
                    self.case,
                    Source::Payment(p),
                    proposed,
                    blocked,
                    self.record,
                );
            }
        }
    }

    fn application(
        &self,
        p: usize,
        touched: &[(usize, Money)],
        unapplied: Money,
    ) -> PaymentApplication {
        let pay = &self.case.payments[p];
        let parts = touched
            .iter()
            .map(|&(i, amount)| {
                let line = &self.lines[i];
                PaymentPart {
                    creditor_id: self.case.title.creditors[line.creditor].id.clone(),
                    month: line.month,
                    line_kind: line.kind,
                    amount,
                }
            })
            .collect();
        PaymentApplication {
            payment_id: pay.id.clone(),
            amount: pay.amount,
            parts,
            unapplied,
            counted: true,
        }
    }
}

fn describe_application(pay: &Payment, app: &PaymentApplication) -> String {
    let mut out = String::with_capacity(64 + 24 * app.parts.len());
    let _ = write!(out, "{} paid on {}", pay.amount, pay.paid_on);
    if let Some(m) = pay.for_month {
        let _ = write!(out, ", for {m}");
    }
    if let Some(c) = &pay.creditor_id {
        let _ = write!(out, ", for creditor {c}");
    }
    out.push(':');
    for part in &app.parts {
        let _ = write!(out, " {} {} {};", part.creditor_id, part.month, part.amount);
    }
    let _ = write!(out, " unapplied {}", app.unapplied);
    out
}

pub(super) fn not_counted(
    pay: &Payment,
    as_of: NaiveDate,
    ex: &mut Explainer,
) -> PaymentApplication {
    ex.step(
        PAYMENT_NOT_COUNTED,
        pay.id.as_str(),
        || format!("paid on {}, after {as_of}: not counted", pay.paid_on),
        None,
        &[],
    );
    PaymentApplication {
        payment_id: pay.id.clone(),
        amount: pay.amount,
        parts: Vec::new(),
        unapplied: Money::ZERO,
        counted: false,
    }
}
