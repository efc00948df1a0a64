//! The seed's mother-of-three application (form guide, seed 002): one title, four creditors
//! (the mother and her three children), arrears as in the guide's example 1 for each, with
//! advances for the children. Shared by the end-to-end tests (`crate::form`).
#![allow(dead_code)]

use chrono::{Datelike, NaiveDate};
use secal_proto::v1::{self as pb, intake_service_client::IntakeServiceClient};
use tonic::transport::Channel;

pub const MOTHER: &str = "70041200269";
pub const DEBTOR: &str = "68021100144";
/// Born 1995, 1998 and 2001 (the last one's check digits follow the post-2000 rule).
pub const CHILDREN: [&str; 3] = ["95050300295", "98092100333", "01120500477"];
/// 011205004 with check digits computed the pre-2000 way: valid only as a birth in 1901.
pub const CHILD_2001_OLD_RULE: &str = "01120500448";
/// Not the service's own account (BE68 5390 0754 7034), which is never a payout account.
pub const IBAN: &str = "BE48001123456727";

pub fn nn(v: &str) -> Option<pb::NationalNumber> {
    Some(pb::NationalNumber { value: v.into() })
}
pub fn money(v: &str) -> Option<pb::Money> {
    Some(pb::Money { amount: v.into() })
}
pub fn date(y: i32, m: i32, d: i32) -> Option<pb::Date> {
    Some(pb::Date {
        year: y,
        month: m,
        day: d,
    })
}
pub fn key(v: &str) -> Option<pb::IdempotencyKey> {
    Some(pb::IdempotencyKey { value: v.into() })
}

fn address(street: &str, town: &str) -> Option<pb::Address> {
    Some(pb::Address {
        street: street.into(),
        house_number: "12".into(),
        postal_code: "4000".into(),
        municipality: town.into(),
        country_code: "BE".into(),
        ..Default::default()
    })
}

/// Example 1 of the guide: €150 from September 2003, stepping each September (151.81,
/// 153.62, 155.43), nothing paid, application in August 2007: €7,174.89.
pub fn example_1_rows(creditor_key: &str) -> Vec<pb::UnpaidMonthEntry> {
    let mut rows = Vec::new();
    let (mut y, mut m) = (2003, 9);
    while (y, m) < (2007, 8) {
        let step = if m >= 9 { y - 2003 } else { y - 2004 };
        let amount = ["150.00", "151.81", "153.62", "155.43"][step as usize];
        rows.push(pb::UnpaidMonthEntry {
            creditor_key: creditor_key.into(),
            month: Some(pb::YearMonth { year: y, month: m }),
            unpaid: money(amount),
        });
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    rows
}

pub const EXAMPLE_1_TOTAL: &str = "7174.89";

fn child(i: usize, given: &str, birth: (i32, i32, i32)) -> pb::CreditorEntry {
    pb::CreditorEntry {
        creditor_key: format!("c{}", i + 1),
        kind: pb::CreditorKind::Child as i32,
        national_number: nn(CHILDREN[i]),
        family_name: "Dupont".into(),
        given_names: given.into(),
        birth_date: date(birth.0, birth.1, birth.2),
        monthly_amount: money("150.00"),
        advances_requested: true,
        ..Default::default()
    }
}

fn document(key: &str, kind: pb::DocumentKind) -> pb::DocumentItem {
    pb::DocumentItem {
        document_key: key.into(),
        kind: kind as i32,
        description: key.to_owned(),
        document_date: date(2007, 7, 1),
        executory_formula_present: kind == pb::DocumentKind::ExecutoryTitle,
        original_provided: kind == pb::DocumentKind::ExecutoryTitle,
        storage_reference: format!("docs/{key}"),
    }
}

/// The whole form, complete and valid: 4 creditors, arrears + future maintenance with
/// advances for the three children.
pub fn mother_of_three() -> pb::ApplicationForm {
    let mut unpaid = example_1_rows("c0");
    for c in ["c1", "c2", "c3"] {
        unpaid.extend(example_1_rows(c));
    }
    pb::ApplicationForm {
        kind: pb::ApplicationKind::ArrearsAndFutureWithAdvances as i32,
        applicant: Some(pb::ApplicantFrame {
            national_number: nn(MOTHER),
            family_name: "Dupont".into(),
            given_names: "Marie".into(),
            birth_date: date(1970, 4, 12),
            official_address: address("Rue Saint-Gilles", "Liège"),
            language: pb::CorrespondenceLanguage::Fr as i32,
            recovery_creditor_count: 4,
            advance_child_count: 3,
            dependent_child_count: 3,
            net_monthly_income: money("1450.00"),
            ..Default::default()
        }),
        debtor: Some(pb::DebtorFrame {
            national_number: nn(DEBTOR),
            family_name: "Martin".into(),
            given_names: "Paul".into(),
            birth_date: date(1968, 2, 11),
            last_known_address: address("Rue de la Station", "Namur"),
            last_known_address_kind: pb::AddressKind::Residence as i32,
            profession: "électricien".into(),
            has_income_in_belgium: pb::YesNoUnknown::Yes as i32,
            bank_accounts: vec![pb::DebtorBankAccountHint {
                bank_name: "FORTIS".into(),
                account_number: "301-0879272-69".into(),
                iban: None,
            }],
            ..Default::default()
        }),
        creditors: vec![
            pb::CreditorEntry {
                creditor_key: "c0".into(),
                kind: pb::CreditorKind::Applicant as i32,
                national_number: nn(MOTHER),
                family_name: "Dupont".into(),
                given_names: "Marie".into(),
                monthly_amount: money("150.00"),
                ..Default::default()
            },
            child(0, "Julie", (1995, 5, 3)),
            child(1, "Thomas", (1998, 9, 21)),
            child(2, "Léa", (2001, 12, 5)),
        ],
        title: Some(pb::ExecutoryTitle {
            kind: pb::TitleKind::Judgment as i32,
            issuing_authority: "Tribunal de première instance de Liège".into(),
            reference: "RG 03/1234/A".into(),
            title_date: date(2003, 9, 2),
            served_on: date(2003, 9, 20),
            first_month: Some(pb::YearMonth {
                year: 2003,
                month: 9,
            }),
            due_day: 1,
            indexed: true,
            ..Default::default()
        }),
        arrears: Some(pb::ArrearsFrame {
            total_arrears: money("28699.56"),
            unpaid_months: unpaid,
        }),
        payout: Some(pb::PayoutFrame {
            account: Some(pb::BankAccount {
                iban: Some(pb::Iban { value: IBAN.into() }),
                holder_name: "Marie Dupont".into(),
                ..Default::default()
            }),
            holding: pb::AccountHolding::Sole as i32,
            lawyer_authorisation: None,
        }),
        enforcement: Some(pb::EnforcementFrame {
            attempted: false,
            attempts: vec![],
        }),
        other_dependent_children: vec![],
        documents: vec![
            document("title", pb::DocumentKind::ExecutoryTitle),
            document("tax", pb::DocumentKind::TaxAssessment),
            document("slip1", pb::DocumentKind::PaySlip),
            document("slip2", pb::DocumentKind::PaySlip),
            document("slip3", pb::DocumentKind::PaySlip),
        ],
        declarations: Some(pb::Declarations {
            requests_mandate: true,
            will_report_changes: true,
            will_not_enforce_title: true,
            authorises_information_requests: true,
            signed_on: date(2007, 7, 30),
        }),
    }
}

pub fn submit(k: &str, form: pb::ApplicationForm) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        idempotency_key: key(k),
        form: Some(form),
        received_on: date(2007, 8, 1),
        channel: pb::ApplicationChannel::Paper as i32,
    }
}

pub fn by_id(application_id: &str) -> Option<pb::DossierRef> {
    Some(pb::DossierRef {
        id: Some(pb::dossier_ref::Id::ApplicationId(application_id.into())),
    })
}

/// Carries a complete application through every step to ACTIVE (activated 2007-10-01).
pub async fn to_active(
    channel: &Channel,
    suite: &secal_testkit::Suite,
    token: &str,
    application_id: &str,
    prefix: &str,
) -> anyhow::Result<pb::ActivateDossierResponse> {
    let d = || by_id(application_id);
    let k = |s: &str| key(&format!("{prefix}-{s}"));
    let mut client = IntakeServiceClient::new(channel.clone());
    let notified = client
        .notify_debtor(suite.request(
            token,
            pb::NotifyDebtorRequest {
                idempotency_key: k("notify"),
                dossier: d(),
                notified_on: date(2007, 8, 6),
                registered_letter_reference: "RR 1234 5678 9BE".into(),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    secal_testkit::deliver_debtor_notice(
        suite,
        channel,
        token,
        &notified,
        date(2007, 8, 6).unwrap_or_default(),
    )
    .await?;
    client
        .accept_application(suite.request(
            token,
            pb::AcceptApplicationRequest {
                idempotency_key: k("accept"),
                dossier: d(),
                decided_on: date(2007, 8, 27),
                motivation: "conditions met".into(),
                expected_version: 0,
                dispatch: None,
            },
        ))
        .await?;
    client
        .propose_mandate(suite.request(
            token,
            pb::ProposeMandateRequest {
                idempotency_key: k("propose"),
                dossier: d(),
                proposed_on: date(2007, 8, 28),
                proposal_document_key: "mandate-proposal".into(),
                expected_version: 0,
                dispatch: None,
            },
        ))
        .await?;
    client
        .record_mandate_signed(suite.request(
            token,
            pb::RecordMandateSignedRequest {
                idempotency_key: k("signed"),
                dossier: d(),
                signed_on: date(2007, 9, 10),
                signed_document_key: "mandate-signed".into(),
                expected_version: 0,
            },
        ))
        .await?;
    Ok(client
        .activate_dossier(suite.request(
            token,
            pb::ActivateDossierRequest {
                idempotency_key: k("activate"),
                dossier: d(),
                active_from: date(2007, 10, 1),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner())
}

/// Example 2 of the guide: €120 from January 2002, stepping each January (121.50, 123.60,
/// 125.70, 128.20, 131.10), nothing paid, a payment order in July 2004 for January 2002 to
/// July 2004, application in June 2007: €8,083.50.
pub fn example_2_form() -> pb::ApplicationForm {
    let amounts = ["120.00", "121.50", "123.60", "125.70", "128.20", "131.10"];
    let mut rows = Vec::new();
    for y in 2002..=2007 {
        for m in 1..=12 {
            if (y, m) >= (2007, 6) {
                break;
            }
            rows.push(pb::UnpaidMonthEntry {
                creditor_key: "c1".into(),
                month: Some(pb::YearMonth { year: y, month: m }),
                unpaid: money(amounts[(y - 2002) as usize]),
            });
        }
    }
    let mut f = mother_of_three();
    f.kind = pb::ApplicationKind::ArrearsOnly as i32;
    f.creditors = vec![pb::CreditorEntry {
        advances_requested: false,
        ..f.creditors[1].clone()
    }];
    if let Some(a) = f.applicant.as_mut() {
        a.recovery_creditor_count = 1;
        a.advance_child_count = 0;
    }
    if let Some(t) = f.title.as_mut() {
        t.title_date = date(2002, 1, 10);
        t.served_on = date(2002, 1, 25);
        t.first_month = Some(pb::YearMonth {
            year: 2002,
            month: 1,
        });
    }
    f.arrears = Some(pb::ArrearsFrame {
        total_arrears: money("8083.50"),
        unpaid_months: rows,
    });
    f.documents.truncate(1);
    f.documents
        .push(document("po", pb::DocumentKind::EnforcementProof));
    f.enforcement = Some(pb::EnforcementFrame {
        attempted: true,
        attempts: vec![pb::EnforcementAttempt {
            kind: pb::EnforcementActKind::PaymentOrder as i32,
            act_date: date(2004, 7, 15),
            actor_name: "Huissier Lambert".into(),
            reference: "CP 2004/778".into(),
            covered_months: Some(pb::MonthRange {
                first_month: Some(pb::YearMonth {
                    year: 2002,
                    month: 1,
                }),
                last_month: Some(pb::YearMonth {
                    year: 2004,
                    month: 7,
                }),
            }),
            creditor_keys: vec![],
            document_key: "po".into(),
        }],
    });
    if let Some(d) = f.declarations.as_mut() {
        d.signed_on = date(2007, 5, 30);
    }
    for d in &mut f.documents {
        d.document_date = date(2007, 5, 2);
    }
    f
}

/// A valid national number for a birth date and serial (post-2000 rule included).
pub fn national_number(birth: NaiveDate, serial: u32) -> String {
    let head = format!(
        "{:02}{:02}{:02}{:03}",
        birth.year() % 100,
        birth.month(),
        birth.day(),
        serial
    );
    let mut n: u64 = head.parse().unwrap_or_default();
    if birth.year() >= 2000 {
        n += 2_000_000_000;
    }
    format!("{head}{:02}", 97 - n % 97)
}

pub fn pb_date(d: NaiveDate) -> Option<pb::Date> {
    date(d.year(), d.month() as i32, d.day() as i32)
}

/// The mother-of-three form with persons of their own for application `i` (distinct for
/// every `i` below 997 × 3,650): for loads and benchmarks.
pub fn form_for(i: usize) -> pb::ApplicationForm {
    let serial = (i % 997) as u32 + 1;
    let shift = chrono::Days::new((i / 997) as u64);
    let born = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default() + shift;
    let mut f = mother_of_three();
    let mother = born(1970, 4, 12);
    if let Some(a) = f.applicant.as_mut() {
        a.national_number = nn(&national_number(mother, serial));
        a.birth_date = pb_date(mother);
    }
    f.creditors[0].national_number = nn(&national_number(mother, serial));
    let debtor = born(1968, 2, 11);
    if let Some(d) = f.debtor.as_mut() {
        d.national_number = nn(&national_number(debtor, serial));
        d.birth_date = pb_date(debtor);
    }
    for (c, (y, m, d)) in [(1, (1995, 5, 3)), (2, (1998, 9, 21)), (3, (2001, 12, 5))] {
        let b = born(y, m, d);
        f.creditors[c].national_number = nn(&national_number(b, serial));
        f.creditors[c].birth_date = pb_date(b);
    }
    f
}
