//! Each validation rule of the application form has a failing case, through gRPC, with the
//! exact field reported and its stable code (which leads the description).

use crate::form;

use form::*;
use secal_proto::v1::{self as pb, intake_service_client::IntakeServiceClient};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use tonic::Code;
use tonic_types::StatusExt;

type Mutation = fn(&mut pb::ApplicationForm);

fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| {
                    let code = v.description.split(':').next().unwrap_or_default();
                    (v.field.clone(), code.to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn child_mut(f: &mut pb::ApplicationForm, i: usize) -> &mut pb::CreditorEntry {
    &mut f.creditors[i]
}

#[tokio::test]
async fn each_rule_reports_its_field_and_code() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut client = IntakeServiceClient::new(suite.channel(Svc::Intake).await?);
    let token = suite.agent_token("agent-v", &[roles::CASE_OFFICER])?;

    let cases: Vec<(&str, Mutation, &str, &str)> = vec![
        (
            "applicant national number check digits",
            |f| {
                f.applicant
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.national_number = nn("70041200268"))
            },
            "form.applicant.national_number",
            "NATIONAL_NUMBER_CHECK_DIGITS",
        ),
        (
            "child national number malformed",
            |f| child_mut(f, 2).national_number = nn("9809210033"),
            "form.creditors[2].national_number",
            "NATIONAL_NUMBER_MALFORMED",
        ),
        (
            "post-2000 child numbered the pre-2000 way",
            |f| child_mut(f, 3).national_number = nn(CHILD_2001_OLD_RULE),
            "form.creditors[3].birth_date",
            "BIRTH_DATE_MISMATCH",
        ),
        (
            "debtor national number check digits",
            |f| {
                f.debtor
                    .as_mut()
                    .into_iter()
                    .for_each(|d| d.national_number = nn("68021100145"))
            },
            "form.debtor.national_number",
            "NATIONAL_NUMBER_CHECK_DIGITS",
        ),
        (
            "payout IBAN",
            |f| {
                f.payout
                    .as_mut()
                    .and_then(|p| p.account.as_mut())
                    .into_iter()
                    .for_each(|a| {
                        a.iban = Some(pb::Iban {
                            value: "BE00539007547034".into(),
                        })
                    })
            },
            "form.payout.account.iban",
            "IBAN_INVALID",
        ),
        (
            "debtor's account IBAN",
            |f| {
                f.debtor.as_mut().into_iter().for_each(|d| {
                    d.bank_accounts[0].iban = Some(pb::Iban {
                        value: "BE71096123456760".into(),
                    })
                })
            },
            "form.debtor.bank_accounts[0].iban",
            "IBAN_INVALID",
        ),
        (
            "recovery count must match the creditors",
            |f| {
                f.applicant
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.recovery_creditor_count = 3)
            },
            "form.applicant.recovery_creditor_count",
            "COUNT_MISMATCH",
        ),
        (
            "advance count counts only children with advances",
            |f| {
                f.applicant
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.advance_child_count = 4)
            },
            "form.applicant.advance_child_count",
            "COUNT_MISMATCH",
        ),
        (
            "advances only for children",
            |f| {
                child_mut(f, 0).advances_requested = true;
                f.applicant
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.advance_child_count = 4)
            },
            "form.creditors[0].advances_requested",
            "ADVANCES_ONLY_FOR_CHILDREN",
        ),
        (
            "advances only with future maintenance",
            |f| f.kind = pb::ApplicationKind::ArrearsOnly as i32,
            "form.creditors[1].advances_requested",
            "ADVANCES_NEED_FUTURE_MAINTENANCE",
        ),
        (
            "a child of 18 or over without family allowance",
            |f| {
                let c = child_mut(f, 1);
                c.national_number = nn("89010100595");
                c.birth_date = date(1989, 1, 1)
            },
            "form.creditors[1].family_allowance_entitled",
            "CHILD_OVER_AGE_LIMIT",
        ),
        (
            "dependent children under 25",
            |f| {
                f.other_dependent_children.push(pb::OtherDependentChild {
                    national_number: nn("68021100144"),
                    family_name: "X".into(),
                    given_names: "Y".into(),
                    ..Default::default()
                });
                f.applicant
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.dependent_child_count = 4)
            },
            "form.other_dependent_children[0].birth_date",
            "DEPENDANT_OVER_AGE_LIMIT",
        ),
        (
            "a lawyer's account needs an authorisation",
            |f| {
                f.payout
                    .as_mut()
                    .into_iter()
                    .for_each(|p| p.holding = pb::AccountHolding::Lawyer as i32)
            },
            "form.payout.lawyer_authorisation",
            "LAWYER_AUTHORISATION_MISSING",
        ),
        (
            "an account of someone else",
            |f| {
                f.payout
                    .as_mut()
                    .and_then(|p| p.account.as_mut())
                    .into_iter()
                    .for_each(|a| a.holder_name = "Jean Voisin".into())
            },
            "form.payout.account.holder_name",
            "PAYOUT_NOT_APPLICANT_ACCOUNT",
        ),
        (
            "monthly amounts positive",
            |f| child_mut(f, 1).monthly_amount = money("0"),
            "form.creditors[1].monthly_amount",
            "AMOUNT_NOT_POSITIVE",
        ),
        (
            "amounts in euros and cents",
            |f| child_mut(f, 2).monthly_amount = money("150.001"),
            "form.creditors[2].monthly_amount",
            "AMOUNT_MALFORMED",
        ),
        (
            "unpaid amounts positive",
            |f| {
                f.arrears
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.unpaid_months[0].unpaid = money("-150"))
            },
            "form.arrears.unpaid_months[0].unpaid",
            "AMOUNT_NOT_POSITIVE",
        ),
        (
            "the table adds up to the total",
            |f| {
                f.arrears
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.total_arrears = money("28699.57"))
            },
            "form.arrears.total_arrears",
            "TOTAL_MISMATCH",
        ),
        (
            "arrears rows name a creditor of frame 3",
            |f| {
                f.arrears
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.unpaid_months[5].creditor_key = "c9".into())
            },
            "form.arrears.unpaid_months[5].creditor_key",
            "UNKNOWN_CREDITOR_KEY",
        ),
        (
            "arrears are months before the application",
            |f| {
                f.arrears.as_mut().into_iter().for_each(|a| {
                    a.unpaid_months[0].month = Some(pb::YearMonth {
                        year: 2007,
                        month: 9,
                    })
                })
            },
            "form.arrears.unpaid_months[0].month",
            "MONTH_AFTER_APPLICATION",
        ),
        (
            "creditor keys unique",
            |f| child_mut(f, 2).creditor_key = "c1".into(),
            "form.creditors[2].creditor_key",
            "KEY_DUPLICATE",
        ),
        (
            "enforcement proofs are documents of the inventory",
            |f| {
                f.enforcement = Some(pb::EnforcementFrame {
                    attempted: true,
                    attempts: vec![pb::EnforcementAttempt {
                        kind: pb::EnforcementActKind::PaymentOrder as i32,
                        act_date: date(2005, 3, 1),
                        document_key: "nowhere".into(),
                        ..Default::default()
                    }],
                })
            },
            "form.enforcement.attempts[0].document_key",
            "UNKNOWN_DOCUMENT_KEY",
        ),
        ("kind given", |f| f.kind = 0, "form.kind", "KIND_REQUIRED"),
    ];
    for (i, (what, mutate, field, code)) in cases.into_iter().enumerate() {
        let mut f = mother_of_three();
        mutate(&mut f);
        let result = client
            .submit_application(suite.request(&token, submit(&format!("v-{i}"), f)))
            .await;
        let status = match result {
            Ok(r) => panic!(
                "{what}: accepted: {:?}",
                r.into_inner().dossier.map(|d| d.status)
            ),
            Err(s) => s,
        };
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        let got = violations(&status);
        assert!(
            got.contains(&(field.to_owned(), code.to_owned())),
            "{what}: expected {field} {code}, got {got:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn what_is_missing_makes_the_application_incomplete_with_stable_codes() -> anyhow::Result<()>
{
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut client = IntakeServiceClient::new(suite.channel(Svc::Intake).await?);
    let token = suite.agent_token("agent-v", &[roles::CASE_OFFICER])?;
    let cases: Vec<(&str, Mutation, &str, &str)> = vec![
        (
            "the applicant's national number",
            |f| {
                f.applicant
                    .as_mut()
                    .into_iter()
                    .for_each(|a| a.national_number = None)
            },
            "form.applicant.national_number",
            "APPLICANT_NATIONAL_NUMBER_MISSING",
        ),
        (
            "the executory title",
            |f| {
                f.documents
                    .retain(|d| d.kind() != pb::DocumentKind::ExecutoryTitle)
            },
            "form.documents",
            "EXECUTORY_TITLE_MISSING",
        ),
        (
            "the executory formula",
            |f| f.documents[0].executory_formula_present = false,
            "form.documents[0].executory_formula_present",
            "EXECUTORY_FORMULA_MISSING",
        ),
        (
            "the tax assessment for advances",
            |f| {
                f.documents
                    .retain(|d| d.kind() != pb::DocumentKind::TaxAssessment)
            },
            "form.documents",
            "TAX_ASSESSMENT_MISSING",
        ),
        (
            "3 pay slips for advances",
            |f| {
                f.documents.pop();
            },
            "form.documents",
            "PAY_SLIPS_MISSING",
        ),
        (
            "a child's national number",
            |f| child_mut(f, 1).national_number = None,
            "form.creditors[1].national_number",
            "CREDITOR_NATIONAL_NUMBER_MISSING",
        ),
        (
            "the payout IBAN",
            |f| {
                f.payout
                    .as_mut()
                    .and_then(|p| p.account.as_mut())
                    .into_iter()
                    .for_each(|a| a.iban = None)
            },
            "form.payout.account.iban",
            "PAYOUT_IBAN_MISSING",
        ),
        (
            "the signature",
            |f| {
                f.declarations
                    .as_mut()
                    .into_iter()
                    .for_each(|d| d.signed_on = None)
            },
            "form.declarations.signed_on",
            "SIGNATURE_DATE_MISSING",
        ),
    ];
    for (i, (what, mutate, field, code)) in cases.into_iter().enumerate() {
        let mut f = mother_of_three();
        mutate(&mut f);
        let d = client
            .submit_application(suite.request(&token, submit(&format!("m-{i}"), f)))
            .await
            .map_err(|s| anyhow::anyhow!("{what}: {s:?}"))?
            .into_inner()
            .dossier
            .unwrap_or_default();
        assert_eq!(d.status(), pb::DossierStatus::Incomplete, "{what}");
        assert!(
            d.missing_items
                .iter()
                .any(|m| m.field == field && m.code == code),
            "{what}: {:?}",
            d.missing_items
        );
    }
    // Without advances, neither tax assessment nor pay slips are asked for.
    let mut f = mother_of_three();
    f.kind = pb::ApplicationKind::ArrearsAndFuture as i32;
    f.creditors
        .iter_mut()
        .for_each(|c| c.advances_requested = false);
    f.applicant
        .as_mut()
        .into_iter()
        .for_each(|a| a.advance_child_count = 0);
    f.documents.truncate(1);
    let d = client
        .submit_application(suite.request(&token, submit("m-noadv", f)))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(
        d.status(),
        pb::DossierStatus::Complete,
        "{:?}",
        d.missing_items
    );
    Ok(())
}
