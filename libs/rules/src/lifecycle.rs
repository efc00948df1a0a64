//! The lifecycle of a dossier (the intake contract, proto/secal/v1/intake.proto: the
//! IntakeService header and its transition RPCs; Law of 21 February 2003 creating SECAL): from
//! which statuses each step may start, and the status it leads to.
//!
//! - The table: [`Step::transition`] is the only place that says it; every check of a step
//!   ([`check`]) and every list of the steps a status allows ([`allowed_steps`]) reads it.
//! - What must come first: a step refused from the current status names the shortest
//!   sequence of steps from that status to one the step may start from (ties broken by the
//!   order of the procedure, [`Step::ALL`]).
//! - Final statuses: a refused or closed dossier takes no step any more.
//!
//! The table says where a step leads when it succeeds. A call may still stop short for
//! reasons that are not statuses (CompleteApplication with something still missing leaves
//! the dossier INCOMPLETE); those stay with the call.

#[cfg(test)]
mod tests;

use std::fmt;

/// Where a dossier is in its life; mirrors the contract's `DossierStatus` without its
/// zero value (a status the service does not know has no step at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Registered, validation not yet done (only inside the submission).
    Received,
    Incomplete,
    Complete,
    DebtorNotified,
    Accepted,
    Refused,
    MandateProposed,
    MandateSigned,
    Active,
    Closed,
}

impl Status {
    /// In the order of the contract's enum.
    pub const ALL: [Status; 10] = [
        Status::Received,
        Status::Incomplete,
        Status::Complete,
        Status::DebtorNotified,
        Status::Accepted,
        Status::Refused,
        Status::MandateProposed,
        Status::MandateSigned,
        Status::Active,
        Status::Closed,
    ];

    /// Refused and closed are final: no step starts from them.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Refused | Status::Closed)
    }

    /// The status in words, for sentences.
    pub fn words(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Incomplete => "incomplete",
            Status::Complete => "complete",
            Status::DebtorNotified => "debtor notified",
            Status::Accepted => "accepted",
            Status::Refused => "refused",
            Status::MandateProposed => "mandate proposed",
            Status::MandateSigned => "mandate signed",
            Status::Active => "active",
            Status::Closed => "closed",
        }
    }
}

/// One step of the procedure: one call that moves a dossier (the RPC is named on each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// CompleteApplication.
    Complete,
    /// MarkApplicationIncomplete.
    MarkIncomplete,
    /// NotifyDebtor.
    NotifyDebtor,
    /// AcceptApplication.
    Accept,
    /// RefuseApplication.
    Refuse,
    /// ProposeMandate.
    ProposeMandate,
    /// RecordMandateSigned.
    RecordMandateSigned,
    /// ActivateDossier.
    Activate,
    /// AmendDossier.
    Amend,
    /// CloseDossier for any reason but the applicant's withdrawal.
    Close,
    /// CloseDossier because the applicant withdrew.
    Withdraw,
}

/// A row of the table: the statuses a step may start from and the status it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: &'static [Status],
    pub to: Status,
}

/// Every status but the final ones and the transient RECEIVED: the applicant may withdraw
/// at any point of the procedure.
const NOT_FINAL: &[Status] = &[
    Status::Incomplete,
    Status::Complete,
    Status::DebtorNotified,
    Status::Accepted,
    Status::MandateProposed,
    Status::MandateSigned,
    Status::Active,
];

impl Step {
    /// The order of the procedure; [`allowed_steps`] lists steps in this order.
    pub const ALL: [Step; 11] = [
        Step::Complete,
        Step::MarkIncomplete,
        Step::NotifyDebtor,
        Step::Accept,
        Step::Refuse,
        Step::ProposeMandate,
        Step::RecordMandateSigned,
        Step::Activate,
        Step::Amend,
        Step::Close,
        Step::Withdraw,
    ];

    /// The table of the lifecycle: the statuses the step may start from, the status it
    /// leads to.
    pub const fn transition(self) -> Transition {
        use Status as S;
        let (from, to): (&'static [Status], Status) = match self {
            Step::Complete => (&[S::Incomplete], S::Complete),
            Step::MarkIncomplete => (&[S::Complete], S::Incomplete),
            Step::NotifyDebtor => (&[S::Complete], S::DebtorNotified),
            // Only once the debtor has been notified: the debtor may prove payment first.
            Step::Accept => (&[S::DebtorNotified], S::Accepted),
            // On the file alone, or after the debtor's window.
            Step::Refuse => (&[S::Complete, S::DebtorNotified], S::Refused),
            Step::ProposeMandate => (&[S::Accepted], S::MandateProposed),
            Step::RecordMandateSigned => (&[S::MandateProposed], S::MandateSigned),
            Step::Activate => (&[S::MandateSigned], S::Active),
            // A new form for the dossier; the status does not change.
            Step::Amend => (&[S::Active], S::Active),
            // The other closure reasons end SECAL's intervention (ClosureReason).
            Step::Close => (&[S::Active], S::Closed),
            Step::Withdraw => (NOT_FINAL, S::Closed),
        };
        Transition { from, to }
    }

    /// What the step does, as an instruction to the case officer.
    pub fn instruction(self) -> &'static str {
        match self {
            Step::Complete => "complete the application",
            Step::MarkIncomplete => "mark the application incomplete",
            Step::NotifyDebtor => "notify the debtor",
            Step::Accept => "accept the application",
            Step::Refuse => "refuse the application",
            Step::ProposeMandate => "propose the mandate",
            Step::RecordMandateSigned => "record the mandate's signature",
            Step::Activate => "activate the dossier",
            Step::Amend => "amend the dossier",
            Step::Close => "close the dossier",
            Step::Withdraw => "close the dossier as withdrawn",
        }
    }

    /// The instruction right after `previous` in a sentence: the mandate just named becomes
    /// "its", so that a path reads "propose the mandate and record its signature".
    fn instruction_after(self, previous: Option<Step>) -> &'static str {
        match (previous, self) {
            (Some(Step::ProposeMandate), Step::RecordMandateSigned) => "record its signature",
            _ => self.instruction(),
        }
    }

    /// Whether the step may start from `status`.
    pub fn starts_from(self, status: Status) -> bool {
        self.transition().from.contains(&status)
    }
}

/// The steps `status` allows, in the order of the procedure.
pub fn allowed_steps(status: Status) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| s.starts_from(status))
        .collect()
}

/// The status `step` leads to from `status`, or why it may not be taken now.
pub fn check(status: Status, step: Step) -> Result<Status, Refusal> {
    if step.starts_from(status) {
        return Ok(step.transition().to);
    }
    Err(Refusal {
        status,
        step,
        first: path_to(status, step),
    })
}

/// The shortest sequence of steps from `status` to a status `step` may
/// start from (breadth first, neighbours in the order of the procedure); `None` when there is
/// none.
fn path_to(status: Status, step: Step) -> Option<Vec<Step>> {
    // Each reached status with the status and step it was reached by.
    let mut reached: Vec<(Status, Option<(Status, Step)>)> = vec![(status, None)];
    let mut next = 0;
    while let Some(&(at, _)) = reached.get(next) {
        next += 1;
        if step.starts_from(at) {
            let mut path = Vec::new();
            let mut cursor = at;
            while let Some(&(_, Some((before, by)))) = reached.iter().find(|r| r.0 == cursor) {
                path.push(by);
                cursor = before;
            }
            path.reverse();
            return Some(path);
        }
        for s in allowed_steps(at) {
            let to = s.transition().to;
            if !reached.iter().any(|r| r.0 == to) {
                reached.push((to, Some((at, s))));
            }
        }
    }
    None
}

/// A step the current status does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: Status,
    pub step: Step,
    /// The steps that must come first, in order; `None` when no sequence of steps leads
    /// from the current status to one the step may start from.
    pub first: Option<Vec<Step>>,
}

impl fmt::Display for Refusal {
    /// What must come first ("propose the mandate and record its signature first"), or why
    /// nothing can.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.first {
            Some(path) => write!(f, "{} first", sentence_of(path)),
            None if self.status.is_final() => write!(
                f,
                "the dossier is {}, which is final: no step leads back",
                self.status.words()
            ),
            None if allowed_steps(self.status).is_empty() => write!(
                f,
                "the dossier is {}: no step starts from there",
                self.status.words()
            ),
            None => {
                let from: Vec<&str> = self
                    .step
                    .transition()
                    .from
                    .iter()
                    .map(|s| s.words())
                    .collect();
                write!(
                    f,
                    "the dossier is past that step: no step leads from {} back to {}",
                    self.status.words(),
                    from.join(" or ")
                )
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// "a", "a and b", "a, b and c".
fn sentence_of(path: &[Step]) -> String {
    let mut words: Vec<&str> = Vec::with_capacity(path.len());
    let mut previous = None;
    for &s in path {
        words.push(s.instruction_after(previous));
        previous = Some(s);
    }
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}
