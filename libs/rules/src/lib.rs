//! The rules engine of maintenance claims (DOMAIN.md, "Calculations" and "House decisions").
//!
//! Pure functions: plain values in, plain values out, no I/O. Every figure that changes over
//! time comes from a [`ReferenceTable`] ("the value in force on date D"); a value that is not
//! there is a [`RuleError::MissingReference`], never a zero. Every result carries an
//! [`Explanation`]: the rules applied, in order, with the figures they produced and the
//! reference values they used, so a case officer can check the calculation by hand.
//!
//! Rounding to the cent (half away from zero) happens once per figure a rule shows.
//!
//! The rules the payments service applies to its ledger ([`allocation`], [`payment_plan`],
//! [`payout_holder`]) work in cents and carry no explanation: the service stores what they
//! decided (and the allocation order's version) instead.
//!
//! Within the arrears rules the dependencies go one way: [`arrears`] → [`interest`] →
//! [`prescription`] → the crate's ledger (the worked-out lines of a case) → [`claim`] (the
//! case itself).

pub mod admissibility;
pub mod advances;
pub mod allocation;
pub mod arrears;
pub mod claim;
pub mod dates;
pub mod error;
pub mod explain;
pub mod indexation;
pub mod interest;
mod ledger;
pub mod lifecycle;
pub mod payment_plan;
pub mod payout_holder;
pub mod prescription;
pub mod reference;
pub mod seizable;
pub mod surcharge;
mod text;

pub use error::{RuleError, Violation};
pub use explain::{Detail, Explainer, Explanation, Rule, Step};
pub use reference::{
    RefKind, RefPayload, RefValue, ReferenceTable, SeizureBrackets, SurchargeRule,
};
