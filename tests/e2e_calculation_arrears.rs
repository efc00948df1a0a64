//! Arrears, prescription, interest, indexation and admissibility through the running
//! calculation service, on the reference figures its migrations load: the two worked tables of
//! seed 002 (frame 4) as proto3-JSON fixtures, to the cent.

use crate::common;

use common::*;
use secal_proto::v1::{self as pb, calculation_service_client::CalculationServiceClient};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc, json::fixture};
use tonic::{Code, transport::Channel};

#[path = "e2e_calculation_arrears/checks.rs"]
mod checks;

struct Calc {
    // Keeps the service running while the client is used.
    suite: Suite,
    client: CalculationServiceClient<Channel>,
    token: String,
}

impl Calc {
    async fn start() -> anyhow::Result<Self> {
        let suite = Suite::start(&[Svc::Calculation]).await?;
        let client = CalculationServiceClient::new(suite.channel(Svc::Calculation).await?);
        let token = suite.agent_token("agent-calc", &[roles::CALCULATION_USER])?;
        Ok(Self {
            suite,
            client,
            token,
        })
    }

    fn req<T>(&self, message: T) -> tonic::Request<T> {
        self.suite.request(&self.token, message)
    }

    async fn arrears(
        &mut self,
        r: pb::ComputeArrearsRequest,
    ) -> Result<pb::ComputeArrearsResponse, tonic::Status> {
        let req = self.req(r);
        Ok(self.client.compute_arrears(req).await?.into_inner())
    }
}

fn seed(n: u8) -> anyhow::Result<pb::ComputeArrearsRequest> {
    fixture(
        "secal.v1.ComputeArrearsRequest",
        &format!("calculation/seed_example_{n}.json"),
    )
}

fn amount(m: &Option<pb::Money>) -> &str {
    m.as_ref().map_or("", |m| m.amount.as_str())
}

fn ym(year: i32, month: i32) -> Option<pb::YearMonth> {
    Some(pb::YearMonth { year, month })
}

fn claimable_by_year(r: &pb::ComputeArrearsResponse) -> Vec<(i32, String)> {
    r.year_totals
        .iter()
        .map(|y| {
            (
                y.year,
                amount(&y.totals.as_ref().and_then(|t| t.claimable.clone())).into(),
            )
        })
        .collect()
}

fn totals(r: &pb::ComputeArrearsResponse) -> pb::ArrearsTotals {
    r.totals.clone().unwrap_or_default()
}

fn years(pairs: &[(i32, &str)]) -> Vec<(i32, String)> {
    pairs.iter().map(|(y, a)| (*y, (*a).to_owned())).collect()
}

fn explicit(amount: &str, from: (i32, i32)) -> Option<pb::MaintenanceAmount> {
    Some(pb::MaintenanceAmount {
        method: Some(pb::maintenance_amount::Method::ExplicitSchedule(
            pb::ExplicitAmountSchedule {
                periods: vec![pb::AmountPeriod {
                    first_month: ym(from.0, from.1),
                    last_month: None,
                    amount: money(amount),
                }],
            },
        )),
    })
}

#[tokio::test]
async fn seed_example_1_gives_the_seed_table_to_the_cent() -> anyhow::Result<()> {
    let mut calc = Calc::start().await?;
    let r = calc.arrears(seed(1)?).await?;
    let t = totals(&r);
    assert_eq!(amount(&t.claimable), "7174.89");
    assert_eq!(amount(&t.time_barred), "0.00");
    assert_eq!(
        claimable_by_year(&r),
        years(&[
            (2003, "600.00"),
            (2004, "1807.24"),
            (2005, "1828.96"),
            (2006, "1850.68"),
            (2007, "1088.01"),
        ])
    );
    let lines = &r.creditors[0].lines;
    assert_eq!(lines.len(), 47);
    assert!(
        lines
            .iter()
            .all(|l| l.status() == pb::InstalmentStatus::Open)
    );
    assert_eq!(r.calculation_date, date(2007, 8, 1));
    // By default a summary: no step per line, the steps about the whole result, and every
    // reference value used (here the CPI months of the indexed title).
    assert!(lines.iter().all(|l| l.step_ids.is_empty()));
    let e = r.explanation.clone().unwrap_or_default();
    assert!(!e.rules.is_empty());
    assert!(
        e.rules.iter().all(|s| s.subject.is_empty()),
        "{:?}",
        e.rules
    );
    assert!(e.rules.iter().any(|s| s.rule_id == "ARREARS_TOTALS"));

    // Every step on request, each line citing steps the answer holds.
    let mut steps_asked = seed(1)?;
    steps_asked.explanation = pb::ArrearsExplanationLevel::Steps as i32;
    let s = calc.arrears(steps_asked).await?;
    assert_eq!(s.totals, r.totals);
    let steps: Vec<&str> = s
        .explanation
        .iter()
        .flat_map(|e| &e.rules)
        .map(|s| s.step_id.as_str())
        .collect();
    assert!(s.creditors[0].lines.iter().all(|l| !l.step_ids.is_empty()));
    assert!(
        s.creditors[0]
            .lines
            .iter()
            .flat_map(|l| &l.step_ids)
            .all(|id| steps.contains(&id.as_str()))
    );
    assert_eq!(
        s.explanation.unwrap_or_default().reference_values,
        e.reference_values,
        "a summary cites the same reference values as the whole explanation"
    );
    Ok(())
}

#[tokio::test]
async fn seed_example_2_with_interest_from_the_payment_order() -> anyhow::Result<()> {
    let mut calc = Calc::start().await?;
    let mut full = seed(2)?;
    full.explanation = pb::ArrearsExplanationLevel::Full as i32;
    let r = calc.arrears(full).await?;
    let t = totals(&r);
    assert_eq!(amount(&t.claimable), "8083.50");
    assert_eq!(
        claimable_by_year(&r),
        years(&[
            (2002, "1440.00"),
            (2003, "1458.00"),
            (2004, "1483.20"),
            (2005, "1508.40"),
            (2006, "1538.40"),
            (2007, "655.50"),
        ])
    );
    let jan = &r.creditors[0].lines[0];
    assert_eq!(jan.month, ym(2002, 1));
    assert_eq!(jan.prescription_limit, date(2009, 7, 15));
    assert_eq!(jan.limitation_set_by, "payment-order-2004-07");
    // 120 × (7% × 170/365 + 7% + 7% + 6% × 151/365), rounded once.
    assert_eq!(amount(&jan.interest), "23.69");
    assert_eq!(jan.interest_from, date(2004, 7, 15));
    assert_eq!(jan.interest_started_by, "payment-order-2004-07");
    assert_eq!(
        amount(&r.creditors[0].lines[31].interest),
        "0.00",
        "August 2004"
    );
    assert_eq!(amount(&t.interest), "742.96");

    // The explanation cites the rate values used, as the store holds them.
    let e = r.explanation.clone().unwrap_or_default();
    let rates: Vec<(i32, String)> = e
        .reference_values
        .iter()
        .filter(|v| v.kind() == pb::ReferenceKind::LegalInterestRate)
        .map(|v| (v.valid_from.map_or(0, |d| d.year), v.value.clone()))
        .collect();
    assert_eq!(
        rates,
        years(&[(2004, "7"), (2005, "7"), (2006, "7"), (2007, "6")])
    );
    let interest_step = e
        .rules
        .iter()
        .find(|s| s.rule_id == "INTEREST_LEGAL_RATE")
        .unwrap();
    assert_eq!(interest_step.reference_value_ids.len(), 4);
    assert!(
        interest_step.detail.contains("170 d × 7%"),
        "{}",
        interest_step.detail
    );

    let mut compact = seed(2)?;
    compact.explanation = pb::ArrearsExplanationLevel::Steps as i32;
    let c = calc.arrears(compact).await?;
    assert!(
        c.explanation
            .iter()
            .flat_map(|e| &e.rules)
            .all(|s| s.detail.is_empty())
    );
    assert_eq!(c.totals, r.totals);

    // One line explained in full: its steps and those about the whole result, no others.
    let mut one = seed(2)?;
    one.explanation = pb::ArrearsExplanationLevel::Full as i32;
    one.explain_lines = vec![pb::ArrearsLineSelector {
        creditor_id: String::new(),
        month: ym(2002, 1),
    }];
    let o = calc.arrears(one).await?;
    assert_eq!(o.totals, r.totals);
    let lines = &o.creditors[0].lines;
    assert!(!lines[0].step_ids.is_empty());
    assert!(lines[1..].iter().all(|l| l.step_ids.is_empty()));
    let kept = o.explanation.unwrap_or_default();
    let ids: Vec<&String> = kept.rules.iter().map(|s| &s.step_id).collect();
    assert!(lines[0].step_ids.iter().all(|id| ids.contains(&id)));
    assert!(
        kept.rules
            .iter()
            .all(|s| s.subject.is_empty() || lines[0].step_ids.contains(&s.step_id))
    );
    assert!(
        kept.rules
            .iter()
            .any(|s| s.rule_id == "INTEREST_LEGAL_RATE" && s.detail.contains("170 d × 7%"))
    );
    assert!(kept.rules.len() < r.explanation.unwrap_or_default().rules.len() / 10);
    Ok(())
}

#[tokio::test]
async fn without_the_payment_order_january_to_may_2002_are_time_barred() -> anyhow::Result<()> {
    let mut calc = Calc::start().await?;
    let mut req = seed(2)?;
    if let Some(case) = req.arrears_case.as_mut() {
        case.acts.clear();
    }
    let r = calc.arrears(req).await?;
    let barred: Vec<i32> = r.creditors[0]
        .lines
        .iter()
        .filter(|l| l.status() == pb::InstalmentStatus::TimeBarred)
        .filter_map(|l| l.month.map(|m| m.year * 100 + m.month))
        .collect();
    assert_eq!(barred, vec![200201, 200202, 200203, 200204, 200205]);
    let t = totals(&r);
    assert_eq!(amount(&t.time_barred), "600.00");
    assert_eq!(amount(&t.claimable), "7483.50");
    assert_eq!(amount(&t.interest), "0.00");
    Ok(())
}

#[tokio::test]
async fn prescription_lists_each_limit_and_what_moved_it() -> anyhow::Result<()> {
    let mut calc = Calc::start().await?;
    let seed2 = seed(2)?;
    let req = pb::ComputePrescriptionRequest {
        arrears_case: seed2.arrears_case.clone(),
        as_of: seed2.calculation_date,
    };
    let r = calc
        .client
        .compute_prescription(calc.req(req))
        .await?
        .into_inner();
    assert_eq!(r.lines.len(), 65);
    let jan = &r.lines[0];
    assert!(!jan.time_barred);
    assert_eq!(jan.prescription_limit, date(2009, 7, 15));
    assert_eq!(jan.changes.len(), 1);
    assert!(jan.changes[0].applied);
    assert_eq!(jan.changes[0].proposed_limit, date(2009, 7, 15));
    let aug = &r.lines[31];
    assert_eq!(aug.month, ym(2004, 8));
    assert!(!aug.changes[0].applied);
    assert_eq!(aug.changes[0].reason, "not covered by the act");
    Ok(())
}

#[tokio::test]
async fn interest_on_claims_and_on_a_case() -> anyhow::Result<()> {
    let mut calc = Calc::start().await?;
    let claim = |id: &str, start: (i32, i32, i32), end: (i32, i32, i32)| pb::InterestClaim {
        claim_id: id.into(),
        principal: money("1000.00"),
        start_date: date(start.0, start.1, start.2),
        end_date: date(end.0, end.1, end.2),
    };
    let req = pb::ComputeInterestRequest {
        claims: vec![claim("k1", (2023, 1, 1), (2024, 1, 1))],
        calculation_date: date(2025, 1, 1),
        ..Default::default()
    };
    let r = calc
        .client
        .compute_interest(calc.req(req))
        .await?
        .into_inner();
    assert_eq!(amount(&r.total), "52.50");
    let period = &r.lines[0].periods[0];
    assert_eq!((period.days, period.rate_percent.as_str()), (365, "5.25"));
    let cited = &r.explanation.unwrap_or_default().reference_values[0];
    assert_eq!(cited.reference_value_id, period.reference_value_id);

    let seed2 = seed(2)?;
    let req = pb::ComputeInterestRequest {
        arrears_case: seed2.arrears_case,
        calculation_date: seed2.calculation_date,
        ..Default::default()
    };
    let r = calc
        .client
        .compute_interest(calc.req(req))
        .await?
        .into_inner();
    assert_eq!((r.lines.len(), amount(&r.total)), (31, "742.96"));

    let missing = pb::ComputeInterestRequest {
        claims: vec![claim("k2", (2040, 1, 1), (2040, 6, 1))],
        calculation_date: date(2041, 1, 1),
        ..Default::default()
    };
    let s = assert_code(
        calc.client.compute_interest(calc.req(missing)).await,
        Code::FailedPrecondition,
    );
    assert!(
        s.message().contains("legal_interest_rate"),
        "{}",
        s.message()
    );
    assert!(s.message().contains("2040-01-01"), "{}", s.message());
    Ok(())
}

#[tokio::test]
async fn index_amount_and_a_missing_cpi() -> anyhow::Result<()> {
    let mut calc = Calc::start().await?;
    let seed1 = seed(1)?;
    let schedule = seed1
        .arrears_case
        .and_then(|c| c.title)
        .and_then(|t| t.creditors.into_iter().next())
        .and_then(|c| c.amount);
    let req = pb::IndexAmountRequest {
        amount: schedule,
        month: ym(2005, 10),
    };
    let r = calc.client.index_amount(calc.req(req)).await?.into_inner();
    assert_eq!((amount(&r.amount), r.adjusted_in), ("153.62", ym(2005, 9)));

    let cpi = |base: (i32, i32), first: (i32, i32)| {
        Some(pb::MaintenanceAmount {
            method: Some(pb::maintenance_amount::Method::CpiIndexation(
                pb::CpiIndexation {
                    base_amount: money("200.00"),
                    base_month: ym(base.0, base.1),
                    first_adjustment_month: ym(first.0, first.1),
                },
            )),
        })
    };
    // Published CPI (2013 = 100): August 2023 129.12, December 2023 129.45.
    let req = pb::IndexAmountRequest {
        amount: cpi((2023, 8), (2024, 1)),
        month: ym(2024, 6),
    };
    let r = calc.client.index_amount(calc.req(req)).await?.into_inner();
    assert_eq!(amount(&r.amount), "200.51");
    assert_eq!(
        (r.reference_month, r.adjusted_in),
        (ym(2023, 12), ym(2024, 1))
    );
    assert!(
        r.unrounded_amount.starts_with("200.511"),
        "{}",
        r.unrounded_amount
    );

    let req = pb::IndexAmountRequest {
        amount: cpi((1990, 1), (1991, 1)),
        month: ym(1991, 3),
    };
    let s = assert_code(
        calc.client.index_amount(calc.req(req)).await,
        Code::FailedPrecondition,
    );
    assert!(
        s.message().contains("cpi") && s.message().contains("1990-12"),
        "{}",
        s.message()
    );
    Ok(())
}
