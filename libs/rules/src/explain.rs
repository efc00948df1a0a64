//! Explanations: the worked calculation behind a result. Each rule module declares its
//! [`Rule`]s as constants (id + legal basis); results refer to the steps by id.

use std::collections::HashSet;

use crate::reference::RefValue;

/// A rule of the engine: a stable id (documented in the module that applies it) and its
/// legal basis, or "house rule" for a choice written down in DOMAIN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub legal_basis: &'static str,
}

/// One application of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// "s1", "s2", … unique within the explanation.
    pub id: String,
    pub rule: Rule,
    /// What the rule did, in words and figures; empty for compact explanations.
    pub detail: String,
    /// What the step is about (e.g. "c1 2004-09"); empty for the whole result.
    pub subject: String,
    /// The figure the step produced, if any.
    pub result: Option<String>,
    /// Ids of the reference values used.
    pub reference_ids: Vec<String>,
}

/// The rules applied, in order, and every reference value used, once each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explanation {
    pub steps: Vec<Step>,
    pub references: Vec<RefValue>,
}

/// How much an [`Explainer`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Every step, with its detail in words and figures.
    #[default]
    Full,
    /// Every step, details left empty (batch calls).
    Steps,
    /// Only the steps about the whole result (empty subject); every reference value used is
    /// still recorded, so the figures stay cited.
    Summary,
}

/// Builds an [`Explanation`] while a rule runs.
#[derive(Debug, Default)]
pub struct Explainer {
    detail: Detail,
    steps: Vec<Step>,
    references: Vec<RefValue>,
    seen: HashSet<String>,
}

impl Explainer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Details are left empty (batch calls); ids, results and references are kept.
    pub fn compact() -> Self {
        Self::with_detail(Detail::Steps)
    }

    pub fn with_detail(detail: Detail) -> Self {
        Self {
            detail,
            ..Self::default()
        }
    }

    /// Records a step and returns its id, or an empty id when the step is not recorded
    /// (a step about part of the result under [`Detail::Summary`]); callers keep only
    /// non-empty ids. `detail` is only evaluated for full explanations.
    pub fn step(
        &mut self,
        rule: Rule,
        subject: impl Into<String>,
        detail: impl FnOnce() -> String,
        result: Option<String>,
        references: &[&RefValue],
    ) -> String {
        for r in references {
            if !self.seen.contains(&r.id) {
                self.seen.insert(r.id.clone());
                self.references.push((*r).clone());
            }
        }
        let subject = subject.into();
        if self.detail == Detail::Summary && !subject.is_empty() {
            return String::new();
        }
        let id = format!("s{}", self.steps.len() + 1);
        self.steps.push(Step {
            id: id.clone(),
            rule,
            detail: match self.detail {
                Detail::Full => detail(),
                Detail::Steps | Detail::Summary => String::new(),
            },
            subject,
            result,
            reference_ids: references.iter().map(|r| r.id.clone()).collect(),
        });
        id
    }

    pub fn finish(self) -> Explanation {
        Explanation {
            steps: self.steps,
            references: self.references,
        }
    }
}
