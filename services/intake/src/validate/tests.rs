//! The rules on the seed's form, without a database.

use chrono::NaiveDate;
use secal_proto::v1 as pb;

use super::check_form;

#[path = "../../../../tests/e2e_intake_form.rs"]
mod form;

fn received() -> NaiveDate {
    NaiveDate::from_ymd_opt(2007, 8, 1).unwrap_or_default()
}

fn codes(issues: &[super::Issue]) -> Vec<(&str, &str)> {
    issues.iter().map(|i| (i.field.as_str(), i.code)).collect()
}

#[test]
fn the_seed_form_is_complete_and_valid() {
    let out = check_form(Some(&form::mother_of_three()), received());
    assert!(out.invalid.is_empty(), "{:?}", out.invalid);
    assert!(out.missing.is_empty(), "{:?}", out.missing);
}

#[test]
fn the_example_table_adds_up_to_the_guide_total() {
    let rows = form::example_1_rows("c1");
    let total: secal_domain::Money = rows
        .iter()
        .filter_map(|r| r.unpaid.as_ref())
        .filter_map(|m| secal_domain::Money::parse(&m.amount).ok())
        .sum();
    assert_eq!(total.to_string(), form::EXAMPLE_1_TOTAL);
}

#[test]
fn a_post_2000_number_computed_the_old_way_is_a_birth_in_1901() {
    let mut f = form::mother_of_three();
    f.creditors[3].national_number = form::nn(form::CHILD_2001_OLD_RULE);
    let out = check_form(Some(&f), received());
    assert_eq!(
        codes(&out.invalid),
        [("form.creditors[3].birth_date", "BIRTH_DATE_MISMATCH")]
    );
}

#[test]
fn an_adult_child_with_family_allowance_needs_a_current_renewal() {
    let mut f = form::mother_of_three();
    let c = &mut f.creditors[1];
    c.national_number = form::nn("89010100595");
    c.birth_date = form::date(1989, 1, 1);
    c.family_allowance_entitled = true;
    let out = check_form(Some(&f), received());
    assert!(out.invalid.is_empty(), "{:?}", out.invalid);
    assert_eq!(
        codes(&out.missing),
        [(
            "form.creditors[1].entitlement_valid_until",
            "ENTITLEMENT_RENEWAL_MISSING"
        )]
    );
    f.creditors[1].entitlement_valid_until = form::date(2007, 6, 30);
    let out = check_form(Some(&f), received());
    assert_eq!(
        codes(&out.invalid),
        [(
            "form.creditors[1].entitlement_valid_until",
            "ENTITLEMENT_LAPSED"
        )]
    );
}

#[test]
fn a_lawyer_account_with_its_authorisation_is_accepted() {
    let mut f = form::mother_of_three();
    f.documents.push(pb::DocumentItem {
        document_key: "auth".into(),
        kind: pb::DocumentKind::LawyerAuthorisation as i32,
        ..Default::default()
    });
    if let Some(p) = f.payout.as_mut() {
        p.holding = pb::AccountHolding::Lawyer as i32;
        if let Some(a) = p.account.as_mut() {
            a.holder_name = "Maître Lejeune".into();
        }
        p.lawyer_authorisation = Some(pb::LawyerAuthorisation {
            lawyer_name: "Lejeune".into(),
            bar: "Barreau de Liège".into(),
            authorised_on: form::date(2007, 7, 15),
            document_key: "auth".into(),
        });
    }
    let out = check_form(Some(&f), received());
    assert!(out.invalid.is_empty() && out.missing.is_empty(), "{out:?}");
}
