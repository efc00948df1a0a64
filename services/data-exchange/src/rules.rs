//! The access rules of deliberation CSSS/12/205, checked in AccessRule order. The first that
//! fails refuses the look-up; the refusal names it.

use secal_domain::NationalNumber;
use secal_proto::v1::{self as pb, AccessRule, LookupPurpose};
use secal_runtime::{
    Caller,
    auth::PrincipalKind,
    roles::{INCOME_LOOKUP, REGISTRAR},
};

use crate::{
    intake::DossierFacts,
    rate_limit::{RateLimiter, Volume},
};

#[derive(Debug, Clone)]
pub struct Refusal {
    pub rule: AccessRule,
    pub message: &'static str,
}

fn refuse(rule: AccessRule, message: &'static str) -> Refusal {
    Refusal { rule, message }
}

/// Rules 1 to 4: who calls, why, and about exactly one person.
pub fn caller_purpose_subject(
    caller: &Caller,
    purpose: i32,
    subject: Option<&pb::NationalNumber>,
) -> Result<NationalNumber, Refusal> {
    let actor = caller.actor();
    if actor.kind != PrincipalKind::Agent || !actor.has_role(INCOME_LOOKUP) {
        return Err(refuse(
            AccessRule::LookupRoleRequired,
            "only an agent with the income-lookup role may look incomes up",
        ));
    }
    let tokens = std::iter::once(&caller.principal).chain(caller.on_behalf_of.as_ref());
    if tokens
        .into_iter()
        .any(|p| p.has_role(REGISTRAR) && p.has_role(INCOME_LOOKUP))
    {
        return Err(refuse(
            AccessRule::ConflictingRoles,
            "a token may not carry both the registering and the look-up roles",
        ));
    }
    let lawful = matches!(
        LookupPurpose::try_from(purpose),
        Ok(LookupPurpose::GrantAdvances
            | LookupPurpose::RecoverAdvances
            | LookupPurpose::PaymentFacilitiesOrSuspension
            | LookupPurpose::RecoveryStrategy
            | LookupPurpose::EndOfIntervention)
    );
    if !lawful {
        return Err(refuse(
            AccessRule::PurposeRequired,
            "a lawful purpose is required",
        ));
    }
    subject
        .map(|s| s.value.trim())
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse::<NationalNumber>().ok())
        .ok_or_else(|| {
            refuse(
                AccessRule::OnePersonPerRequest,
                "exactly one valid national number is required (no bulk or wildcard look-ups)",
            )
        })
}

/// Rule 11 on the request: an application not yet an active dossier is looked at only to
/// grant advances (seed 003: the applicant's means); the recovery purposes need an active
/// dossier.
pub fn application_purpose() -> Refusal {
    refuse(
        AccessRule::ApplicationOnlyForAdvances,
        "an application not yet an active dossier is looked at only to grant advances",
    )
}

/// Rules 5 to 8 (11 for an application): what intake says about the dossier on the day.
pub fn dossier(facts: &DossierFacts, agent: &str) -> Result<(), Refusal> {
    if facts.by_application && !facts.party_in_active_dossier {
        return Err(refuse(
            AccessRule::ApplicationOnlyForAdvances,
            "on an application under way, only its applicant may be looked up",
        ));
    }
    if !facts.party_in_active_dossier {
        return Err(if facts.party_to_dossier {
            refuse(
                AccessRule::DossierNotActive,
                "the dossier is not active at the time of the request",
            )
        } else {
            refuse(
                AccessRule::NotPartyToDossier,
                "the person is not a creditor or debtor of the dossier",
            )
        });
    }
    if !facts.agent_assigned_for_lookups {
        return Err(refuse(
            AccessRule::AgentNotAssigned,
            "the agent is not assigned to the dossier for income look-ups",
        ));
    }
    if facts.registered_by.iter().any(|a| a == agent) {
        return Err(refuse(
            AccessRule::RegistrarCannotLookUp,
            "the agent who registered the person may not look the person up",
        ));
    }
    Ok(())
}

/// Rule 9: the agent's volume. Ok(true) when granted but flagged as unusual.
pub fn volume(
    limiter: &RateLimiter,
    agent: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, Refusal> {
    match limiter.check(agent, now) {
        Volume::Usual => Ok(false),
        Volume::Unusual => {
            tracing::warn!("unusual look-up volume for an agent");
            Ok(true)
        }
        Volume::OverLimit => Err(refuse(
            AccessRule::RateLimit,
            "the agent's look-up limit for the hour is exhausted",
        )),
    }
}
