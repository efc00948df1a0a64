//! Payouts through gRPC against a real Postgres: a payout account confirmed by a second
//! agent, a pain.001 batch valid against the ISO 20022 schema, bank confirmation and
//! returns that put the money back on the payable account, with hand-calculated balances.

use crate::common;

use chrono::Datelike;
use common::{assert_code, date, key, money, violated_fields};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};
use tonic::Code;

struct Ctx {
    suite: Suite,
    pay: PaymentsClients,
    alice: String,
    bob: String,
    intake: String,
}

impl Ctx {
    async fn start() -> anyhow::Result<Self> {
        let suite = Suite::start(&[Svc::Payments]).await?;
        let pay = PaymentsClients::new(suite.channel(Svc::Payments).await?);
        let alice = suite.agent_token("agent-alice", &[roles::PAYMENTS_OPERATOR])?;
        let bob = suite.agent_token("agent-bob", &[roles::PAYMENTS_OPERATOR])?;
        let intake = suite.agent_token("intake", &[roles::SERVICE])?;
        Ok(Self {
            suite,
            pay,
            alice,
            bob,
            intake,
        })
    }

    fn a<T>(&self, m: T) -> tonic::Request<T> {
        self.suite.request(&self.alice, m)
    }

    fn b<T>(&self, m: T) -> tonic::Request<T> {
        self.suite.request(&self.bob, m)
    }

    /// Intake's event number `n` for dossier `d` at `version`, with `applicant` as the
    /// applicant's family name.
    async fn dossier_event(
        &mut self,
        n: u32,
        d: &str,
        version: i64,
        applicant: &str,
    ) -> anyhow::Result<pb::ReceiveDossierEventResponse> {
        self.dossier_event_with(n, d, version, applicant, None)
            .await
    }

    /// The same, with the payout account the applicant gave intake.
    async fn dossier_event_with(
        &mut self,
        n: u32,
        d: &str,
        version: i64,
        applicant: &str,
        payout: Option<pb::PayoutFrame>,
    ) -> anyhow::Result<pb::ReceiveDossierEventResponse> {
        let id = format!("00000000-0000-4000-8000-{n:012}");
        let r = self.suite.request(
            &self.intake,
            common::dossier_event(
                &id,
                version,
                pb::DossierSnapshot {
                    dossier_number: d.into(),
                    status: pb::DossierStatus::Active as i32,
                    applicant: Some(pb::DossierPerson {
                        person_id: "applicant-1".into(),
                        family_name: applicant.into(),
                        given_names: "Marie".into(),
                        ..Default::default()
                    }),
                    payout,
                    ..Default::default()
                },
            ),
        );
        Ok(self.pay.ledger.receive_dossier_event(r).await?.into_inner())
    }

    async fn accounts(&mut self, d: &str) -> anyhow::Result<Vec<pb::PayoutAccount>> {
        let r = self.a(pb::ListPayoutAccountsRequest {
            dossier_number: d.into(),
            page: None,
        });
        Ok(self
            .pay
            .payouts
            .list_payout_accounts(r)
            .await?
            .into_inner()
            .payout_accounts)
    }

    async fn fund(&mut self, id: &str, account: &str, amount: &str) -> anyhow::Result<()> {
        let r = self.a(pb::CreateLedgerTransfersRequest {
            idempotency_key: key(id),
            transfers: vec![pb::LedgerTransferSpec {
                transfer_id: id.into(),
                debit_account_id: "advances-funding".into(),
                credit_account_id: account.into(),
                amount: money(amount),
                code: pb::TransferCode::Advance as i32,
                value_date: date(2024, 5, 2),
                ..Default::default()
            }],
        });
        self.pay.ledger.create_ledger_transfers(r).await?;
        Ok(())
    }

    /// (posted balance, debits pending) of an account.
    async fn balance(&mut self, account: &str) -> anyhow::Result<(Dec, Dec)> {
        self.balance_at(account, None).await
    }

    async fn balance_at(
        &mut self,
        account: &str,
        as_of: Option<pb::Date>,
    ) -> anyhow::Result<(Dec, Dec)> {
        let r = self.a(pb::GetLedgerAccountRequest {
            account_id: account.into(),
            as_of,
        });
        let a = self.pay.ledger.get_ledger_account(r).await?.into_inner();
        let a = a.account.unwrap_or_default();
        Ok((eur(a.balance.as_ref()), eur(a.debits_pending.as_ref())))
    }

    async fn batch(
        &mut self,
        k: &str,
        d: &[&str],
    ) -> Result<pb::CreatePayoutBatchResponse, tonic::Status> {
        let r = self.a(pb::CreatePayoutBatchRequest {
            idempotency_key: key(k),
            requested_execution_date: common::today(),
            dossier_numbers: d.iter().map(|s| (*s).to_owned()).collect(),
            max_payouts: 0,
        });
        Ok(self.pay.payouts.create_payout_batch(r).await?.into_inner())
    }

    async fn give_back(
        &mut self,
        k: &str,
        p: &pb::Payout,
    ) -> anyhow::Result<pb::RecordPayoutReturnResponse> {
        Ok(self.give_back_on(k, p, date(2024, 6, 10)).await?)
    }

    async fn give_back_on(
        &mut self,
        k: &str,
        p: &pb::Payout,
        returned_on: Option<pb::Date>,
    ) -> Result<pb::RecordPayoutReturnResponse, tonic::Status> {
        let r = self.a(pb::RecordPayoutReturnRequest {
            idempotency_key: key(k),
            end_to_end_id: p.end_to_end_id.clone(),
            returned_on,
            amount: p.amount.clone(),
            reason_code: "AC04".into(),
            reason_text: "closed account".into(),
            ..Default::default()
        });
        Ok(self.pay.payouts.record_payout_return(r).await?.into_inner())
    }
}

type Dec = rust_decimal::Decimal;

fn eur(m: Option<&pb::Money>) -> Dec {
    m.map(|m| m.amount.parse().unwrap_or_default())
        .unwrap_or_default()
}

fn d(s: &str) -> Dec {
    s.parse().unwrap_or_default()
}

fn dossier(seq: u32) -> String {
    DossierNumber::new(2024, seq)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn account_change(k: &str, dossier: &str, iban: &str) -> pb::RequestPayoutAccountChangeRequest {
    pb::RequestPayoutAccountChangeRequest {
        idempotency_key: key(k),
        dossier_number: dossier.into(),
        account: Some(pb::BankAccount {
            iban: Some(pb::Iban { value: iban.into() }),
            bic: "GEBABEBB".into(),
            holder_name: "Marie Dupont".into(),
            bank_name: String::new(),
        }),
        holding: pb::AccountHolding::Sole as i32,
        lawyer_authorisation: None,
        source_reference: "letter-1".into(),
    }
}

#[tokio::test]
async fn payouts_go_to_confirmed_accounts_and_returns_restore_payable() -> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let (da, db) = (dossier(61), dossier(62));
    let (pay1, pay2) = (
        format!("payable/{da}/child-1"),
        format!("payable/{da}/child-2"),
    );
    let (out1, out2) = (
        format!("paid-out/{da}/child-1"),
        format!("paid-out/{da}/child-2"),
    );
    let pay_b = format!("payable/{db}/child-1");
    c.fund("f1", &pay1, "150.00").await?;
    c.fund("f2", &pay2, "50.25").await?;
    c.fund("f3", &pay_b, "30.00").await?;

    // Accounts are only for dossiers intake activated, and only in the applicant's name.
    let unknown = c.a(account_change("bad-0", &da, "BE71 0961 2345 6769"));
    let s = assert_code(
        c.pay.payouts.request_payout_account_change(unknown).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains("activated"), "{s:?}");
    c.dossier_event(1, &da, 1, "Dupont").await?;
    c.dossier_event(2, &db, 1, "Dupont").await?;
    let mut other = account_change("bad-3", &da, "BE71 0961 2345 6769");
    if let Some(a) = other.account.as_mut() {
        a.holder_name = "Jean Voisin".into();
    }
    let s = assert_code(
        c.pay
            .payouts
            .request_payout_account_change(c.a(other))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["account.holder_name"]);
    // Longer than a pain.001 creditor name once transliterated ("ß" is "ss").
    let mut long = account_change("bad-5", &da, "BE71 0961 2345 6769");
    if let Some(a) = long.account.as_mut() {
        a.holder_name = format!("Marie Dupont {}", "ß".repeat(30));
    }
    let s = assert_code(
        c.pay.payouts.request_payout_account_change(c.a(long)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["account.holder_name"]);

    // Bad input names its field; a lawyer's account needs the authorisation.
    let bad = c.a(account_change("bad-1", &da, "BE00 0000 0000 0000"));
    let s = assert_code(
        c.pay.payouts.request_payout_account_change(bad).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["account.iban"]);
    let mut lawyer = account_change("bad-2", &da, "BE71 0961 2345 6769");
    lawyer.holding = pb::AccountHolding::Lawyer as i32;
    let s = assert_code(
        c.pay
            .payouts
            .request_payout_account_change(c.a(lawyer))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["lawyer_authorisation.lawyer_name"]);
    // A lawyer's account must be the lawyer's, not the applicant's.
    let mut lawyer = account_change("bad-4", &da, "BE71 0961 2345 6769");
    lawyer.holding = pb::AccountHolding::Lawyer as i32;
    lawyer.lawyer_authorisation = Some(pb::LawyerAuthorisation {
        lawyer_name: "Lejeune".into(),
        document_key: "auth-1".into(),
        ..Default::default()
    });
    let s = assert_code(
        c.pay
            .payouts
            .request_payout_account_change(c.a(lawyer))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["account.holder_name"]);

    let req = c.a(account_change("acc-a", &da, "BE71 0961 2345 6769"));
    let acc = c
        .pay
        .payouts
        .request_payout_account_change(req)
        .await?
        .into_inner();
    let acc = acc.payout_account.unwrap_or_default();
    assert_eq!(
        acc.status,
        pb::PayoutAccountStatus::PendingConfirmation as i32
    );
    let req = c.a(account_change("acc-b", &db, "BE71 0961 2345 6769"));
    c.pay.payouts.request_payout_account_change(req).await?;

    // Separation of duties: the requester cannot confirm; another agent can.
    let confirm = |k: &str| pb::ConfirmPayoutAccountChangeRequest {
        idempotency_key: key(k),
        payout_account_id: acc.payout_account_id.clone(),
        method: pb::ConfirmationMethod::BankCertificate as i32,
        evidence_reference: "doc-42".into(),
    };
    let s = assert_code(
        c.pay
            .payouts
            .confirm_payout_account_change(c.a(confirm("c1")))
            .await,
        Code::PermissionDenied,
    );
    assert!(s.message().contains("requested"), "{s:?}");
    let done = c
        .pay
        .payouts
        .confirm_payout_account_change(c.b(confirm("c2")))
        .await?;
    let done = done.into_inner().payout_account.unwrap_or_default();
    assert_eq!(done.status, pb::PayoutAccountStatus::Active as i32);

    // The bank is asked to execute from today to a year ahead, not in the past.
    let now = chrono::Utc::now().date_naive();
    for (k, when) in [
        ("b0-past", now - chrono::Days::new(1)),
        ("b0-far", now + chrono::Days::new(366)),
    ] {
        let r = c.a(pb::CreatePayoutBatchRequest {
            idempotency_key: key(k),
            requested_execution_date: date(
                when.year(),
                i32::try_from(when.month()).unwrap_or(0),
                i32::try_from(when.day()).unwrap_or(0),
            ),
            dossier_numbers: vec![da.clone()],
            max_payouts: 0,
        });
        let s = assert_code(
            c.pay.payouts.create_payout_batch(r).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&s), ["requested_execution_date"], "{k}");
    }

    // One batch: both creditors of dossier A; B has no confirmed account.
    let first = c.batch("b1", &[&da, &db]).await?;
    let batch = first.batch.clone().unwrap_or_default();
    assert_eq!(batch.payout_count, 2);
    assert_eq!(eur(batch.control_sum.as_ref()), d("200.25"));
    assert_eq!(batch.first_payout_count, 2);
    assert_eq!(first.payouts.len(), 2);
    assert!(first.payouts.iter().all(|p| p.first_payout_to_account));
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].dossier_number, db);
    assert_eq!(
        first.skipped[0].reason,
        pb::PayoutSkipReason::NoConfirmedAccount as i32
    );
    secal_testkit::xml::validate(&first.pain001, "pain.001.001.03.xsd")?;
    let xml = String::from_utf8_lossy(&first.pain001).into_owned();
    assert!(xml.contains("<CtrlSum>200.25</CtrlSum>"), "{xml}");
    assert!(xml.contains("BE71096123456769"), "{xml}");

    // A retry returns the same batch; the key with another request is refused.
    let again = c.batch("b1", &[&da, &db]).await?;
    assert_eq!(again, first);
    assert_code(c.batch("b1", &[&da]).await, Code::FailedPrecondition);
    // Reserved: nothing more is payable for A; payable keeps its posted balance.
    let none = c.batch("b2", &[&da]).await?;
    assert!(none.batch.is_none() && none.payouts.is_empty(), "{none:?}");
    assert_eq!(c.balance(&pay1).await?, (d("150"), d("150")));
    let got = c
        .pay
        .payouts
        .get_payout_batch(c.a(pb::GetPayoutBatchRequest {
            batch_id: batch.batch_id.clone(),
            include_file: true,
        }));
    let got = got.await?.into_inner();
    assert_eq!(got.pain001, first.pain001);

    // The bank executes child-1's payout only.
    let (p1, p2) = match first
        .payouts
        .iter()
        .find(|p| p.creditor_person_id == "child-1")
    {
        Some(p) if first.payouts[0] == *p => (first.payouts[0].clone(), first.payouts[1].clone()),
        _ => (first.payouts[1].clone(), first.payouts[0].clone()),
    };
    assert_eq!(eur(p1.amount.as_ref()), d("150"));
    let conf = c
        .pay
        .payouts
        .confirm_payouts(c.a(pb::ConfirmPayoutsRequest {
            idempotency_key: key("conf-1"),
            batch_id: batch.batch_id.clone(),
            payout_ids: vec![p1.payout_id.clone()],
            booked_on: date(2024, 6, 3),
            bank_reference: "bank-1".into(),
        }));
    let conf = conf.await?.into_inner();
    assert_eq!(conf.payouts.len(), 1);
    assert_eq!(conf.payouts[0].state, pb::PayoutState::Confirmed as i32);
    let state = conf.batch.unwrap_or_default().state;
    assert_eq!(state, pb::PayoutBatchState::PartlySettled as i32);
    assert_eq!(c.balance(&pay1).await?, (d("0"), d("0")));
    assert_eq!(c.balance(&out1).await?.0, d("150"));

    // child-2's payout is rejected while pending: voided, payable again; the account blocks.
    let ret = c.give_back("r2", &p2).await?;
    assert_eq!(
        ret.payout.unwrap_or_default().state,
        pb::PayoutState::Returned as i32
    );
    let acct = ret.payout_account.unwrap_or_default();
    assert_eq!(acct.status, pb::PayoutAccountStatus::Blocked as i32);
    assert_eq!(c.balance(&pay2).await?, (d("50.25"), d("0")));
    // child-1's executed payout comes back: booked back from paid-out to payable, on the
    // bank's date (a day ahead of this clock is the bank's today already; later is refused).
    let today = chrono::Utc::now().date_naive();
    let on = |d: chrono::NaiveDate| {
        date(
            d.year(),
            i32::try_from(d.month()).unwrap_or(0),
            i32::try_from(d.day()).unwrap_or(0),
        )
    };
    let later = c
        .give_back_on("r1-later", &p1, on(today + chrono::Days::new(2)))
        .await;
    assert_eq!(
        violated_fields(&assert_code(later, Code::InvalidArgument)),
        ["returned_on"]
    );
    let tomorrow = on(today + chrono::Days::new(1));
    c.give_back_on("r1", &p1, tomorrow).await?;
    let history = c
        .pay
        .ledger
        .list_ledger_transfers(c.a(pb::ListLedgerTransfersRequest {
            account_id: out1.clone(),
            ..Default::default()
        }));
    let history = history.await?.into_inner().transfers;
    let back = history
        .iter()
        .find(|t| t.transfer_id.ends_with("#returned"));
    assert_eq!(back.map(|t| t.value_date), Some(tomorrow), "{history:?}");
    assert_eq!(c.balance_at(&pay1, tomorrow).await?, (d("150"), d("0")));
    assert_eq!(c.balance_at(&out1, tomorrow).await?.0, d("0"));
    assert_eq!(c.balance_at(&out2, tomorrow).await?.0, d("0"));
    // A retried return replays; nothing is booked twice.
    c.give_back_on("r1", &p1, tomorrow).await?;
    assert_eq!(c.balance_at(&pay1, tomorrow).await?, (d("150"), d("0")));

    // Blocked account: nothing is paid until a new account is confirmed.
    let blocked = c.batch("b3", &[&da]).await?;
    assert!(blocked.batch.is_none());
    assert!(
        blocked
            .skipped
            .iter()
            .all(|s| s.reason == pb::PayoutSkipReason::AccountBlocked as i32)
    );
    assert_eq!(blocked.skipped.len(), 2);
    let returned = c.pay.payouts.list_payouts(c.a(pb::ListPayoutsRequest {
        dossier_number: da.clone(),
        state: pb::PayoutState::Returned as i32,
        ..Default::default()
    }));
    let returned = returned.await?.into_inner().payouts;
    assert_eq!(returned.len(), 2);
    assert!(returned.iter().all(|p| {
        p.return_info
            .as_ref()
            .is_some_and(|r| r.reason_code == "AC04")
    }));
    let list = c
        .pay
        .payouts
        .list_payout_accounts(c.a(pb::ListPayoutAccountsRequest {
            dossier_number: da.clone(),
            page: None,
        }));
    assert_eq!(list.await?.into_inner().payout_accounts.len(), 1);

    // B's account is confirmed, then intake reports another applicant: the account in the
    // former applicant's name is no longer paid to.
    let pending_b = c
        .pay
        .payouts
        .list_payout_accounts(c.a(pb::ListPayoutAccountsRequest {
            dossier_number: db.clone(),
            page: None,
        }));
    let acc_b = pending_b.await?.into_inner().payout_accounts;
    let acc_b = acc_b.first().cloned().unwrap_or_default();
    c.pay
        .payouts
        .confirm_payout_account_change(c.b(pb::ConfirmPayoutAccountChangeRequest {
            idempotency_key: key("c-b"),
            payout_account_id: acc_b.payout_account_id,
            method: pb::ConfirmationMethod::BankCertificate as i32,
            evidence_reference: "doc-43".into(),
        }))
        .await?;
    c.dossier_event(3, &db, 2, "Martin").await?;
    let held = c.batch("b4", &[&db]).await?;
    assert!(held.batch.is_none(), "{held:?}");
    let reasons: Vec<i32> = held.skipped.iter().map(|s| s.reason).collect();
    assert_eq!(reasons, [pb::PayoutSkipReason::HolderNotAllowed as i32]);
    assert_eq!(c.balance(&pay_b).await?, (d("30"), d("0")));
    Ok(())
}

fn frame(iban: &str, holder: &str) -> Option<pb::PayoutFrame> {
    Some(pb::PayoutFrame {
        account: Some(pb::BankAccount {
            iban: Some(pb::Iban { value: iban.into() }),
            bic: "GEBABEBB".into(),
            holder_name: holder.into(),
            bank_name: String::new(),
        }),
        holding: pb::AccountHolding::Joint as i32,
        lawyer_authorisation: None,
    })
}

#[tokio::test]
async fn the_account_given_to_intake_awaits_an_agents_confirmation() -> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let (d, other) = (dossier(71), dossier(72));
    let iban = "BE71 0961 2345 6769";
    c.dossier_event_with(11, &d, 1, "Dupont", frame(iban, "M. et Mme Dupont-Martin"))
        .await?;
    let proposed = c.accounts(&d).await?;
    assert_eq!(proposed.len(), 1, "{proposed:?}");
    let p = &proposed[0];
    assert_eq!(
        p.status,
        pb::PayoutAccountStatus::PendingConfirmation as i32
    );
    assert_eq!(
        p.source_reference,
        "intake event 00000000-0000-4000-8000-000000000011"
    );
    let iban_of = |a: &pb::PayoutAccount| {
        a.account
            .as_ref()
            .and_then(|b| b.iban.as_ref())
            .map(|i| i.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(iban_of(p), "BE71096123456769");
    // Not paid to before confirmation.
    c.fund("f-71", &format!("payable/{d}/child-1"), "90.00")
        .await?;
    let before = c.batch("b-71", &[&d]).await?;
    assert!(before.batch.is_none(), "{before:?}");

    // Redelivered, or repeated by a later event: proposed once.
    let again = c
        .dossier_event_with(11, &d, 1, "Dupont", frame(iban, "M. et Mme Dupont-Martin"))
        .await?;
    assert!(again.duplicate);
    c.dossier_event_with(12, &d, 2, "Dupont", frame(iban, "M. et Mme Dupont-Martin"))
        .await?;
    assert_eq!(c.accounts(&d).await?.len(), 1);

    // Any agent but the requester (intake) confirms it; then it is paid to, flagged first.
    c.pay
        .payouts
        .confirm_payout_account_change(c.a(pb::ConfirmPayoutAccountChangeRequest {
            idempotency_key: key("c-71"),
            payout_account_id: p.payout_account_id.clone(),
            method: pb::ConfirmationMethod::LetterToOfficialAddress as i32,
            evidence_reference: "letter-71".into(),
        }))
        .await?;
    let paid = c.batch("b-72", &[&d]).await?;
    assert_eq!(paid.payouts.len(), 1);
    assert!(paid.payouts[0].first_payout_to_account);

    // A new account in a later event is another change awaiting confirmation.
    c.dossier_event_with(
        13,
        &d,
        3,
        "Dupont",
        frame("BE48 0011 2345 6727", "Marie Dupont"),
    )
    .await?;
    let mut statuses: Vec<i32> = c.accounts(&d).await?.iter().map(|a| a.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [
            pb::PayoutAccountStatus::PendingConfirmation as i32,
            pb::PayoutAccountStatus::Active as i32
        ]
    );

    // Someone else's account is not proposed; the event is still applied.
    let applied = c
        .dossier_event_with(14, &other, 1, "Dupont", frame(iban, "Jean Voisin"))
        .await?;
    assert!(applied.applied);
    assert!(c.accounts(&other).await?.is_empty());
    Ok(())
}

/// The service's own account (the pain.001 debtor account, dev default).
const OWN_IBAN: &str = "BE68 5390 0754 7034";

#[tokio::test]
async fn the_services_own_account_is_never_a_payout_account() -> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let (d, e) = (dossier(81), dossier(82));
    c.dossier_event(21, &d, 1, "Dupont").await?;
    let own = c.a(account_change("own-1", &d, OWN_IBAN));
    let s = assert_code(
        c.pay.payouts.request_payout_account_change(own).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["account.iban"]);
    assert!(c.accounts(&d).await?.is_empty());

    // Given to intake: not proposed, and the event is still applied.
    let applied = c
        .dossier_event_with(22, &e, 1, "Dupont", frame(OWN_IBAN, "Marie Dupont"))
        .await?;
    assert!(applied.applied);
    assert!(c.accounts(&e).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_payout_is_not_confirmed_as_booked_after_today() -> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let dn = dossier(83);
    let pay = format!("payable/{dn}/child-1");
    c.dossier_event(31, &dn, 1, "Dupont").await?;
    c.fund("f-83", &pay, "40.00").await?;
    let acc = c
        .pay
        .payouts
        .request_payout_account_change(c.a(account_change("acc-83", &dn, "BE71 0961 2345 6769")))
        .await?
        .into_inner()
        .payout_account
        .unwrap_or_default();
    c.pay
        .payouts
        .confirm_payout_account_change(c.b(pb::ConfirmPayoutAccountChangeRequest {
            idempotency_key: key("c-83"),
            payout_account_id: acc.payout_account_id,
            method: pb::ConfirmationMethod::BankCertificate as i32,
            evidence_reference: "doc-83".into(),
        }))
        .await?;
    let batch = c.batch("b-83", &[&dn]).await?.batch.unwrap_or_default();
    let confirm = |k: &str, on: chrono::NaiveDate| pb::ConfirmPayoutsRequest {
        idempotency_key: key(k),
        batch_id: batch.batch_id.clone(),
        payout_ids: vec![],
        booked_on: date(
            on.year(),
            i32::try_from(on.month()).unwrap_or(0),
            i32::try_from(on.day()).unwrap_or(0),
        ),
        bank_reference: "bank-83".into(),
    };
    // Beyond the bank's today (a day ahead of this clock may be it already): refused, and
    // the payout stays pending.
    let today = chrono::Utc::now().date_naive();
    let later = c
        .pay
        .payouts
        .confirm_payouts(c.a(confirm("conf-83a", today + chrono::Days::new(2))))
        .await;
    let s = assert_code(later, Code::InvalidArgument);
    assert_eq!(violated_fields(&s), ["booked_on"]);
    assert_eq!(c.balance(&pay).await?, (d("40"), d("40")));
    c.pay
        .payouts
        .confirm_payouts(c.a(confirm("conf-83b", today)))
        .await?;
    assert_eq!(c.balance(&pay).await?, (d("0"), d("0")));
    Ok(())
}

#[tokio::test]
async fn the_ledger_of_a_dossier_payments_never_heard_of_is_not_found() -> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let (unknown, by_event, by_account) = (dossier(91), dossier(92), dossier(93));
    let r = c.a(ledger_of(&unknown));
    assert_code(c.pay.ledger.get_dossier_ledger(r).await, Code::NotFound);
    // Known from intake's event, no money yet: an empty ledger.
    c.dossier_event(41, &by_event, 1, "Dupont").await?;
    let r = c.a(ledger_of(&by_event));
    let empty = c.pay.ledger.get_dossier_ledger(r).await?.into_inner();
    assert!(empty.accounts.is_empty());
    // Known by a ledger account of it.
    c.fund("f-93", &format!("payable/{by_account}/child-1"), "5.00")
        .await?;
    let r = c.a(ledger_of(&by_account));
    let funded = c.pay.ledger.get_dossier_ledger(r).await?.into_inner();
    assert_eq!(funded.accounts.len(), 1, "{funded:?}");
    Ok(())
}

fn ledger_of(d: &str) -> pb::GetDossierLedgerRequest {
    pb::GetDossierLedgerRequest {
        dossier_number: d.into(),
        as_of: None,
    }
}
