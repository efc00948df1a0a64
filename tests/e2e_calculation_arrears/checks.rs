//! Admissibility on the seed's two hypotheses, and bad input refused field by field.

use super::*;

/// €150 a month from January 2006, each month paid in full on the 5th except as listed.
fn paid_except(short: &[(i32, &str)]) -> pb::ArrearsCase {
    let payments = (0..17)
        .filter_map(|i| {
            let (year, month) = (2006 + i / 12, 1 + i % 12);
            let paid = match short.iter().find(|(m, _)| year == 2006 && *m == month) {
                Some((_, "0")) => return None,
                Some((_, part)) => *part,
                None => "150.00",
            };
            Some(pb::ReceivedPayment {
                payment_id: format!("p{i}"),
                paid_on: date(year, month, 5),
                amount: money(paid),
                for_month: ym(year, month),
                creditor_id: String::new(),
            })
        })
        .collect();
    pb::ArrearsCase {
        title: Some(pb::MaintenanceTitle {
            due_day: 1,
            creditors: vec![pb::TitleCreditor {
                creditor_id: "child".into(),
                first_month: ym(2006, 1),
                amount: explicit("150.00", (2006, 1)),
                ..Default::default()
            }],
            ..Default::default()
        }),
        payments,
        ..Default::default()
    }
}

#[tokio::test]
async fn admissibility_of_the_seed_hypotheses() -> anyhow::Result<()> {
    use pb::check_admissibility_request::Basis;
    let mut calc = Calc::start().await?;
    let row = |m: i32, unpaid: &str| pb::DeclaredUnpaidMonth {
        creditor_id: String::new(),
        month: ym(2006, m),
        unpaid: money(unpaid),
    };
    let declared = |rows| {
        Basis::DeclaredArrears(pb::DeclaredArrears {
            due_day: 1,
            months: rows,
        })
    };
    let cases = [
        (declared(vec![row(9, "150.00"), row(10, "150.00")]), true, 2),
        (
            Basis::ArrearsCase(paid_except(&[(9, "0"), (10, "0")])),
            true,
            2,
        ),
        (
            Basis::ArrearsCase(paid_except(&[(9, "100.00"), (12, "20.00")])),
            true,
            2,
        ),
        (declared(vec![row(9, "40.00"), row(12, "10.00")]), true, 2),
        (declared(vec![row(5, "150.00"), row(9, "150.00")]), false, 1),
        (Basis::ArrearsCase(paid_except(&[(10, "0")])), false, 1),
    ];
    for (basis, admissible, count) in cases {
        let req = pb::CheckAdmissibilityRequest {
            application_date: date(2007, 6, 1),
            basis: Some(basis),
        };
        let r = calc
            .client
            .check_admissibility(calc.req(req))
            .await?
            .into_inner();
        assert_eq!((r.admissible, r.unpaid_month_count), (admissible, count));
        assert_eq!(
            (r.window_start, r.required_unpaid_months),
            (date(2006, 6, 1), 2)
        );
    }
    Ok(())
}

/// A payment tied to a month not yet due on the application date pays no older month: it
/// stays a prepayment for its month, and September and October 2006 stay unpaid.
#[tokio::test]
async fn a_prepayment_for_a_month_not_yet_due_leaves_the_application_admissible()
-> anyhow::Result<()> {
    use pb::check_admissibility_request::Basis;
    let mut calc = Calc::start().await?;
    let mut case = paid_except(&[(9, "0"), (10, "0")]);
    case.payments.push(pb::ReceivedPayment {
        payment_id: "july-2007".into(),
        paid_on: date(2007, 5, 20),
        amount: money("300.00"),
        for_month: ym(2007, 7),
        creditor_id: String::new(),
    });
    let req = pb::CheckAdmissibilityRequest {
        application_date: date(2007, 6, 1),
        basis: Some(Basis::ArrearsCase(case.clone())),
    };
    let r = calc
        .client
        .check_admissibility(calc.req(req))
        .await?
        .into_inner();
    assert_eq!((r.admissible, r.unpaid_month_count), (true, 2));

    let arrears = calc
        .arrears(pb::ComputeArrearsRequest {
            calculation_date: date(2007, 6, 1),
            arrears_case: Some(case),
            ..Default::default()
        })
        .await?;
    let july = arrears
        .payment_applications
        .iter()
        .find(|a| a.payment_id == "july-2007")
        .cloned()
        .unwrap_or_default();
    assert!(july.parts.is_empty(), "{july:?}");
    assert_eq!(amount(&july.unapplied), "300.00");
    assert_eq!(amount(&totals(&arrears).unpaid), "300.00");
    Ok(())
}

#[tokio::test]
async fn bad_input_is_refused_naming_every_field() -> anyhow::Result<()> {
    let mut calc = Calc::start().await?;
    let mut req = seed(2)?;
    let case = req.arrears_case.get_or_insert_default();
    let title = case.title.get_or_insert_default();
    title.creditors[0].last_month = ym(2001, 6);
    title.creditors.push(pb::TitleCreditor {
        creditor_id: "ancient".into(),
        first_month: ym(1900, 1),
        amount: explicit("10.00", (1900, 1)),
        ..Default::default()
    });
    let payment = |amount: &str, month| pb::ReceivedPayment {
        payment_id: format!("p-{month}"),
        paid_on: date(2005, 1, 1),
        amount: money(amount),
        for_month: ym(2005, month),
        creditor_id: String::new(),
    };
    case.payments = vec![payment("-10.00", 1), payment("10.00", 13)];
    let s = assert_code(calc.arrears(req).await, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&s),
        vec![
            "arrears_case.payments[1].for_month",
            "arrears_case.title.creditors[0].last_month",
            "arrears_case.title.creditors[1].first_month",
            "arrears_case.payments[0].amount",
        ]
    );
    let both = pb::ComputeInterestRequest {
        arrears_case: seed(1)?.arrears_case,
        calculation_date: date(2007, 8, 1),
        claims: vec![pb::InterestClaim::default()],
    };
    let s = assert_code(
        calc.client.compute_interest(calc.req(both)).await,
        Code::InvalidArgument,
    );
    assert!(violated_fields(&s).contains(&"claims".to_owned()));
    // The explanation asked for: a known level, lines only at STEPS or FULL, of creditors
    // the title has, with a month.
    let selector = |creditor: &str, month| pb::ArrearsLineSelector {
        creditor_id: creditor.into(),
        month,
    };
    let mut lines_in_summary = seed(1)?;
    lines_in_summary.explain_lines = vec![selector("", ym(2004, 1))];
    let s = assert_code(calc.arrears(lines_in_summary).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&s), vec!["explain_lines"]);
    let mut unknown = seed(1)?;
    unknown.explanation = 99;
    unknown.explain_lines = vec![selector("nobody", ym(2004, 1)), selector("", None)];
    let s = assert_code(calc.arrears(unknown).await, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&s),
        vec![
            "explanation",
            "explain_lines[0].creditor_id",
            "explain_lines[1].month",
        ]
    );
    // The service is still answering.
    let r = calc.arrears(seed(1)?).await?;
    assert_eq!(amount(&totals(&r).claimable), "7174.89");
    Ok(())
}
