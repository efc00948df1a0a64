use std::collections::HashSet;

use super::*;
use Status as S;

/// The statuses each step started from when every call site listed its own (the contract's
/// RPC comments say the same).
fn as_before(step: Step) -> (Vec<Status>, Status) {
    match step {
        Step::Complete => (vec![S::Incomplete], S::Complete),
        Step::MarkIncomplete => (vec![S::Complete], S::Incomplete),
        Step::NotifyDebtor => (vec![S::Complete], S::DebtorNotified),
        Step::Accept => (vec![S::DebtorNotified], S::Accepted),
        Step::Refuse => (vec![S::Complete, S::DebtorNotified], S::Refused),
        Step::ProposeMandate => (vec![S::Accepted], S::MandateProposed),
        Step::RecordMandateSigned => (vec![S::MandateProposed], S::MandateSigned),
        Step::Activate => (vec![S::MandateSigned], S::Active),
        Step::Amend => (vec![S::Active], S::Active),
        Step::Close => (vec![S::Active], S::Closed),
        Step::Withdraw => (
            vec![
                S::Incomplete,
                S::Complete,
                S::DebtorNotified,
                S::Accepted,
                S::MandateProposed,
                S::MandateSigned,
                S::Active,
            ],
            S::Closed,
        ),
    }
}

#[test]
fn every_step_is_listed_once_in_the_order_of_the_procedure() {
    let distinct: HashSet<Step> = Step::ALL.into_iter().collect();
    assert_eq!(distinct.len(), Step::ALL.len());
    let distinct: HashSet<Status> = Status::ALL.into_iter().collect();
    assert_eq!(distinct.len(), Status::ALL.len());
}

#[test]
fn every_step_starts_from_the_statuses_it_started_from_before() {
    for step in Step::ALL {
        let (from, to) = as_before(step);
        for status in Status::ALL {
            let expected = from.contains(&status).then_some(to);
            assert_eq!(
                check(status, step).ok(),
                expected,
                "{step:?} from {status:?}"
            );
        }
        assert_eq!(step.transition().to, to, "{step:?}");
    }
}

#[test]
fn allowed_steps_follow_the_order_of_the_procedure() {
    use Step::*;
    assert_eq!(allowed_steps(S::Received), []);
    assert_eq!(allowed_steps(S::Incomplete), [Complete, Withdraw]);
    assert_eq!(
        allowed_steps(S::Complete),
        [MarkIncomplete, NotifyDebtor, Refuse, Withdraw]
    );
    assert_eq!(allowed_steps(S::DebtorNotified), [Accept, Refuse, Withdraw]);
    assert_eq!(allowed_steps(S::Accepted), [ProposeMandate, Withdraw]);
    assert_eq!(
        allowed_steps(S::MandateProposed),
        [RecordMandateSigned, Withdraw]
    );
    assert_eq!(allowed_steps(S::MandateSigned), [Activate, Withdraw]);
    assert_eq!(allowed_steps(S::Active), [Amend, Close, Withdraw]);
}

#[test]
fn final_statuses_allow_no_step_and_say_so() {
    for status in [S::Refused, S::Closed] {
        assert!(status.is_final());
        assert_eq!(allowed_steps(status), []);
        for step in Step::ALL {
            let refusal = check(status, step).unwrap_err();
            assert_eq!(refusal.first, None);
            assert_eq!(
                refusal.to_string(),
                format!(
                    "the dossier is {}, which is final: no step leads back",
                    status.words()
                )
            );
        }
    }
    assert!(Status::ALL.iter().filter(|s| s.is_final()).count() == 2);
}

#[test]
fn activating_an_accepted_dossier_needs_the_mandate_proposed_and_signed() {
    let refusal = check(S::Accepted, Step::Activate).unwrap_err();
    assert_eq!(
        refusal.first,
        Some(vec![Step::ProposeMandate, Step::RecordMandateSigned])
    );
    assert_eq!(
        refusal.to_string(),
        "propose the mandate and record its signature first"
    );
}

#[test]
fn the_shortest_path_is_named_step_by_step() {
    let cases = [
        (
            S::Complete,
            Step::Activate,
            "notify the debtor, accept the application, propose the mandate and record its signature first",
        ),
        (S::Complete, Step::Accept, "notify the debtor first"),
        // Back to INCOMPLETE is one step: marking it so.
        (
            S::Complete,
            Step::Complete,
            "mark the application incomplete first",
        ),
        (
            S::Incomplete,
            Step::Refuse,
            "complete the application first",
        ),
        (
            S::Incomplete,
            Step::ProposeMandate,
            "complete the application, notify the debtor and accept the application first",
        ),
        (
            S::MandateProposed,
            Step::Close,
            "record the mandate's signature and activate the dossier first",
        ),
        (S::MandateSigned, Step::Amend, "activate the dossier first"),
    ];
    for (status, step, sentence) in cases {
        let refusal = check(status, step).unwrap_err();
        assert_eq!(refusal.to_string(), sentence, "{step:?} from {status:?}");
    }
}

#[test]
fn a_step_already_behind_the_dossier_says_no_step_leads_back() {
    let refusal = check(S::Active, Step::Accept).unwrap_err();
    assert_eq!(refusal.first, None);
    assert_eq!(
        refusal.to_string(),
        "the dossier is past that step: no step leads from active back to debtor notified"
    );
    assert_eq!(
        check(S::Accepted, Step::Refuse).unwrap_err().to_string(),
        "the dossier is past that step: no step leads from accepted back to complete or \
         debtor notified"
    );
    assert_eq!(
        check(S::Received, Step::Complete).unwrap_err().to_string(),
        "the dossier is received: no step starts from there"
    );
}

#[test]
fn every_path_found_is_a_sequence_of_allowed_steps_ending_where_the_step_may_start() {
    for status in Status::ALL {
        for step in Step::ALL {
            let Err(Refusal {
                first: Some(path), ..
            }) = check(status, step)
            else {
                continue;
            };
            assert!(!path.is_empty());
            let mut at = status;
            for s in &path {
                at = check(at, *s).unwrap_or_else(|r| panic!("{s:?} from {at:?}: {r}"));
            }
            assert!(step.starts_from(at), "{step:?} from {status:?}: {path:?}");
        }
    }
}
