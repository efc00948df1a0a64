//! Case work end to end on a real PostgreSQL: the letters a dossier's life issues (rendered
//! in its language, stored immutably, read back as text with `pdftotext`, page 1 rendered
//! with `pdftoppm` and seen not to be blank, rendered again to the same bytes), the debtor's
//! 15 days running from the notice's delivery, and the work queue's tasks opened by their
//! conditions and closed by the actions that resolve them.

use std::process::Command;

use secal_proto::v1::{
    self as pb, correspondence_service_client::CorrespondenceServiceClient,
    intake_service_client::IntakeServiceClient, work_queue_service_client::WorkQueueServiceClient,
};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use tonic::{Code, transport::Channel};

use crate::common::{assert_code, date, key, reason};
use crate::form::{by_id, mother_of_three, submit};

struct Desk {
    suite: Suite,
    intake: IntakeServiceClient<Channel>,
    letters: CorrespondenceServiceClient<Channel>,
    queue: WorkQueueServiceClient<Channel>,
    officer: String,
}

async fn desk(services: &[Svc]) -> anyhow::Result<Desk> {
    let suite = Suite::start(services).await?;
    let channel = suite.channel(Svc::Intake).await?;
    let officer = suite.agent_token("agent-claes", &[roles::CASE_OFFICER])?;
    Ok(Desk {
        intake: IntakeServiceClient::new(channel.clone()),
        letters: CorrespondenceServiceClient::new(channel.clone()),
        queue: WorkQueueServiceClient::new(channel),
        suite,
        officer,
    })
}

impl Desk {
    async fn tasks(&mut self, application_id: &str, closed: bool) -> anyhow::Result<Vec<pb::Task>> {
        let req = pb::ListTasksRequest {
            dossier: by_id(application_id),
            include_closed: closed,
            ..Default::default()
        };
        Ok(self
            .queue
            .list_tasks(self.suite.request(&self.officer, req))
            .await?
            .into_inner()
            .tasks)
    }

    async fn open_kinds(&mut self, application_id: &str) -> anyhow::Result<Vec<pb::TaskKind>> {
        let tasks = self.tasks(application_id, false).await?;
        let mut kinds: Vec<pb::TaskKind> = tasks.iter().map(|t| t.kind()).collect();
        kinds.sort();
        Ok(kinds)
    }

    async fn notify(
        &mut self,
        id: &str,
        k: &str,
        on: (i32, i32, i32),
    ) -> Result<pb::Dossier, tonic::Status> {
        let req = pb::NotifyDebtorRequest {
            idempotency_key: key(k),
            dossier: by_id(id),
            notified_on: date(on.0, on.1, on.2),
            registered_letter_reference: format!("RR {k} BE"),
            expected_version: 0,
        };
        let r = self
            .intake
            .notify_debtor(self.suite.request(&self.officer, req))
            .await?;
        Ok(r.into_inner().dossier.unwrap_or_default())
    }

    async fn track(
        &mut self,
        letter_id: &str,
        k: &str,
        outcome: pb::DeliveryOutcome,
        on: (i32, i32, i32),
    ) -> Result<pb::RecordLetterDeliveryResponse, tonic::Status> {
        let req = pb::RecordLetterDeliveryRequest {
            idempotency_key: key(k),
            letter_id: letter_id.to_owned(),
            outcome: outcome as i32,
            on: date(on.0, on.1, on.2),
        };
        let r = self
            .letters
            .record_letter_delivery(self.suite.request(&self.officer, req))
            .await?;
        Ok(r.into_inner())
    }

    /// The dossier's letters, newest first.
    async fn letters_of(
        &mut self,
        dossier: pb::dossier_ref::Id,
    ) -> anyhow::Result<Vec<pb::Letter>> {
        let list = pb::ListLettersRequest {
            of: Some(pb::list_letters_request::Of::Dossier(pb::DossierRef {
                id: Some(dossier),
            })),
            page: None,
        };
        let r = self
            .letters
            .list_letters(self.suite.request(&self.officer, list));
        Ok(r.await?.into_inner().letters)
    }

    async fn letter(&mut self, letter_id: &str) -> anyhow::Result<pb::GetLetterResponse> {
        let req = pb::GetLetterRequest {
            letter_id: letter_id.to_owned(),
        };
        Ok(self
            .letters
            .get_letter(self.suite.request(&self.officer, req))
            .await?
            .into_inner())
    }
}

fn notice_of(d: &pb::Dossier) -> String {
    d.debtor_notification
        .as_ref()
        .map(|n| n.letter_id.clone())
        .unwrap_or_default()
}

/// The PDF's text as `pdftotext` reads it.
fn pdf_text(pdf: &[u8]) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf)?;
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .map_err(|e| {
            anyhow::anyhow!("pdftotext ({e}): run scripts/install-deps (poppler-utils)")
        })?;
    anyhow::ensure!(out.status.success(), "pdftotext failed: {out:?}");
    // Line breaks and the spaces inside amounts (narrow or no-break) as plain spaces.
    let text = String::from_utf8(out.stdout)?;
    Ok(text.replace(['\u{a0}', '\u{202f}', '\u{2009}'], " "))
}

/// Page 1 rendered as a grey image: how many pixels are not white.
fn inked_pixels(pdf: &[u8]) -> anyhow::Result<usize> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf)?;
    let prefix = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-gray", "-r", "30", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .status()?;
    anyhow::ensure!(status.success(), "pdftoppm failed");
    let pgm = std::fs::read(dir.path().join("page.pgm"))?;
    // The header is three lines (P5, size, max value); the pixels follow.
    let mut newlines = 0;
    let start = pgm
        .iter()
        .position(|b| {
            newlines += usize::from(*b == b'\n');
            newlines == 3
        })
        .map_or(pgm.len(), |p| p + 1);
    Ok(pgm[start..].iter().filter(|p| **p < 200).count())
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_dossiers_letters_and_tasks_follow_its_life() -> anyhow::Result<()> {
    let mut d = desk(&[Svc::Calculation, Svc::Intake]).await?;
    let submitted = d
        .intake
        .submit_application(
            d.suite
                .request(&d.officer, submit("cw-1", mother_of_three())),
        )
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let id = submitted.application_id.clone();
    // A complete file: its decision deadline is a task.
    assert_eq!(
        d.open_kinds(&id).await?,
        vec![pb::TaskKind::DecisionDeadline]
    );

    // The registered notice: a letter to the debtor; its tracking is awaited.
    let notified = d.notify(&id, "cw-n1", (2007, 8, 6)).await?;
    let first = notice_of(&notified);
    assert!(!first.is_empty(), "the notification names its letter");
    let kinds = d.open_kinds(&id).await?;
    assert_eq!(
        kinds,
        vec![
            pb::TaskKind::DecisionDeadline,
            pb::TaskKind::DebtorNoticeTracking
        ]
    );
    let accept = |k: &str, day: u32| pb::AcceptApplicationRequest {
        idempotency_key: key(k),
        dossier: by_id(&id),
        decided_on: date(2007, 8, day as i32),
        ..Default::default()
    };
    // Without the post's tracking the 15 days have not started.
    let early = assert_code(
        d.intake
            .accept_application(d.suite.request(&d.officer, accept("cw-a0", 30)))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(
        reason(&early),
        "DEBTOR_NOTICE_NOT_DELIVERED",
        "{}",
        early.message()
    );
    // A notice is sent again only once the post returned the first one.
    let again = assert_code(
        d.notify(&id, "cw-n1b", (2007, 8, 7)).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&again), "DEBTOR_NOTICE_NOT_RETURNED");

    // Returned undelivered: a task asks for a new notice; the tracking task is done.
    d.track(&first, "cw-t1", pb::DeliveryOutcome::Returned, (2007, 8, 9))
        .await?;
    let kinds = d.open_kinds(&id).await?;
    assert_eq!(
        kinds,
        vec![
            pb::TaskKind::DecisionDeadline,
            pb::TaskKind::DebtorNoticeReturned
        ]
    );
    let second = notice_of(&d.notify(&id, "cw-n2", (2007, 8, 10)).await?);
    assert_ne!(first, second);
    let kinds = d.open_kinds(&id).await?;
    assert_eq!(
        kinds,
        vec![
            pb::TaskKind::DecisionDeadline,
            pb::TaskKind::DebtorNoticeTracking
        ]
    );

    // Delivered on the 11th: the debtor has until the 26th; then the decision is a task.
    let tracked = d
        .track(
            &second,
            "cw-t2",
            pb::DeliveryOutcome::Delivered,
            (2007, 8, 11),
        )
        .await?;
    assert_eq!(tracked.debtor_response_deadline, date(2007, 8, 26));
    let replay = d
        .track(
            &second,
            "cw-t2",
            pb::DeliveryOutcome::Delivered,
            (2007, 8, 11),
        )
        .await?;
    assert_eq!(replay, tracked, "a retry is answered the same");
    let other = assert_code(
        d.track(
            &second,
            "cw-t3",
            pb::DeliveryOutcome::Returned,
            (2007, 8, 12),
        )
        .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&other), "DELIVERY_RECORDED");
    let kinds = d.open_kinds(&id).await?;
    assert_eq!(
        kinds,
        vec![
            pb::TaskKind::DecisionDeadline,
            pb::TaskKind::DebtorWindowEnded
        ]
    );
    let in_window = assert_code(
        d.intake
            .accept_application(d.suite.request(&d.officer, accept("cw-a1", 26)))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&in_window), "DEBTOR_WINDOW_OPEN");

    work_a_task(&mut d, &id).await?;

    // The decision: the acceptance letter, and every decision task closed by it.
    let accepted = d
        .intake
        .accept_application(d.suite.request(&d.officer, accept("cw-a2", 27)))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert!(
        d.open_kinds(&id).await?.is_empty(),
        "the decision closed its tasks"
    );
    let closed = d.tasks(&id, true).await?;
    assert!(
        closed
            .iter()
            .any(|t| t.kind() == pb::TaskKind::DebtorWindowEnded
                && t.closed_by_action == "AcceptApplication")
    );
    assert!(
        closed
            .iter()
            .any(|t| t.kind() == pb::TaskKind::DebtorNoticeReturned
                && t.closed_by_action == "NotifyDebtor")
    );

    let proposal = pb::ProposeMandateRequest {
        idempotency_key: key("cw-p"),
        dossier: by_id(&id),
        proposed_on: date(2007, 9, 3),
        ..Default::default()
    };
    let proposed = d
        .intake
        .propose_mandate(d.suite.request(&d.officer, proposal))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let mandate = proposed.mandate.clone().unwrap_or_default();
    assert!(!mandate.proposal_letter_id.is_empty());

    read_the_letters(&mut d, &accepted, &mandate, [&first, &second]).await
}

/// Claimed, refused to another agent, reassigned by its owner, with its history.
async fn work_a_task(d: &mut Desk, id: &str) -> anyhow::Result<()> {
    let task = d.tasks(id, false).await?.remove(0);
    let claim = |k: &str| pb::ClaimTaskRequest {
        idempotency_key: key(k),
        task_id: task.task_id.clone(),
    };
    let claimed = d
        .queue
        .claim_task(d.suite.request(&d.officer, claim("cw-c1")))
        .await?;
    assert_eq!(
        claimed.into_inner().task.unwrap_or_default().owner_agent_id,
        "agent-claes"
    );
    let renard = d
        .suite
        .agent_token("agent-renard", &[roles::CASE_OFFICER])?;
    let taken = assert_code(
        d.queue
            .claim_task(d.suite.request(&renard, claim("cw-c2")))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&taken), "TASK_OWNED");
    let reassign = |k: &str| pb::ReassignTaskRequest {
        idempotency_key: key(k),
        task_id: task.task_id.clone(),
        to_agent_id: "agent-renard".into(),
        note: "on leave".into(),
        ..Default::default()
    };
    assert_code(
        d.queue
            .reassign_task(d.suite.request(&renard, reassign("cw-r0")))
            .await,
        Code::PermissionDenied,
    );
    d.queue
        .reassign_task(d.suite.request(&d.officer, reassign("cw-r1")))
        .await?;
    let mine = pb::ListTasksRequest {
        owner_agent_id: "agent-renard".into(),
        ..Default::default()
    };
    let listed = d
        .queue
        .list_tasks(d.suite.request(&renard, mine))
        .await?
        .into_inner();
    assert_eq!(listed.tasks.len(), 1);
    assert!(listed.tasks[0].overdue, "a 2007 deadline is overdue");
    assert_eq!(listed.counts.iter().map(|c| c.overdue).sum::<i64>(), 1);
    let get = pb::GetTaskRequest {
        task_id: task.task_id.clone(),
    };
    let history = d
        .queue
        .get_task(d.suite.request(&renard, get))
        .await?
        .into_inner()
        .history;
    let kinds: Vec<pb::TaskEventKind> = history.iter().map(|e| e.kind()).collect();
    use pb::TaskEventKind as E;
    assert_eq!(kinds, vec![E::Opened, E::Claimed, E::Reassigned]);
    assert_eq!(history[2].note, "on leave");
    Ok(())
}

async fn read_the_letters(
    d: &mut Desk,
    accepted: &pb::Dossier,
    mandate: &pb::Mandate,
    notices: [&str; 2],
) -> anyhow::Result<()> {
    let number = accepted.dossier_number.clone();
    let letters = d
        .letters_of(pb::dossier_ref::Id::DossierNumber(number.clone()))
        .await?;
    let kinds: Vec<pb::LetterKind> = letters.iter().map(|l| l.kind()).collect();
    use pb::LetterKind as K;
    assert_eq!(
        kinds,
        vec![
            K::MandateProposal,
            K::DecisionAccepted,
            K::DebtorNotice,
            K::DebtorNotice
        ],
        "newest first"
    );
    assert_eq!(letters[0].letter_id, mandate.proposal_letter_id);
    assert_eq!(letters[3].letter_id, notices[0]);
    let reference = number
        .parse::<secal_domain::DossierNumber>()?
        .payment_reference()
        .to_string();
    for l in &letters {
        assert_eq!(l.language(), pb::CorrespondenceLanguage::Fr);
        let got = d.letter(&l.letter_id).await?;
        let text = flat(&pdf_text(&got.pdf)?);
        assert!(
            inked_pixels(&got.pdf)? > 500,
            "page 1 of {:?} is not blank",
            l.kind()
        );
        let verify = pb::VerifyLetterRequest {
            letter_id: l.letter_id.clone(),
        };
        let v = d
            .letters
            .verify_letter(d.suite.request(&d.officer, verify))
            .await?
            .into_inner();
        assert!(
            v.identical,
            "{:?} renders again to the same bytes",
            l.kind()
        );
        assert_eq!(v.stored_sha256, l.sha256);
        let recipient = l.recipient.clone().unwrap_or_default();
        match l.kind() {
            K::DebtorNotice => {
                assert_eq!(recipient.name, "Paul Martin");
                assert!(text.contains(&l.tracking_number), "{text}");
                assert!(text.contains("quinze jours"), "{text}");
                let declared = flat(&secal_letters::format_amount(
                    declared_arrears()?,
                    secal_letters::Language::Fr,
                ));
                assert!(
                    text.contains(&declared),
                    "the declared arrears {declared}: {text}"
                );
            }
            K::DecisionAccepted | K::MandateProposal => {
                assert_eq!(recipient.name, "Marie Dupont");
                assert!(text.contains(&number), "{text}");
                assert!(text.contains(&reference), "{reference} in {text}");
            }
            other => anyhow::bail!("unexpected letter {other:?}"),
        }
        assert!(text.contains("21 février 2003"), "the legal basis: {text}");
    }
    // The proposal's figures are the mandate's.
    let proposal = d.letter(&mandate.proposal_letter_id).await?;
    let text = flat(&pdf_text(&proposal.pdf)?);
    for money in [&mandate.arrears_claimable, &mandate.interest] {
        let amount = money.clone().unwrap_or_default().amount.parse()?;
        let shown = flat(&secal_letters::format_amount(
            amount,
            secal_letters::Language::Fr,
        ));
        assert!(text.contains(&shown), "{shown} in {text}");
    }
    assert!(proposal.rendered_from_json.contains("MANDATE_PROPOSAL"));
    Ok(())
}

/// What the form declares unpaid, month by month (frame 4).
fn declared_arrears() -> anyhow::Result<rust_decimal::Decimal> {
    let form = mother_of_three();
    let mut total = rust_decimal::Decimal::ZERO;
    for m in form.arrears.iter().flat_map(|a| a.unpaid_months.iter()) {
        total += m
            .unpaid
            .clone()
            .unwrap_or_default()
            .amount
            .parse::<rust_decimal::Decimal>()?;
    }
    Ok(total)
}

#[tokio::test]
async fn a_refusal_is_written_in_the_dossiers_language_and_a_withdrawal_closes_its_tasks()
-> anyhow::Result<()> {
    // Without the calculation service admissibility is not assessed: a task says so.
    let mut d = desk(&[Svc::Intake]).await?;
    let mut form = mother_of_three();
    if let Some(a) = form.applicant.as_mut() {
        a.language = pb::CorrespondenceLanguage::Nl as i32;
    }
    let new = |k: &str, form: pb::ApplicationForm| submit(k, form);
    let first = d
        .intake
        .submit_application(d.suite.request(&d.officer, new("cw-nl-1", form.clone())))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let kinds = d.open_kinds(&first.application_id).await?;
    assert_eq!(
        kinds,
        vec![
            pb::TaskKind::DecisionDeadline,
            pb::TaskKind::AdmissibilityNotAssessed
        ]
    );
    let refuse = pb::RefuseApplicationRequest {
        idempotency_key: key("cw-nl-r"),
        dossier: by_id(&first.application_id),
        decided_on: date(2007, 8, 20),
        reasons: vec![pb::RefusalReason::ArrearsTimeBarred as i32],
        motivation: "Alle maanden vallen buiten de verjaringstermijn.".into(),
        dispatch: Some(pb::LetterDispatch {
            channel: pb::LetterChannel::Ebox as i32,
            tracking_number: String::new(),
        }),
        ..Default::default()
    };
    d.intake
        .refuse_application(d.suite.request(&d.officer, refuse))
        .await?;
    assert!(d.open_kinds(&first.application_id).await?.is_empty());
    let letters = d
        .letters_of(pb::dossier_ref::Id::ApplicationId(
            first.application_id.clone(),
        ))
        .await?;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].kind(), pb::LetterKind::DecisionRefused);
    assert_eq!(letters[0].channel(), pb::LetterChannel::Ebox);
    assert_eq!(letters[0].language(), pb::CorrespondenceLanguage::Nl);
    let text = flat(&pdf_text(&d.letter(&letters[0].letter_id).await?.pdf)?);
    assert!(
        text.contains("Alle gevorderde achterstallen zijn verjaard"),
        "{text}"
    );
    assert!(text.contains("verjaringstermijn"), "the motivation: {text}");
    // A registered letter names its tracking number; e-Box does not have one to record.
    let tracked = assert_code(
        d.track(
            &letters[0].letter_id,
            "cw-nl-t",
            pb::DeliveryOutcome::Delivered,
            (2007, 8, 21),
        )
        .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&tracked), "NOT_REGISTERED");

    // A second application, withdrawn: its tasks close with it.
    let second = d
        .intake
        .submit_application(d.suite.request(&d.officer, new("cw-nl-2", form)))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(d.open_kinds(&second.application_id).await?.len(), 2);
    let withdraw = pb::CloseDossierRequest {
        idempotency_key: key("cw-nl-w"),
        dossier: by_id(&second.application_id),
        reason: pb::ClosureReason::Withdrawn as i32,
        ..Default::default()
    };
    d.intake
        .close_dossier(d.suite.request(&d.officer, withdraw))
        .await?;
    let tasks = d.tasks(&second.application_id, true).await?;
    assert_eq!(tasks.len(), 2);
    assert!(
        tasks
            .iter()
            .all(|t| t.state() == pb::TaskState::Closed && t.closed_by_action == "CloseDossier")
    );
    Ok(())
}

/// The tasks of a dossier, of one kind, open or all, once the pump has brought them (payments'
/// feed is pulled every 100 ms in tests): waits up to 30 s for `ready`.
async fn payments_tasks(
    d: &mut Desk,
    number: &str,
    kind: pb::TaskKind,
    ready: impl Fn(&[pb::Task]) -> bool,
) -> anyhow::Result<Vec<pb::Task>> {
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let req = pb::ListTasksRequest {
            team: "payments".into(),
            kind: kind as i32,
            include_closed: true,
            ..Default::default()
        };
        tasks = d
            .queue
            .list_tasks(d.suite.request(&d.officer, req))
            .await?
            .into_inner()
            .tasks
            .into_iter()
            .filter(|t| t.dossier_number == number)
            .collect();
        if ready(&tasks) {
            return Ok(tasks);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the work queue never showed the payments tasks expected: {tasks:#?}")
}

#[tokio::test]
async fn payments_conditions_reach_the_one_queue_and_close_there() -> anyhow::Result<()> {
    use secal_proto::v1::payouts_service_client::PayoutsServiceClient;
    let mut d = desk(&[Svc::Calculation, Svc::Payments, Svc::Intake]).await?;
    // A title not indexed: its dues can be booked to today without the CPI series (issue 18).
    let mut not_indexed = mother_of_three();
    if let Some(t) = not_indexed.title.as_mut() {
        t.indexed = false;
    }
    let submitted = d
        .intake
        .submit_application(d.suite.request(&d.officer, submit("cwp-1", not_indexed)))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let channel = d.suite.channel(Svc::Intake).await?;
    let id = submitted.application_id.clone();
    let active = crate::form::to_active(&channel, &d.suite, &d.officer, &id, "cwp").await?;
    let number = active.dossier.unwrap_or_default().dossier_number;
    let mut payouts = PayoutsServiceClient::new(d.suite.channel(Svc::Payments).await?);
    let peeters = d
        .suite
        .agent_token("agent-peeters", &[roles::PAYMENTS_OPERATOR])?;
    let janssens = d
        .suite
        .agent_token("agent-janssens", &[roles::PAYMENTS_OPERATOR])?;
    let request = pb::RequestPayoutAccountChangeRequest {
        idempotency_key: key("cwp-account"),
        dossier_number: number.clone(),
        account: Some(pb::BankAccount {
            iban: Some(pb::Iban {
                value: "BE24063987654338".into(),
            }),
            holder_name: "Marie Dupont".into(),
            ..Default::default()
        }),
        holding: pb::AccountHolding::Sole as i32,
        source_reference: "letter of 2007-10-05".into(),
        ..Default::default()
    };
    // The ACTIVATED event reaches payments through intake's relay: asked again until it has.
    let mut answer = Err(tonic::Status::unavailable("not asked yet"));
    for _ in 0..300 {
        let req = d.suite.request(&peeters, request.clone());
        answer = payouts.request_payout_account_change(req).await;
        match &answer {
            Err(s) if s.code() == Code::FailedPrecondition => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            _ => break,
        }
    }
    let account = answer?.into_inner().payout_account.unwrap_or_default();
    // The second agent's confirmation is awaited: a task in the payments team's queue (its
    // summary names the account; the account intake gave at activation awaits one too).
    use pb::TaskKind::PayoutAccountAwaitingSecondAgent as Awaiting;
    let id = account.payout_account_id.clone();
    let this = |tasks: &[pb::Task], state: pb::TaskState| {
        tasks
            .iter()
            .find(|t| t.summary.contains(&id) && t.state() == state)
            .cloned()
    };
    let before = payments_tasks(&mut d, &number, Awaiting, |t| {
        this(t, pb::TaskState::Open).is_some()
    })
    .await?;
    assert!(before.iter().all(|t| t.team == "payments"));
    let confirm = pb::ConfirmPayoutAccountChangeRequest {
        idempotency_key: key("cwp-confirm"),
        payout_account_id: account.payout_account_id.clone(),
        method: pb::ConfirmationMethod::BankCertificate as i32,
        evidence_reference: "bank certificate".into(),
    };
    payouts
        .confirm_payout_account_change(d.suite.request(&janssens, confirm))
        .await?;
    // The confirmation closed it, by name, in the same queue.
    let after = payments_tasks(&mut d, &number, Awaiting, |t| {
        this(t, pb::TaskState::Closed).is_some()
    })
    .await?;
    let closed = this(&after, pb::TaskState::Closed).unwrap_or_default();
    assert_eq!(closed.closed_by_action, "ConfirmPayoutAccountChange");
    offset_notices_go_out_before_and_after(&mut d, &number).await?;
    a_statement_is_issued_on_request(&mut d, &number).await?;
    a_missed_instalment_is_written_to_the_debtor(&mut d, &number).await?;
    a_suspension_is_written_to_the_debtor(&mut d, &number).await
}

/// The debtor's person id in a dossier.
async fn debtor_of(d: &mut Desk, number: &str) -> anyhow::Result<String> {
    let get = pb::GetDossierRequest {
        dossier: Some(pb::DossierRef {
            id: Some(pb::dossier_ref::Id::DossierNumber(number.to_owned())),
        }),
    };
    let dossier = d
        .intake
        .get_dossier(d.suite.request(&d.officer, get))
        .await?;
    Ok(dossier
        .into_inner()
        .dossier
        .unwrap_or_default()
        .parties
        .into_iter()
        .find(|p| p.role() == pb::DossierRole::Debtor)
        .map(|p| p.person_id)
        .unwrap_or_default())
}

/// A plan from January 2025 whose first two instalments were never paid: the detection
/// of 20 February 2025 has the debtor written to, in French, with both instalments, what is
/// unpaid, the plan's reference and 15 days from today to pay.
async fn a_missed_instalment_is_written_to_the_debtor(
    d: &mut Desk,
    number: &str,
) -> anyhow::Result<()> {
    use secal_proto::v1::recovery_service_client::RecoveryServiceClient;
    let debtor = debtor_of(d, number).await?;
    let operator = d
        .suite
        .agent_token("agent-peeters", &[roles::PAYMENTS_OPERATOR])?;
    let mut recovery = RecoveryServiceClient::new(d.suite.channel(Svc::Payments).await?);
    let create = pb::CreatePaymentPlanRequest {
        idempotency_key: key("cwp-plan"),
        debtor_person_id: debtor,
        dossier_numbers: vec![number.to_owned()],
        income_month: Some(pb::YearMonth {
            year: 2024,
            month: 12,
        }),
        incomes: vec![pb::IncomeItem {
            income_id: "w".into(),
            kind: pb::IncomeKind::Wages as i32,
            amount: crate::common::money("5000.00"),
            ..Default::default()
        }],
        dependent_children: 0,
        claim_kind: pb::SeizureClaimKind::Ordinary as i32,
        start_date: date(2025, 1, 1),
        due_day: 5,
        ..Default::default()
    };
    let plan = recovery
        .create_payment_plan(d.suite.request(&operator, create))
        .await?
        .into_inner()
        .plan
        .unwrap_or_default();
    let detect = pb::DetectMissedPlanInstalmentsRequest {
        idempotency_key: key("cwp-detect"),
        as_of: date(2025, 2, 20),
        grace_days: 0,
    };
    let missed = recovery
        .detect_missed_plan_instalments(d.suite.request(&operator, detect))
        .await?
        .into_inner()
        .missed;
    assert_eq!(missed.len(), 2, "{missed:?}");
    let letters = letters_of_kind(d, number, pb::LetterKind::PaymentPlanBreach, 1).await?;
    assert_eq!(
        letters[0].recipient.clone().unwrap_or_default().name,
        "Paul Martin"
    );
    let text = flat(&pdf_text(&d.letter(&letters[0].letter_id).await?.pdf)?);
    let lang = secal_letters::Language::Fr;
    let unpaid = missed[0]
        .unpaid
        .clone()
        .unwrap_or_default()
        .amount
        .parse()?;
    let pay_by = chrono::Utc::now().date_naive() + chrono::Days::new(15);
    for expected in [
        "Non-respect de votre plan de paiement".to_owned(),
        "Mensualité n° 1 échue le 5 janvier 2025".to_owned(),
        "Mensualité n° 2 échue le 5 février 2025".to_owned(),
        secal_letters::format_amount(unpaid, lang),
        plan.plan_id.clone(),
        plan.structured_reference.clone(),
        secal_letters::format_date(pay_by, lang),
    ] {
        let expected = flat(&expected);
        assert!(text.contains(&expected), "{expected} in {text}");
    }
    Ok(())
}

/// The debtor asks for a statement: the letter holds the claim account's figures.
async fn a_statement_is_issued_on_request(d: &mut Desk, number: &str) -> anyhow::Result<()> {
    use secal_proto::v1::claim_account_service_client::ClaimAccountServiceClient;
    let operator = d
        .suite
        .agent_token("agent-peeters", &[roles::PAYMENTS_OPERATOR])?;
    let mut claims = ClaimAccountServiceClient::new(d.suite.channel(Svc::Payments).await?);
    let read = pb::GetDebtorStatementRequest {
        dossier_number: number.to_owned(),
        as_of: None,
    };
    let statement = claims
        .get_debtor_statement(d.suite.request(&operator, read))
        .await?
        .into_inner()
        .statement
        .unwrap_or_default();
    let ask = pb::IssueStatementRequest {
        idempotency_key: key("cwp-statement"),
        dossier: Some(pb::DossierRef {
            id: Some(pb::dossier_ref::Id::DossierNumber(number.to_owned())),
        }),
        recipient: pb::DossierRole::Debtor as i32,
        ..Default::default()
    };
    let letter = d
        .letters
        .issue_statement(d.suite.request(&d.officer, ask))
        .await?
        .into_inner()
        .letter
        .unwrap_or_default();
    assert_eq!(letter.kind(), pb::LetterKind::DebtorStatement);
    let text = flat(&pdf_text(&d.letter(&letter.letter_id).await?.pdf)?);
    let outstanding = statement
        .totals
        .unwrap_or_default()
        .outstanding
        .unwrap_or_default();
    let shown = flat(&secal_letters::format_amount(
        outstanding.amount.parse()?,
        secal_letters::Language::Fr,
    ));
    assert!(text.contains(&shown), "the outstanding {shown}: {text}");
    assert!(text.contains(&statement.structured_reference), "{text}");
    Ok(())
}

/// GrantSuspension requests the debtor's letter; intake issues it with the review date.
async fn a_suspension_is_written_to_the_debtor(d: &mut Desk, number: &str) -> anyhow::Result<()> {
    use secal_proto::v1::recovery_service_client::RecoveryServiceClient;
    let debtor = debtor_of(d, number).await?;
    let operator = d
        .suite
        .agent_token("agent-peeters", &[roles::PAYMENTS_OPERATOR])?;
    let grant = pb::GrantSuspensionRequest {
        idempotency_key: key("cwp-suspension"),
        debtor_person_id: debtor,
        dossier_numbers: vec![number.to_owned()],
        effective_from: crate::common::today(),
        review_on: date(2099, 3, 1),
        grounds: "no seizable income".into(),
        ..Default::default()
    };
    let mut recovery = RecoveryServiceClient::new(d.suite.channel(Svc::Payments).await?);
    recovery
        .grant_suspension(d.suite.request(&operator, grant))
        .await?;
    for _ in 0..300 {
        let letters = d
            .letters_of(pb::dossier_ref::Id::DossierNumber(number.to_owned()))
            .await?;
        if let Some(l) = letters
            .iter()
            .find(|l| l.kind() == pb::LetterKind::Suspension)
        {
            assert_eq!(l.recipient.clone().unwrap_or_default().name, "Paul Martin");
            let text = flat(&pdf_text(&d.letter(&l.letter_id).await?.pdf)?);
            assert!(text.contains("1er mars 2099"), "the review date: {text}");
            assert!(text.contains("Surséance"), "{text}");
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("no suspension letter was issued")
}

/// A tax-refund offset: the debtor's pre-offset notice is issued (in the dossier's language,
/// with the figures) before the offset can be confirmed, the post-offset notice after.
async fn offset_notices_go_out_before_and_after(d: &mut Desk, number: &str) -> anyhow::Result<()> {
    use secal_proto::v1::{
        claim_account_service_client::ClaimAccountServiceClient,
        recovery_service_client::RecoveryServiceClient,
    };
    let payments = d.suite.channel(Svc::Payments).await?;
    let mut recovery = RecoveryServiceClient::new(payments.clone());
    // The 2007 arrears are time-barred by now: the dues since are the enforceable debt.
    let operator = d
        .suite
        .agent_token("agent-peeters", &[roles::PAYMENTS_OPERATOR])?;
    let book = pb::BookClaimAccountRequest {
        idempotency_key: key("cwp-book"),
        dossier_number: number.to_owned(),
        booked_to: None,
    };
    ClaimAccountServiceClient::new(payments)
        .book_claim_account(d.suite.request(&operator, book))
        .await?;
    let tax = d.suite.token(
        "spf-finances-ipp",
        secal_runtime::auth::PrincipalKind::System,
        &[roles::TAX_REFUND_SYSTEM],
    )?;
    let propose = pb::ProposeTaxRefundOffsetRequest {
        idempotency_key: key("cwp-refund"),
        refund_id: "IPP-CW-1".into(),
        taxpayer: Some(pb::NationalNumber {
            value: crate::form::DEBTOR.into(),
        }),
        refund_amount: Some(pb::Money {
            amount: "250.00".into(),
        }),
        assessment_year: 2026,
        planned_payment_date: date(2099, 1, 15),
    };
    let proposed = recovery
        .propose_tax_refund_offset(d.suite.request(&tax, propose))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    let offset_amount = proposed.offset_amount.clone().unwrap_or_default().amount;
    assert_eq!(offset_amount, "250.00", "the 2007 arrears cover the refund");
    let get = || pb::GetTaxRefundOffsetRequest {
        refund_id: "IPP-CW-1".into(),
    };
    let mut sent = proposed.pre_offset_notices_sent;
    for _ in 0..300 {
        if sent {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let got = recovery
            .get_tax_refund_offset(d.suite.request(&tax, get()))
            .await?;
        sent = got
            .into_inner()
            .offset
            .unwrap_or_default()
            .pre_offset_notices_sent;
    }
    assert!(sent, "intake issued the pre-offset notice and said so");
    let confirm = pb::ConfirmTaxRefundOffsetRequest {
        idempotency_key: key("cwp-refund-ok"),
        refund_id: "IPP-CW-1".into(),
        paid_on: crate::common::today(),
    };
    recovery
        .confirm_tax_refund_offset(d.suite.request(&tax, confirm))
        .await?;
    // Both notices in the dossier's letters, to the debtor, with the figures.
    let mut notices = Vec::new();
    for _ in 0..300 {
        let letters = d
            .letters_of(pb::dossier_ref::Id::DossierNumber(number.to_owned()))
            .await?;
        notices = letters
            .into_iter()
            .filter(|l| {
                matches!(
                    l.kind(),
                    pb::LetterKind::PreOffsetNotice | pb::LetterKind::PostOffsetNotice
                )
            })
            .collect();
        if notices.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let kinds: Vec<pb::LetterKind> = notices.iter().map(|l| l.kind()).collect();
    assert_eq!(
        kinds,
        vec![
            pb::LetterKind::PostOffsetNotice,
            pb::LetterKind::PreOffsetNotice
        ]
    );
    let amount = flat(&secal_letters::format_amount(
        "250.00".parse()?,
        secal_letters::Language::Fr,
    ));
    for l in &notices {
        assert_eq!(l.recipient.clone().unwrap_or_default().name, "Paul Martin");
        let text = flat(&pdf_text(&d.letter(&l.letter_id).await?.pdf)?);
        assert!(text.contains("IPP-CW-1"), "{text}");
        assert!(text.contains(&amount), "{amount} in {text}");
    }
    let pre = flat(&pdf_text(&d.letter(&notices[1].letter_id).await?.pdf)?);
    assert!(
        pre.contains("15 janvier 2099"),
        "the date to object by: {pre}"
    );
    an_announced_offset_cancelled_is_written_to_the_debtor(d, &mut recovery, &tax).await
}

/// A second refund is announced to the debtor, then not paid: the cancellation voids the hold
/// and tells him nothing will be taken, with his debt as it stands.
async fn an_announced_offset_cancelled_is_written_to_the_debtor(
    d: &mut Desk,
    recovery: &mut secal_proto::v1::recovery_service_client::RecoveryServiceClient<Channel>,
    tax: &str,
) -> anyhow::Result<()> {
    let propose = pb::ProposeTaxRefundOffsetRequest {
        idempotency_key: key("cwp-refund-2"),
        refund_id: "IPP-CW-2".into(),
        taxpayer: Some(pb::NationalNumber {
            value: crate::form::DEBTOR.into(),
        }),
        refund_amount: crate::common::money("120.00"),
        assessment_year: 2026,
        planned_payment_date: date(2099, 2, 15),
    };
    let proposed = recovery
        .propose_tax_refund_offset(d.suite.request(tax, propose))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    let number = proposed
        .parts
        .first()
        .map(|p| p.dossier_number.clone())
        .unwrap_or_default();
    let cancel = pb::CancelTaxRefundOffsetRequest {
        idempotency_key: key("cwp-refund-2-no"),
        refund_id: "IPP-CW-2".into(),
        reason: "assessment revised: no refund".into(),
    };
    let cancelled = recovery
        .cancel_tax_refund_offset(d.suite.request(tax, cancel))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(cancelled.cancel_reason, "assessment revised: no refund");
    let letters = letters_of_kind(d, &number, pb::LetterKind::OffsetCancelled, 1).await?;
    assert_eq!(
        letters[0].recipient.clone().unwrap_or_default().name,
        "Paul Martin"
    );
    let text = flat(&pdf_text(&d.letter(&letters[0].letter_id).await?.pdf)?);
    let amount = flat(&secal_letters::format_amount(
        "120.00".parse()?,
        secal_letters::Language::Fr,
    ));
    for expected in [
        "Annulation de la compensation annoncée",
        "IPP-CW-2",
        &format!("Compensation annoncée, annulée {amount}"),
        "Votre dette exigible ce jour, inchangée",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    Ok(())
}

/// An adult child's advances need a proof every 6 months: the 18th birthday of each child
/// with advances, then the end of each renewal, is a task (the advances rule pays nothing
/// after it: libs/rules advances tests); the amendment recording a renewal closes that
/// child's task and opens the next, the others stay as they were.
#[tokio::test]
async fn an_adult_childs_renewal_is_a_task_until_an_amendment_records_it() -> anyhow::Result<()> {
    let mut d = desk(&[Svc::Calculation, Svc::Intake]).await?;
    let form = mother_of_three();
    let submitted = d
        .intake
        .submit_application(d.suite.request(&d.officer, submit("ren-1", form.clone())))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let id = submitted.application_id.clone();
    let channel = d.suite.channel(Svc::Intake).await?;
    crate::form::to_active(&channel, &d.suite, &d.officer, &id, "ren").await?;
    let renewals = |tasks: Vec<pb::Task>| {
        let mut open: Vec<(Option<pb::Date>, String)> = tasks
            .into_iter()
            .filter(|t| t.kind() == pb::TaskKind::AdultChildRenewal)
            .filter(|t| t.state() == pb::TaskState::Open)
            .map(|t| (t.due_on, t.task_id))
            .collect();
        open.sort_by_key(|(due, _)| due.map(|d| (d.year, d.month, d.day)));
        open
    };
    let before = renewals(d.tasks(&id, false).await?);
    let dues: Vec<Option<pb::Date>> = before.iter().map(|(due, _)| *due).collect();
    // Julie, Thomas and Léa turned 18 on these days.
    assert_eq!(
        dues,
        vec![date(2013, 5, 3), date(2016, 9, 21), date(2019, 12, 5)]
    );

    let today = chrono::Utc::now().date_naive();
    let until = today + chrono::Duration::days(150);
    let mut renewed = form.clone();
    if let Some(lea) = renewed
        .creditors
        .iter_mut()
        .find(|c| c.creditor_key == "c3")
    {
        lea.family_allowance_entitled = true;
        lea.entitlement_valid_until = crate::form::pb_date(until);
    }
    let amend = pb::AmendDossierRequest {
        idempotency_key: key("ren-amend"),
        dossier: by_id(&id),
        form: Some(renewed),
        effective_from: crate::form::pb_date(today),
        reason: "renewal of Léa's entitlement: school certificate".into(),
        expected_version: 0,
    };
    d.intake
        .amend_dossier(d.suite.request(&d.officer, amend))
        .await?;
    // Léa's next renewal is listed 30 days before its date: not yet in the queue, but there.
    assert_eq!(renewals(d.tasks(&id, false).await?).len(), 2);
    let after = renewals(d.tasks(&id, true).await?);
    assert_eq!(after.len(), 3);
    assert_eq!(after[0], before[0], "Julie's task stays as it was");
    assert_eq!(after[1], before[1], "Thomas's task stays as it was");
    assert_eq!(
        after[2].0,
        crate::form::pb_date(until),
        "Léa's next renewal"
    );
    let all = d.tasks(&id, true).await?;
    let closed = all
        .iter()
        .find(|t| t.task_id == before[2].1)
        .cloned()
        .unwrap_or_default();
    assert_eq!(closed.state(), pb::TaskState::Closed);
    assert_eq!(closed.closed_by_action, "AmendDossier");
    Ok(())
}

/// Waits (up to 30 s: payments' letters come through the pump) until the dossier has `n`
/// letters of a kind; answers them, oldest first.
async fn letters_of_kind(
    d: &mut Desk,
    number: &str,
    kind: pb::LetterKind,
    n: usize,
) -> anyhow::Result<Vec<pb::Letter>> {
    let mut found = Vec::new();
    for _ in 0..300 {
        found = d
            .letters_of(pb::dossier_ref::Id::DossierNumber(number.to_owned()))
            .await?
            .into_iter()
            .filter(|l| l.kind() == kind)
            .collect();
        if found.len() >= n {
            found.reverse();
            return Ok(found);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("{} {kind:?} letters, not {n}", found.len())
}

/// The month's advances run, to its end.
async fn run_advances(
    d: &Desk,
    payments: &mut secal_testkit::PaymentsClients,
    token: &str,
    (year, month): (i32, i32),
) -> anyhow::Result<pb::AdvancesRun> {
    let req = pb::RunMonthlyAdvancesRequest {
        idempotency_key: key(&format!("adv-{year}-{month}")),
        month: Some(pb::YearMonth { year, month }),
        progress_every: 0,
    };
    let mut stream = payments
        .advances
        .run_monthly_advances(d.suite.request(token, req))
        .await?
        .into_inner();
    let mut run = None;
    while let Some(msg) = stream.message().await? {
        if let Some(pb::run_monthly_advances_response::Update::Run(r)) = msg.update {
            run = Some(r);
        }
    }
    run.ok_or_else(|| anyhow::anyhow!("no final run message"))
}

/// Léa, 24, has advances while her family allowance is renewed; her renewal ran to
/// 30 November 2026 and was not done in time. November's run pays her and her mother gets the
/// grant; December's refuses her (renewal lapsed) and her mother gets the end, with the reason,
/// while the renewal task is still open. Julie and Thomas, 26 and over, are never paid: no
/// letter about them. Then the 2025 yearly statements: the debtor's and one per creditor to
/// the applicant, each with the year's figures payments states, once whatever the reruns.
#[tokio::test]
async fn advances_granted_and_ended_by_the_runs_and_the_yearly_statements() -> anyhow::Result<()> {
    let mut d = desk(&[Svc::Calculation, Svc::Payments, Svc::Intake]).await?;
    let mut form = mother_of_three();
    if let Some(t) = form.title.as_mut() {
        t.indexed = false;
    }
    if let Some(lea) = form.creditors.iter_mut().find(|c| c.creditor_key == "c3") {
        lea.family_allowance_entitled = true;
        lea.entitlement_valid_until = date(2026, 11, 30);
    }
    let submitted = d
        .intake
        .submit_application(d.suite.request(&d.officer, submit("adv-1", form)))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let id = submitted.application_id.clone();
    let channel = d.suite.channel(Svc::Intake).await?;
    let active = crate::form::to_active(&channel, &d.suite, &d.officer, &id, "adv").await?;
    let number = active.dossier.unwrap_or_default().dossier_number;
    let mut payments = secal_testkit::PaymentsClients::new(d.suite.channel(Svc::Payments).await?);
    let operator = d
        .suite
        .agent_token("agent-peeters", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    // The dues to today, once payments has the activation (intake's relay brings it).
    let book = pb::BookClaimAccountRequest {
        idempotency_key: key("adv-book"),
        dossier_number: number.clone(),
        booked_to: None,
    };
    let mut booked = Err(tonic::Status::unavailable("not asked yet"));
    for _ in 0..300 {
        let req = d.suite.request(&operator, book.clone());
        booked = payments.claims.book_claim_account(req).await;
        match &booked {
            Err(s) if matches!(s.code(), Code::FailedPrecondition | Code::NotFound) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            _ => break,
        }
    }
    booked?;

    let november = run_advances(&d, &mut payments, &operator, (2026, 11)).await?;
    let paid = |r: &pb::AdvancesRun| r.totals.as_ref().map(|t| (t.advances_paid, t.failed));
    assert_eq!(paid(&november), Some((1, 0)), "Léa only: {november:?}");
    let granted = letters_of_kind(&mut d, &number, pb::LetterKind::AdvancesGranted, 1).await?;
    let to = granted[0].recipient.clone().unwrap_or_default();
    assert_eq!(to.name, "Marie Dupont");
    let text = flat(&pdf_text(&d.letter(&granted[0].letter_id).await?.pdf)?);
    let amount = flat(&secal_letters::format_amount(
        "150.00".parse()?,
        secal_letters::Language::Fr,
    ));
    assert!(text.contains("Avance mensuelle pour Léa"), "{text}");
    assert!(text.contains(&amount), "{amount} in {text}");
    assert!(text.contains("1er novembre 2026"), "{text}");
    assert!(
        !text.contains("Julie") && !text.contains("Thomas"),
        "{text}"
    );

    let december = run_advances(&d, &mut payments, &operator, (2026, 12)).await?;
    assert_eq!(paid(&december), Some((0, 0)), "{december:?}");
    let ended = letters_of_kind(&mut d, &number, pb::LetterKind::AdvancesEnded, 1).await?;
    let pdf = d.letter(&ended[0].letter_id).await?.pdf;
    let text = flat(&pdf_text(&pdf)?);
    assert!(text.contains("1er décembre 2026"), "{text}");
    assert!(
        text.contains("Léa : l'enfant est majeur et la preuve semestrielle"),
        "{text}"
    );
    assert!(inked_pixels(&pdf)? > 0);
    // Her renewal was a task all along, due on the day it lapsed.
    let renewal =
        d.tasks(&id, false).await?.into_iter().find(|t| {
            t.kind() == pb::TaskKind::AdultChildRenewal && t.due_on == date(2026, 11, 30)
        });
    assert!(renewal.is_some(), "Léa's renewal task is open");
    // A rerun of a month requests nothing more.
    run_advances(&d, &mut payments, &operator, (2026, 12)).await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        letters_of_kind(&mut d, &number, pb::LetterKind::AdvancesEnded, 1)
            .await?
            .len(),
        1
    );
    yearly_statements_of_2025(&mut d, &number, &mut payments, &operator).await
}

/// The 2025 statements: one to the debtor, one per creditor (four) to the applicant; the
/// debtor's holds the year's dues as payments' statement sums them.
async fn yearly_statements_of_2025(
    d: &mut Desk,
    number: &str,
    payments: &mut secal_testkit::PaymentsClients,
    operator: &str,
) -> anyhow::Result<()> {
    let run = |k: &str, year: i32| pb::IssueYearlyStatementsRequest {
        idempotency_key: key(k),
        year,
        dispatch: None,
    };
    let this_year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let refused = d
        .letters
        .issue_yearly_statements(d.suite.request(&d.officer, run("year-now", this_year)))
        .await;
    assert_eq!(
        crate::common::violated_fields(&assert_code(refused, Code::InvalidArgument)),
        ["year"]
    );
    let first = d
        .letters
        .issue_yearly_statements(d.suite.request(&d.officer, run("year-1", 2025)))
        .await?
        .into_inner();
    assert_eq!(
        (first.dossiers, first.issued, first.already_issued),
        (1, 5, 0),
        "{first:?}"
    );
    assert!(first.failed_dossier_numbers.is_empty());
    let replay = d
        .letters
        .issue_yearly_statements(d.suite.request(&d.officer, run("year-1", 2025)))
        .await?
        .into_inner();
    assert_eq!(replay, first);
    let again = d
        .letters
        .issue_yearly_statements(d.suite.request(&d.officer, run("year-2", 2025)))
        .await?
        .into_inner();
    assert_eq!((again.issued, again.already_issued), (0, 5));
    let letters = letters_of_kind(d, number, pb::LetterKind::YearlyStatement, 5).await?;
    let names: Vec<String> = letters
        .iter()
        .map(|l| l.recipient.clone().unwrap_or_default().name)
        .collect();
    assert_eq!(names.iter().filter(|n| *n == "Paul Martin").count(), 1);
    assert_eq!(names.iter().filter(|n| *n == "Marie Dupont").count(), 4);
    let statement = payments
        .claims
        .get_debtor_statement(d.suite.request(
            operator,
            pb::GetDebtorStatementRequest {
                dossier_number: number.to_owned(),
                as_of: date(2025, 12, 31),
            },
        ))
        .await?
        .into_inner()
        .statement
        .unwrap_or_default();
    let due: rust_decimal::Decimal = statement
        .months
        .iter()
        .filter(|m| m.month.is_some_and(|ym| ym.year == 2025))
        .map(|m| {
            m.due
                .as_ref()
                .and_then(|x| x.amount.parse::<rust_decimal::Decimal>().ok())
                .unwrap_or_default()
        })
        .sum();
    assert!(due > rust_decimal::Decimal::ZERO, "2025 was booked");
    let to_debtor = letters
        .iter()
        .find(|l| l.recipient.clone().unwrap_or_default().name == "Paul Martin")
        .map(|l| l.letter_id.clone())
        .unwrap_or_default();
    let text = flat(&pdf_text(&d.letter(&to_debtor).await?.pdf)?);
    let due = flat(&secal_letters::format_amount(
        due,
        secal_letters::Language::Fr,
    ));
    assert!(text.contains("Relevé annuel"), "{text}");
    assert!(
        text.contains(&format!("Pensions échues dans l'année {due}")),
        "{due} in {text}"
    );
    assert!(text.contains(&statement.structured_reference), "{text}");
    Ok(())
}
