//! The claim account's reads through gRPC against a real Postgres: the debtor's and a
//! creditor's statements as of a date (checked figure by figure and against the ledger's own
//! positions), the prescription watch (order, window, paging, totals, validation) and the
//! claim account itself (the form's acts, the acts recorded since, the mandate as booked).

use crate::common;

use common::{assert_code, date, key, money, nn, violated_fields};
use rust_decimal::Decimal;
use secal_domain::{DossierNumber, StructuredReference};
use secal_proto::v1 as pb;
use secal_testkit::Svc;
use tonic::Code;

type Claims =
    pb::claim_account_service_client::ClaimAccountServiceClient<tonic::transport::Channel>;

struct Ctx {
    c: common::PaymentsCtx,
    claims: Claims,
}

impl Ctx {
    async fn start(services: &[Svc]) -> anyhow::Result<Self> {
        let c = common::PaymentsCtx::start(services, "agent-claim-reads").await?;
        let claims = Claims::new(c.suite.channel(Svc::Payments).await?);
        Ok(Self { c, claims })
    }

    async fn debtor_statement(
        &mut self,
        d: &str,
        as_of: Option<pb::Date>,
    ) -> Result<pb::Statement, tonic::Status> {
        let r = self.c.req(pb::GetDebtorStatementRequest {
            dossier_number: d.into(),
            as_of,
        });
        let s = self.claims.get_debtor_statement(r).await?.into_inner();
        Ok(s.statement.unwrap_or_default())
    }

    async fn creditor_statement(
        &mut self,
        d: &str,
        creditor: &str,
        as_of: Option<pb::Date>,
    ) -> Result<pb::Statement, tonic::Status> {
        let r = self.c.req(pb::GetCreditorStatementRequest {
            dossier_number: d.into(),
            as_of,
            creditor_person_id: creditor.into(),
        });
        let s = self.claims.get_creditor_statement(r).await?.into_inner();
        Ok(s.statement.unwrap_or_default())
    }

    async fn watch(
        &mut self,
        within_days: i32,
        dossier: &str,
        size: i32,
        token: &str,
    ) -> Result<pb::ListPrescriptionWatchResponse, tonic::Status> {
        let r = self.c.req(pb::ListPrescriptionWatchRequest {
            within_days,
            as_of: date(2030, 1, 1),
            dossier_number: dossier.into(),
            page: Some(pb::PageRequest {
                page_size: size,
                page_token: token.into(),
            }),
        });
        Ok(self.claims.list_prescription_watch(r).await?.into_inner())
    }

    async fn account(&mut self, d: &str) -> Result<pb::GetClaimAccountResponse, tonic::Status> {
        let r = self.c.req(pb::GetClaimAccountRequest {
            dossier_number: d.into(),
        });
        Ok(self.claims.get_claim_account(r).await?.into_inner())
    }

    async fn activate(&mut self, event_id: &str, s: pb::DossierSnapshot) -> anyhow::Result<()> {
        let r = self.c.req(common::dossier_event(event_id, 1, s));
        self.c.ledger.receive_dossier_event(r).await?;
        Ok(())
    }
}

fn eur(m: &Option<pb::Money>) -> Decimal {
    m.as_ref()
        .and_then(|m| m.amount.parse().ok())
        .unwrap_or(Decimal::MIN)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or(Decimal::MAX)
}

fn ym(year: i32, month: i32) -> Option<pb::YearMonth> {
    Some(pb::YearMonth { year, month })
}

fn person(id: &str) -> Option<pb::DossierPerson> {
    Some(pb::DossierPerson {
        person_id: id.into(),
        ..Default::default()
    })
}

fn creditor(key: &str, id: &str) -> pb::DossierCreditor {
    pb::DossierCreditor {
        person: person(id),
        creditor_key: key.into(),
        ..Default::default()
    }
}

/// An active dossier with three children and no title: nothing for the claim account to
/// book on activation, so the ledger holds exactly what the test books.
fn without_title(number: &str) -> pb::DossierSnapshot {
    pb::DossierSnapshot {
        dossier_number: number.into(),
        status: pb::DossierStatus::Active as i32,
        debtor: Some(pb::DossierPerson {
            person_id: "debtor-1".into(),
            national_number: nn(common::NISS_1985),
            ..Default::default()
        }),
        creditors: vec![
            creditor("c1", "child-1"),
            creditor("c2", "child-2"),
            creditor("c3", "child-3"),
        ],
        ..Default::default()
    }
}

/// A month's figures: due, paid, advanced, recovered, open, time-barred, interest, fee.
fn month_row(m: &pb::StatementMonth) -> (i32, i32, [Decimal; 8]) {
    let ym = m.month.unwrap_or_default();
    (
        ym.year,
        ym.month,
        [
            eur(&m.due),
            eur(&m.paid),
            eur(&m.advanced),
            eur(&m.recovered),
            eur(&m.open),
            eur(&m.time_barred),
            eur(&m.interest),
            eur(&m.fee),
        ],
    )
}

fn row(year: i32, month: i32, figures: [&str; 8]) -> (i32, i32, [Decimal; 8]) {
    (year, month, figures.map(d))
}

/// Totals: due, paid, advanced, recovered, open, time-barred, interest, fee, interest paid,
/// fee paid, outstanding.
fn totals_row(s: &pb::Statement) -> [Decimal; 11] {
    let t = s.totals.clone().unwrap_or_default();
    [
        eur(&t.due),
        eur(&t.paid),
        eur(&t.advanced),
        eur(&t.recovered),
        eur(&t.open),
        eur(&t.time_barred),
        eur(&t.interest),
        eur(&t.fee),
        eur(&t.interest_paid),
        eur(&t.fee_paid),
        eur(&t.outstanding),
    ]
}

fn item(component: pb::DebtComponent, creditor: &str, month: i32, amount: &str) -> pb::DebtItem {
    pb::DebtItem {
        component: component as i32,
        creditor_person_id: creditor.into(),
        month: ym(2024, month),
        amount: money(amount),
        enforceable_since: date(2024, month, 5),
    }
}

fn transfer(id: &str, debit: &str, credit: &str, amount: &str) -> pb::LedgerTransferSpec {
    pb::LedgerTransferSpec {
        transfer_id: id.into(),
        debit_account_id: debit.into(),
        credit_account_id: credit.into(),
        amount: money(amount),
        code: pb::TransferCode::Advance as i32,
        value_date: date(2024, 1, 20),
        for_month: ym(2024, 1),
        ..Default::default()
    }
}

/// January: 200 to child-1 (150 of it advanced by SECAL), 150 to child-2, interest 12 and
/// the fee 45.50; February: 200 to child-1. The debtor pays 400 on 1 March (January in full,
/// SECAL's advance first, then 50 of February) and 170 on 1 April (February's rest, the
/// interest, 8 of the fee).
async fn book_ledger(x: &mut Ctx, number: &str) -> anyhow::Result<()> {
    use pb::DebtComponent as C;
    let r = x.c.req(pb::RecognizeDebtorDebtRequest {
        idempotency_key: key("claim-reads-debt"),
        dossier_number: number.into(),
        items: vec![
            item(C::Principal, "child-1", 1, "200.00"),
            item(C::Principal, "child-2", 1, "150.00"),
            item(C::Principal, "child-1", 2, "200.00"),
            item(C::Interest, "child-1", 1, "12.00"),
            item(C::Surcharge, "", 1, "45.50"),
        ],
        basis: "test debts".into(),
    });
    x.c.ledger.recognize_debtor_debt(r).await?;
    // SECAL's advance for January, booked as the advances run books it (both legs).
    let r = x.c.req(pb::CreateLedgerTransfersRequest {
        idempotency_key: key("claim-reads-advance"),
        transfers: vec![
            transfer(
                "claim-reads/adv/sub",
                &format!("creditor-claim/{number}/child-1"),
                &format!("service-advance-claim/{number}/child-1"),
                "150.00",
            ),
            transfer(
                "claim-reads/adv/pay",
                "advances-funding",
                &format!("payable/{number}/child-1"),
                "150.00",
            ),
        ],
    });
    x.c.ledger.create_ledger_transfers(r).await?;
    for (k, amount, received_on) in [
        ("claim-reads-pay-1", "400.00", date(2024, 3, 1)),
        ("claim-reads-pay-2", "170.00", date(2024, 4, 1)),
    ] {
        let r = x.c.req(pb::RecordDebtorPaymentRequest {
            idempotency_key: key(k),
            dossier_number: number.into(),
            amount: money(amount),
            received_on,
            ..Default::default()
        });
        x.c.receipts.record_debtor_payment(r).await?;
    }
    Ok(())
}

#[tokio::test]
async fn statements_show_the_ledger_per_month_as_of_a_date() -> anyhow::Result<()> {
    let mut x = Ctx::start(&[Svc::Payments]).await?;
    let number = DossierNumber::new(2024, 41)?.to_string();
    x.activate(
        "00000000-0000-4000-8000-000000000641",
        without_title(&number),
    )
    .await?;
    book_ledger(&mut x, &number).await?;

    // Mid-March: the first payment only.
    let s = x.debtor_statement(&number, date(2024, 3, 15)).await?;
    assert_eq!(s.dossier_number, number);
    assert_eq!(s.as_of, date(2024, 3, 15));
    assert_eq!(
        s.structured_reference,
        StructuredReference::from_base(2_024_000_041)?.to_string()
    );
    assert!(s.creditor_person_id.is_empty());
    let months: Vec<_> = s.months.iter().map(month_row).collect();
    assert_eq!(
        months,
        [
            row(
                2024,
                1,
                ["350", "350", "150", "150", "0", "0", "12", "45.50"]
            ),
            row(2024, 2, ["200", "50", "0", "0", "150", "0", "0", "0"]),
        ]
    );
    assert_eq!(
        totals_row(&s),
        [
            "550", "400", "150", "150", "150", "0", "12", "45.50", "0", "0", "207.50"
        ]
        .map(d)
    );

    // A statement as of a date before anything was booked has no month.
    let before = x.debtor_statement(&number, date(2023, 12, 31)).await?;
    assert!(before.months.is_empty());
    assert_eq!(totals_row(&before), [Decimal::ZERO; 11]);

    // Today: both payments.
    let s = x.debtor_statement(&number, None).await?;
    assert_eq!(s.as_of, common::today());
    let months: Vec<_> = s.months.iter().map(month_row).collect();
    assert_eq!(
        months[1],
        row(2024, 2, ["200", "200", "0", "0", "0", "0", "0", "0"])
    );
    assert_eq!(
        totals_row(&s),
        [
            "550", "550", "150", "150", "0", "0", "12", "45.50", "12", "8", "37.50"
        ]
        .map(d)
    );
    // The debtor's outstanding is what the ledger says the debtor owes.
    let ledger =
        x.c.ledger
            .get_dossier_ledger(x.c.req(pb::GetDossierLedgerRequest {
                dossier_number: number.clone(),
                as_of: None,
            }))
            .await?
            .into_inner();
    assert_eq!(
        eur(&s.totals.clone().unwrap_or_default().outstanding),
        eur(&ledger.debtor_outstanding)
    );

    // child-1's statement: its months, no fee; what it may still receive matches its claim
    // and SECAL's advances outstanding in the ledger (nothing is time-barred here).
    let s1 = x
        .creditor_statement(&number, "child-1", date(2024, 3, 15))
        .await?;
    assert_eq!(s1.creditor_person_id, "child-1");
    let months: Vec<_> = s1.months.iter().map(month_row).collect();
    assert_eq!(
        months,
        [
            row(2024, 1, ["200", "200", "150", "150", "0", "0", "12", "0"]),
            row(2024, 2, ["200", "50", "0", "0", "150", "0", "0", "0"]),
        ]
    );
    assert_eq!(
        totals_row(&s1),
        [
            "400", "250", "150", "150", "150", "0", "12", "0", "0", "0", "162"
        ]
        .map(d)
    );
    let now1 = x.creditor_statement(&number, "child-1", None).await?;
    let position = ledger
        .creditors
        .iter()
        .find(|p| p.creditor_person_id == "child-1")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        eur(&now1.totals.clone().unwrap_or_default().outstanding),
        eur(&position.claim_outstanding) + eur(&position.advances_outstanding)
    );
    let s2 = x.creditor_statement(&number, "child-2", None).await?;
    let months: Vec<_> = s2.months.iter().map(month_row).collect();
    assert_eq!(
        months,
        [row(2024, 1, ["150", "150", "0", "0", "0", "0", "0", "0"])]
    );
    // child-3 is a creditor of the snapshot with nothing booked yet.
    let s3 = x.creditor_statement(&number, "child-3", None).await?;
    assert!(s3.months.is_empty());
    assert_eq!(totals_row(&s3), [Decimal::ZERO; 11]);

    // Who is not a creditor of the dossier, an unknown dossier, bad fields.
    let err = assert_code(
        x.creditor_statement(&number, "child-9", None).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&err), ["creditor_person_id"]);
    let unknown = DossierNumber::new(2024, 942)?.to_string();
    assert_code(x.debtor_statement(&unknown, None).await, Code::NotFound);
    assert_code(
        x.creditor_statement(&unknown, "child-1", None).await,
        Code::NotFound,
    );
    let err = assert_code(
        x.creditor_statement("SEC-2024", " ", date(2024, 2, 30))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&err),
        ["dossier_number", "as_of", "creditor_person_id"]
    );
    Ok(())
}

/// One stored line of a booking's table (until a dues run fills them, the watch is fed
/// directly): dossier, creditor, month, prescription limit, status, unpaid cents.
type Line<'a> = (&'a str, &'a str, (i32, u32), (i32, u32, u32), i16, i64);

async fn store_lines(x: &Ctx, lines: &[Line<'_>]) -> anyhow::Result<()> {
    let admin = x.c.suite.admin_pool().await?;
    for (i, (dossier, creditor, (y, m), (ly, lm, ld), status, unpaid)) in lines.iter().enumerate() {
        let month = chrono::NaiveDate::from_ymd_opt(*y, *m, 1);
        let limit = chrono::NaiveDate::from_ymd_opt(*ly, *lm, *ld);
        sqlx::query(
            "INSERT INTO payments.claim_lines (dossier_number, creditor, creditor_position, kind,
                 month, due_date, due_cents, unpaid_cents, status, prescription_limit,
                 limitation_set_by, interest_cents, interest_from, booked_to)
             VALUES ($1, $2, $3, 1, $4, $4 + 4, 25000, $5, $6, $7, '', 0, NULL, '2029-12-01')",
        )
        .bind(dossier)
        .bind(creditor)
        .bind(i32::try_from(i)?)
        .bind(month)
        .bind(unpaid)
        .bind(status)
        .bind(limit)
        .execute(&admin)
        .await?;
    }
    Ok(())
}

/// (dossier, creditor, month, days left, at stake) of each item.
fn items(r: &pb::ListPrescriptionWatchResponse) -> Vec<(String, String, i32, i32, Decimal)> {
    r.items
        .iter()
        .map(|i| {
            (
                i.dossier_number.clone(),
                i.creditor_person_id.clone(),
                i.month.unwrap_or_default().month,
                i.days_left,
                eur(&i.at_stake),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_watch_lists_open_lines_soonest_first_with_what_is_at_stake() -> anyhow::Result<()> {
    let mut x = Ctx::start(&[Svc::Payments]).await?;
    let d1 = DossierNumber::new(2024, 51)?.to_string();
    let d2 = DossierNumber::new(2024, 52)?.to_string();
    let (open, paid, barred) = (1, 2, 3);
    store_lines(
        &x,
        &[
            (&d1, "child-1", (2025, 1), (2030, 1, 10), open, 10_000),
            (&d1, "child-1", (2025, 2), (2030, 3, 1), open, 5_000),
            (&d2, "child-9", (2025, 1), (2030, 1, 10), open, 7_000),
            // Not watched: paid, time-barred, nothing unpaid, already past, too far.
            (&d1, "child-1", (2025, 3), (2030, 1, 5), paid, 0),
            (&d2, "child-9", (2025, 2), (2030, 1, 2), barred, 3_000),
            (&d1, "child-1", (2025, 4), (2030, 1, 6), open, 0),
            (&d1, "child-1", (2025, 5), (2029, 12, 31), open, 2_000),
            (&d2, "child-9", (2025, 3), (2030, 6, 1), open, 4_000),
            // The last day of the 90 is in the window.
            (&d2, "child-9", (2025, 4), (2030, 4, 1), open, 1_000),
        ],
    )
    .await?;

    let all = x.watch(0, "", 0, "").await?;
    let expected = [
        (d1.clone(), "child-1".to_owned(), 1, 9, d("100")),
        (d2.clone(), "child-9".to_owned(), 1, 9, d("70")),
        (d1.clone(), "child-1".to_owned(), 2, 59, d("50")),
        (d2.clone(), "child-9".to_owned(), 4, 90, d("10")),
    ];
    assert_eq!(items(&all), expected);
    assert_eq!(eur(&all.total_at_stake), d("230"));
    assert!(
        all.page
            .clone()
            .unwrap_or_default()
            .next_page_token
            .is_empty()
    );
    let first = &all.items[0];
    assert_eq!(first.due_date, date(2025, 1, 5));
    assert_eq!(first.prescription_limit, date(2030, 1, 10));
    assert_eq!(first.booked_to, date(2029, 12, 1));
    use pb::LegalActKind as L;
    assert_eq!(
        first.interrupted_by,
        [
            L::Summons,
            L::PaymentOrder,
            L::Seizure,
            L::DebtorAcknowledgement
        ]
        .map(|k| k as i32)
    );

    // Pages of 3: the total is over every line on each page.
    let p1 = x.watch(90, "", 3, "").await?;
    assert_eq!(items(&p1), expected[..3]);
    let token = p1.page.clone().unwrap_or_default().next_page_token;
    assert!(!token.is_empty());
    let p2 = x.watch(90, "", 3, &token).await?;
    assert_eq!(items(&p2), expected[3..]);
    assert!(
        p2.page
            .clone()
            .unwrap_or_default()
            .next_page_token
            .is_empty()
    );
    assert_eq!(eur(&p2.total_at_stake), d("230"));

    // One dossier; a wider window.
    let only = x.watch(90, &d2, 0, "").await?;
    assert_eq!(items(&only), [expected[1].clone(), expected[3].clone()]);
    assert_eq!(eur(&only.total_at_stake), d("80"));
    let year = x.watch(365, "", 0, "").await?;
    assert_eq!(year.items.len(), 5);
    assert_eq!(eur(&year.total_at_stake), d("270"));
    let none = x.watch(1, "", 0, "").await?;
    assert!(none.items.is_empty());
    assert_eq!(eur(&none.total_at_stake), Decimal::ZERO);

    // Every bad field is named at once.
    let err = assert_code(
        x.watch(3_651, "SEC-1", 501, "").await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&err),
        ["within_days", "dossier_number", "page.page_size"]
    );
    let err = assert_code(x.watch(-1, "", 0, "forged").await, Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["within_days", "page.page_token"]);
    Ok(())
}

fn attempt(
    kind: pb::EnforcementActKind,
    on: (i32, i32, i32),
    keys: &[&str],
) -> pb::EnforcementAttempt {
    pb::EnforcementAttempt {
        kind: kind as i32,
        act_date: date(on.0, on.1, on.2),
        creditor_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        reference: format!("form act of {}-{}", on.0, on.1),
        covered_months: Some(pb::MonthRange {
            first_month: ym(2023, 1),
            last_month: ym(2023, 6),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_claim_account_shows_the_form_acts_and_those_recorded_since() -> anyhow::Result<()> {
    use pb::EnforcementActKind as E;
    use pb::LegalActKind as L;
    let mut x = Ctx::start(&[Svc::Payments]).await?;
    let number = DossierNumber::new(2024, 61)?.to_string();
    let mut s = without_title(&number);
    s.enforcement_attempts = vec![
        attempt(E::Garnishment, (2023, 9, 1), &["c2"]),
        attempt(E::Other, (2023, 1, 1), &[]),
        attempt(E::FormalNotice, (2023, 7, 1), &[]),
    ];
    x.activate("00000000-0000-4000-8000-000000000661", s)
        .await?;

    let a = x.account(&number).await?;
    assert_eq!(a.dossier_number, number);
    assert_eq!(
        a.structured_reference,
        StructuredReference::from_base(2_024_000_061)?.to_string()
    );
    // Without a title nothing is booked: no date, no mandate, no journal, no table.
    assert!(a.booked_to.is_none() && a.mandate.is_none());
    assert!(a.bookings.is_empty() && a.lines.is_empty());
    let acts: Vec<_> = a
        .acts
        .iter()
        .map(|a| (a.act_id.as_str(), a.kind, a.source.as_str()))
        .collect();
    assert_eq!(
        acts,
        [
            ("form-3", L::FormalNotice as i32, "application form"),
            ("form-1", L::Seizure as i32, "application form"),
        ]
    );
    assert_eq!(a.acts[1].creditor_person_ids, ["child-2"]);
    assert_eq!(a.acts[1].act_date, date(2023, 9, 1));
    assert_eq!(
        a.acts[1].covered_months.and_then(|r| r.last_month),
        ym(2023, 6)
    );

    // An act recorded since joins them, by date, with who recorded it.
    let r = x.c.req(pb::RecordLegalActRequest {
        idempotency_key: key("claim-reads-act"),
        dossier_number: number.clone(),
        kind: L::Summons as i32,
        act_date: date(2023, 8, 1),
        creditor_person_ids: vec!["child-1".into()],
        covered_months: None,
        reference: "citation RG 23/77".into(),
    });
    let recorded = x.claims.record_legal_act(r).await?.into_inner();
    let act_id = recorded.act.unwrap_or_default().act_id;
    let a = x.account(&number).await?;
    let acts: Vec<_> = a
        .acts
        .iter()
        .map(|a| (a.act_id.as_str(), a.kind, a.source.as_str()))
        .collect();
    assert_eq!(
        acts,
        [
            ("form-3", L::FormalNotice as i32, "application form"),
            (act_id.as_str(), L::Summons as i32, "recorded"),
            ("form-1", L::Seizure as i32, "application form"),
        ]
    );
    let summons = &a.acts[1];
    assert_eq!(summons.creditor_person_ids, ["child-1"]);
    assert_eq!(summons.reference, "citation RG 23/77");
    assert!(summons.covered_months.is_none());
    assert_eq!(
        summons.recorded.clone().unwrap_or_default().actor,
        "agent-claim-reads"
    );

    // Unknown and malformed dossiers.
    let unknown = DossierNumber::new(2024, 962)?.to_string();
    assert_code(x.account(&unknown).await, Code::NotFound);
    let err = assert_code(x.account("SEC-x").await, Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["dossier_number"]);
    Ok(())
}

/// One child owed €250 a month under a judgment of June 2025 (not indexed, due on the 5th);
/// the applicant declared January–August 2026 unpaid, February as €200 only, and a formal
/// notice of 20 March 2026; the application of 1 September 2026 is activated on 5 October.
fn with_title(number: &str) -> pb::DossierSnapshot {
    let declared = (1..=8)
        .map(|m| pb::UnpaidMonthEntry {
            creditor_key: "c1".into(),
            month: ym(2026, m),
            unpaid: money(if m == 2 { "200.00" } else { "250.00" }),
        })
        .collect();
    pb::DossierSnapshot {
        kind: pb::ApplicationKind::ArrearsAndFuture as i32,
        application_date: date(2026, 9, 1),
        active_from: date(2026, 10, 5),
        creditors: vec![pb::DossierCreditor {
            monthly_amount: money("250.00"),
            ..creditor("c1", "child-1")
        }],
        title: Some(pb::ExecutoryTitle {
            kind: pb::TitleKind::Judgment as i32,
            reference: "RG 25/1234/A".into(),
            title_date: date(2025, 6, 10),
            served_on: date(2025, 6, 20),
            first_month: ym(2025, 7),
            due_day: 5,
            ..Default::default()
        }),
        declared_arrears: Some(pb::ArrearsFrame {
            total_arrears: money("1950.00"),
            unpaid_months: declared,
        }),
        enforcement_attempts: vec![pb::EnforcementAttempt {
            kind: pb::EnforcementActKind::FormalNotice as i32,
            act_date: date(2026, 3, 20),
            reference: "LR 2026/112".into(),
            ..Default::default()
        }],
        ..without_title(number)
    }
}

#[tokio::test]
async fn the_booked_mandate_agrees_with_the_statements_and_the_watch() -> anyhow::Result<()> {
    let mut x = Ctx::start(&[Svc::Calculation, Svc::Payments]).await?;
    let number = DossierNumber::new(2026, 71)?.to_string();
    let mut event = common::dossier_event(
        "00000000-0000-4000-8000-000000000671",
        1,
        with_title(&number),
    );
    if let Some(e) = event.event.as_mut() {
        e.effective_on = date(2026, 10, 5);
    }
    x.c.ledger.receive_dossier_event(x.c.req(event)).await?;

    let a = x.account(&number).await?;
    assert!(
        a.not_booked_reason.is_empty(),
        "not booked: {}",
        a.not_booked_reason
    );
    let first = a.bookings.first().cloned().unwrap_or_default();
    assert_eq!(
        (first.sequence, first.kind),
        (1, pb::ClaimBookingKind::Mandate as i32)
    );
    assert_eq!(first.booked_to, date(2026, 10, 5));
    assert_eq!(a.booked_to, date(2026, 10, 5));
    assert_eq!(a.acts.len(), 1);
    assert_eq!(a.acts[0].act_id, "form-1");

    // The mandate: its booking's totals, the declaration beside the computed table.
    let m = a.mandate.clone().unwrap_or_default();
    assert_eq!(m.booked_to, date(2026, 10, 5));
    assert_eq!(
        (eur(&m.principal), eur(&m.interest), eur(&m.fee)),
        (eur(&first.principal), eur(&first.interest), eur(&first.fee))
    );
    assert!(eur(&m.principal) > Decimal::ZERO);
    assert!(!m.fee_percent.is_empty() && !m.fee_percent.ends_with(".0"));
    assert_eq!(eur(&m.declared_total), d("1950"));
    let february = m
        .differences
        .iter()
        .find(|l| l.month == ym(2026, 2))
        .cloned()
        .unwrap_or_default();
    assert_eq!(february.creditor_person_id, "child-1");
    assert_eq!(
        (
            eur(&february.declared),
            eur(&february.computed),
            eur(&february.difference)
        ),
        (d("200"), d("250"), d("50"))
    );
    assert!(
        m.differences
            .iter()
            .all(|l| l.declared.is_none() || eur(&l.declared) != eur(&l.computed))
    );
    // The months that agree add nothing: the differences add up to the totals' gap.
    let gap: Decimal = m.differences.iter().map(|l| eur(&l.difference)).sum();
    assert_eq!(gap, eur(&m.computed_total) - eur(&m.declared_total));

    // The table: the child's months, oldest first.
    assert!(!a.lines.is_empty());
    assert!(a.lines.iter().all(|l| l.creditor_person_id == "child-1"));
    let months: Vec<_> = a
        .lines
        .iter()
        .map(|l| l.month.map(|m| (m.year, m.month)))
        .collect();
    let mut sorted = months.clone();
    sorted.sort();
    assert_eq!(months, sorted);

    // The statements read the same bookings from the ledger.
    let s = x.debtor_statement(&number, None).await?;
    let t = s.totals.clone().unwrap_or_default();
    let sum = |f: fn(&pb::ClaimBooking) -> &Option<pb::Money>| -> Decimal {
        a.bookings.iter().map(|b| eur(f(b))).sum()
    };
    assert_eq!(eur(&t.due), sum(|b| &b.principal));
    assert_eq!(eur(&t.fee), sum(|b| &b.fee));
    assert_eq!(eur(&t.interest), sum(|b| &b.interest));
    assert_eq!(eur(&t.time_barred), sum(|b| &b.time_barred));
    let c = x.creditor_statement(&number, "child-1", None).await?;
    let ct = c.totals.clone().unwrap_or_default();
    assert_eq!(eur(&ct.due), eur(&t.due));
    assert_eq!(
        (eur(&ct.fee), eur(&ct.fee_paid)),
        (Decimal::ZERO, Decimal::ZERO)
    );
    assert_eq!(eur(&ct.outstanding), eur(&ct.open) + eur(&ct.interest));

    // The watch over ten years from the booking date sees the table's open lines.
    let r = x.c.req(pb::ListPrescriptionWatchRequest {
        within_days: 3_650,
        as_of: date(2026, 10, 5),
        dossier_number: number.clone(),
        page: None,
    });
    let w = x.claims.list_prescription_watch(r).await?.into_inner();
    let window = chrono::NaiveDate::from_ymd_opt(2026, 10, 5)
        .map(|from| (from, from + chrono::Duration::days(3_650)));
    let open: Vec<&pb::ClaimLine> = a
        .lines
        .iter()
        .filter(|l| {
            let limit = l.prescription_limit.and_then(|p| {
                chrono::NaiveDate::from_ymd_opt(
                    p.year,
                    u32::try_from(p.month).ok()?,
                    u32::try_from(p.day).ok()?,
                )
            });
            l.status == pb::InstalmentStatus::Open as i32
                && eur(&l.unpaid) > Decimal::ZERO
                && limit
                    .zip(window)
                    .is_some_and(|(p, (from, to))| from <= p && p <= to)
        })
        .collect();
    assert!(!open.is_empty());
    assert_eq!(w.items.len(), open.len());
    let at_stake: Decimal = open.iter().map(|l| eur(&l.unpaid)).sum();
    assert_eq!(eur(&w.total_at_stake), at_stake);
    Ok(())
}
