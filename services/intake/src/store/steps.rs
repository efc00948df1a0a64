//! The lifecycle table of the rules library (`secal_rules::lifecycle`) in the contract's
//! terms: every status check of a transition and `Dossier.allowed_steps` read that one table.

use secal_proto::v1 as pb;
use secal_rules::lifecycle::{self, Status, Step};
use secal_runtime::{ServiceError, ServiceResult};

use super::DossierRow;

/// `None` for DOSSIER_STATUS_UNSPECIFIED: no step starts from it. (A stored status the
/// contract does not know never gets this far: the row fails to read.)
fn status_to_rules(s: pb::DossierStatus) -> Option<Status> {
    use pb::DossierStatus as S;
    Some(match s {
        S::Unspecified => return None,
        S::Received => Status::Received,
        S::Incomplete => Status::Incomplete,
        S::Complete => Status::Complete,
        S::DebtorNotified => Status::DebtorNotified,
        S::Accepted => Status::Accepted,
        S::Refused => Status::Refused,
        S::MandateProposed => Status::MandateProposed,
        S::MandateSigned => Status::MandateSigned,
        S::Active => Status::Active,
        S::Closed => Status::Closed,
    })
}

fn status_to_pb(s: Status) -> pb::DossierStatus {
    use pb::DossierStatus as S;
    match s {
        Status::Received => S::Received,
        Status::Incomplete => S::Incomplete,
        Status::Complete => S::Complete,
        Status::DebtorNotified => S::DebtorNotified,
        Status::Accepted => S::Accepted,
        Status::Refused => S::Refused,
        Status::MandateProposed => S::MandateProposed,
        Status::MandateSigned => S::MandateSigned,
        Status::Active => S::Active,
        Status::Closed => S::Closed,
    }
}

fn step_to_pb(s: Step) -> pb::DossierStep {
    use pb::DossierStep as P;
    match s {
        Step::Complete => P::Complete,
        Step::MarkIncomplete => P::MarkIncomplete,
        Step::NotifyDebtor => P::NotifyDebtor,
        Step::Accept => P::Accept,
        Step::Refuse => P::Refuse,
        Step::ProposeMandate => P::ProposeMandate,
        Step::RecordMandateSigned => P::RecordMandateSigned,
        Step::Activate => P::Activate,
        Step::Amend => P::Amend,
        Step::Close => P::Close,
        Step::Withdraw => P::Withdraw,
    }
}

/// `Dossier.allowed_steps` for a dossier in `status`, in the order of the procedure.
pub(crate) fn allowed_steps(status: pb::DossierStatus) -> Vec<i32> {
    status_to_rules(status)
        .map(lifecycle::allowed_steps)
        .unwrap_or_default()
        .into_iter()
        .map(|s| step_to_pb(s) as i32)
        .collect()
}

/// The status `step` leads to from the row's status, or FAILED_PRECONDITION
/// LIFECYCLE_TRANSITION_REFUSED naming the current status, the step and its target status,
/// and what must come first.
pub(crate) fn require_step(row: &DossierRow, step: Step) -> ServiceResult<pb::DossierStatus> {
    let current = row.status();
    let why = match status_to_rules(current).map(|s| lifecycle::check(s, step)) {
        Some(Ok(to)) => return Ok(status_to_pb(to)),
        Some(Err(refusal)) => refusal.to_string(),
        None => "the dossier's status is unknown: no step starts from it".to_owned(),
    };
    Err(ServiceError::failed_precondition(
        "LIFECYCLE_TRANSITION_REFUSED",
        format!(
            "a dossier in status {} cannot go to {} ({}): {why}",
            current.as_str_name(),
            status_to_pb(step.transition().to).as_str_name(),
            step_to_pb(step).as_str_name(),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_status_and_step_maps_to_and_from_the_rules() {
        for s in Status::ALL {
            assert_eq!(status_to_rules(status_to_pb(s)), Some(s));
        }
        assert_eq!(status_to_rules(pb::DossierStatus::Unspecified), None);
        // The contract's step numbers follow the order of the procedure.
        let numbers: Vec<i32> = Step::ALL.iter().map(|s| step_to_pb(*s) as i32).collect();
        assert_eq!(numbers, (1..=11).collect::<Vec<_>>());
    }

    #[test]
    fn an_accepted_dossier_may_propose_the_mandate_or_withdraw() {
        use pb::DossierStep as P;
        assert_eq!(
            allowed_steps(pb::DossierStatus::Accepted),
            [P::ProposeMandate as i32, P::Withdraw as i32]
        );
        assert!(allowed_steps(pb::DossierStatus::Unspecified).is_empty());
    }
}
