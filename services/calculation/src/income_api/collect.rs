//! Gathers every problem of a request — the ones found while reading it from the wire and the
//! ones the rules find — so that the client hears about all of them at once.

use secal_rules::RuleError;
use secal_runtime::{FieldViolation, ServiceError, ServiceResult};

#[derive(Debug, Default)]
pub(super) struct Collector {
    violations: Vec<FieldViolation>,
}

impl Collector {
    pub fn new() -> Self {
        Self::default()
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
    /// was replaced by a stand-in: what the rules say about it (or inside it) is left out.
    pub fn merge_rules(&mut self, prefix: &str, checked: Result<(), RuleError>) {
        let Err(RuleError::Invalid(found)) = checked else {
            return;
        };
        let unreadable: Vec<String> = self.violations.iter().map(|v| v.field.clone()).collect();
        for v in found {
            let field = join(prefix, &v.field);
            let about_unreadable = unreadable.iter().any(|u| {
                field == *u
                    || field
                        .strip_prefix(u.as_str())
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            });
            if !about_unreadable {
                self.violations.push(FieldViolation::new(field, v.reason));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    pub fn into_violations(self) -> Vec<FieldViolation> {
        self.violations
    }

    /// `Ok` when nothing was recorded, else INVALID_ARGUMENT naming every field.
    pub fn finish(self) -> ServiceResult<()> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::invalid(self.violations))
        }
    }
}

/// `prefix.field`, or `field` at the request's top level.
pub(super) fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}
