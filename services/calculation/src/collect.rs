//! Gathers every problem of a request — the fields that could not be read from the wire and
//! what the rules find — so that the client hears about all of them at once. Shared by the
//! arrears and income APIs.

use std::collections::HashSet;

use secal_rules::RuleError;
use secal_runtime::{FieldViolation, ServiceResult, Violations};

#[derive(Debug, Default)]
pub(crate) struct Collector {
    violations: Vec<FieldViolation>,
    /// Whether an unreadable field silences the rules about its whole list entry (arrears:
    /// an entry's stand-in makes its other fields meaningless) or about that field only.
    per_entry: bool,
}

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }

    /// A collector for requests whose list entries hold stand-ins as a whole.
    pub fn per_entry() -> Self {
        Self {
            per_entry: true,
            ..Self::default()
        }
    }

    /// The value, or `None` with its violations recorded.
    pub fn take<T>(&mut self, result: ServiceResult<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                if e.violations().is_empty() {
                    self.push("", e.message());
                } else {
                    self.violations.extend(e.violations().iter().cloned());
                }
                None
            }
        }
    }

    /// Like [`Collector::take`], with a stand-in so that the rest of the request can still be
    /// checked; the stand-in is never computed on, since the request is then refused.
    pub fn take_or<T>(&mut self, result: ServiceResult<T>, stand_in: T) -> T {
        self.take(result).unwrap_or(stand_in)
    }

    pub fn push(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations
            .push(FieldViolation::new(field, description));
    }

    /// Adds the rules' violations, named relative to `prefix`. A field that could not be read
    /// holds a stand-in: what the rules say about it (or, `per_entry`, about its list entry)
    /// is left out.
    pub fn merge_rules(&mut self, prefix: &str, checked: Result<(), RuleError>) {
        let Err(RuleError::Invalid(found)) = checked else {
            return;
        };
        // A set, and each finding's own prefixes looked up in it: a request of 100,000 bad
        // entries has as many findings as unreadable fields, and comparing each with each
        // kept a server thread busy for minutes.
        let unreadable: HashSet<String> = self
            .violations
            .iter()
            .map(|v| {
                if self.per_entry {
                    entry(&v.field).to_owned()
                } else {
                    v.field.clone()
                }
            })
            .collect();
        for v in found {
            let field = join(prefix, &v.field);
            // The field itself, or a part of it ending before a `.` or a `[`.
            let about_unreadable = unreadable.contains(&field)
                || field
                    .match_indices(['.', '['])
                    .any(|(i, _)| unreadable.contains(&field[..i]));
            if !about_unreadable {
                self.violations.push(FieldViolation::new(field, v.reason));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// What was recorded, in order (a batch item reports them as its own).
    pub fn into_violations(self) -> Vec<FieldViolation> {
        self.violations
    }

    /// The request's command when nothing was recorded, else INVALID_ARGUMENT naming every
    /// field: the recorded problems go to the request's one [`Violations`] builder.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> ServiceResult<T> {
        let mut all = Violations::new();
        for v in self.violations {
            all.add(v.field, v.description);
        }
        all.finish(build)
    }
}

/// The list entry a field belongs to (`a.payments[3].amount` → `a.payments[3]`), or the field
/// itself outside lists.
fn entry(field: &str) -> &str {
    match field.find(']') {
        Some(i) => &field[..=i],
        None => field,
    }
}

/// `prefix.field`, or `field` at the request's top level.
pub(crate) fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secal_rules::Violation;

    #[test]
    fn what_the_rules_say_about_an_unreadable_entry_is_left_out() {
        let mut col = Collector::per_entry();
        col.push("arrears_case.payments[1].paid_on", "not a calendar date");
        col.merge_rules(
            "arrears_case",
            Err(RuleError::Invalid(vec![
                Violation::new("payments[1].amount", "must be positive"),
                Violation::new("payments[10].amount", "must be positive"),
                Violation::new("title.due_day", "must be between 1 and 31"),
            ])),
        );
        let err = col.finish(|| Some(())).unwrap_err();
        let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "arrears_case.payments[1].paid_on",
                "arrears_case.payments[10].amount",
                "arrears_case.title.due_day",
            ]
        );
    }
}
