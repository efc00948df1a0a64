//! Who may hold the account a payout goes to (DOMAIN.md, frame 5 of the application): money
//! goes only to an account in the applicant's name, alone or jointly, or in the name of the
//! lawyer the applicant authorised.
//!
//! - `PAYOUT_HOLDER_APPLICANT`: a sole or joint account must name the applicant (the family
//!   name the dossier knows).
//! - `PAYOUT_HOLDER_LAWYER`: a lawyer's account must name the lawyer of the authorisation.
//!
//! Banks write holder names their own way ("DUPONT MARIE", "Mme Marie Dupont-Lambert", no
//! accents), so the name is compared word by word, ignoring case, accents and punctuation
//! ([`secal_domain::holder_names`]): every word of the name must be a word of the holder.
//! An empty name names no one, so a missing applicant or lawyer refuses the account.

use crate::explain::Rule;

const FRAME_5: &str = "application form, frame 5 (payout account)";

pub const PAYOUT_HOLDER_APPLICANT: Rule = Rule {
    id: "PAYOUT_HOLDER_APPLICANT",
    legal_basis: FRAME_5,
};
pub const PAYOUT_HOLDER_LAWYER: Rule = Rule {
    id: "PAYOUT_HOLDER_LAWYER",
    legal_basis: FRAME_5,
};

/// How the account is held, as the applicant declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// In the applicant's name alone.
    Sole,
    /// In the applicant's name with someone else's.
    Joint,
    /// In the name of the lawyer the applicant authorised.
    Lawyer,
}

/// Why an account may not be paid to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotTheApplicant,
    NotTheLawyer,
}

impl Refusal {
    /// The rule the account fails.
    pub fn rule(self) -> Rule {
        match self {
            Refusal::NotTheApplicant => PAYOUT_HOLDER_APPLICANT,
            Refusal::NotTheLawyer => PAYOUT_HOLDER_LAWYER,
        }
    }

    /// What the holder's name must be, as a field violation says it.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NotTheApplicant => "must be the applicant's name (alone or jointly)",
            Refusal::NotTheLawyer => "must be the name of the lawyer the applicant authorised",
        }
    }
}

/// Why an account held by `holder` under `holding` may not be paid to for `applicant` (the
/// family name) or, for a lawyer's account, the authorised `lawyer`; `None` when it may.
pub fn refusal(holder: &str, holding: Holding, lawyer: &str, applicant: &str) -> Option<Refusal> {
    match holding {
        Holding::Lawyer => {
            (!secal_domain::holder_names(holder, lawyer)).then_some(Refusal::NotTheLawyer)
        }
        Holding::Sole | Holding::Joint => {
            (!secal_domain::holder_names(holder, applicant)).then_some(Refusal::NotTheApplicant)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_applicant_alone_or_jointly_as_the_bank_writes_it() {
        assert_eq!(refusal("DUPONT MARIE", Holding::Sole, "", "Dupont"), None);
        assert_eq!(
            refusal("M. et Mme Martin / Dupont", Holding::Joint, "", "Dupont"),
            None
        );
        assert_eq!(
            refusal("Desiree Peeters", Holding::Sole, "", "Désirée PEETERS"),
            None
        );
    }

    #[test]
    fn someone_else_than_the_applicant_is_refused() {
        for (holder, applicant) in [
            ("Jean Voisin", "Dupont"),
            ("Marie Dupontel", "Dupont"),
            ("Marie Dupont", ""),
        ] {
            let r = refusal(holder, Holding::Joint, "Dupont", applicant);
            assert_eq!(
                r,
                Some(Refusal::NotTheApplicant),
                "{holder} for {applicant:?}"
            );
        }
        let r = refusal("Jean Voisin", Holding::Sole, "", "Dupont");
        assert_eq!(r.map(Refusal::rule), Some(PAYOUT_HOLDER_APPLICANT));
    }

    #[test]
    fn a_lawyers_account_names_the_authorised_lawyer_not_the_applicant() {
        assert_eq!(
            refusal("Maître LEJEUNE", Holding::Lawyer, "Lejeune", "Dupont"),
            None
        );
        let r = refusal("Marie Dupont", Holding::Lawyer, "Lejeune", "Dupont");
        assert_eq!(r, Some(Refusal::NotTheLawyer));
        assert_eq!(r.map(Refusal::rule), Some(PAYOUT_HOLDER_LAWYER));
        let no_lawyer = refusal("Maître LEJEUNE", Holding::Lawyer, "", "Dupont");
        assert_eq!(no_lawyer, Some(Refusal::NotTheLawyer));
    }
}
