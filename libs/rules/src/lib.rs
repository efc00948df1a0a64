//! The rules engine of maintenance claims (DOMAIN.md, "Calculations" and "House decisions").
//!
//! Pure functions: plain values in, plain values out, no I/O. Every figure that changes over
//! time comes from a [`ReferenceTable`] ("the value in force on date D"); a value that is not
//! there is a [`RuleError::MissingReference`], never a zero. Every result carries an
//! [`Explanation`]: the rules applied, in order, with the figures they produced and the
//! reference values they used, so a case officer can check the calculation by hand.
//!
//! Rounding to the cent (half away from zero) happens once per figure a rule shows.

pub mod admissibility;
pub mod advances;
pub mod arrears;
pub mod dates;
pub mod error;
pub mod explain;
pub mod indexation;
pub mod interest;
pub mod lifecycle;
pub mod prescription;
pub mod reference;
pub mod seizable;
pub mod surcharge;

pub use error::{RuleError, Violation};
pub use explain::{Detail, Explainer, Explanation, Rule, Step};
pub use reference::{
    RefKind, RefPayload, RefValue, ReferenceTable, SeizureBrackets, SurchargeRule,
};
