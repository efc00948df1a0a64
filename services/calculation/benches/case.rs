//! The benchmark's case: a 20-year monthly schedule (2005-01 to 2024-12) for 4 creditors of
//! one title, with 100 payments and 3 interrupting acts, judged on 2025-01-01: 960 lines.

use secal_proto::v1 as pb;

fn ym(year: i32, month: i32) -> Option<pb::YearMonth> {
    Some(pb::YearMonth { year, month })
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn money(amount: String) -> Option<pb::Money> {
    Some(pb::Money { amount })
}

pub fn request() -> pb::ComputeArrearsRequest {
    let creditors = (0..4)
        .map(|c| {
            // Amounts step every January, as in the seed tables.
            let periods = (0..20)
                .map(|y| pb::AmountPeriod {
                    first_month: ym(2005 + y, 1),
                    last_month: None,
                    amount: money(format!("{}.{:02}", 120 + 10 * c + 2 * y, (y * 37) % 100)),
                })
                .collect();
            pb::TitleCreditor {
                creditor_id: format!("c{}", c + 1),
                first_month: ym(2005, 1),
                last_month: None,
                amount: Some(pb::MaintenanceAmount {
                    method: Some(pb::maintenance_amount::Method::ExplicitSchedule(
                        pb::ExplicitAmountSchedule { periods },
                    )),
                }),
            }
        })
        .collect();
    let payments = (0..100)
        .map(|i| {
            let months = i * 240 / 100;
            let (year, month) = (2005 + months / 12, 1 + months % 12);
            pb::ReceivedPayment {
                payment_id: format!("p{i}"),
                paid_on: date(year, month, 20),
                amount: money(format!("{}.50", 80 + (i % 7) * 25)),
                // Every third payment is tied to its month and creditor; the others pay the
                // oldest open instalments.
                for_month: if i % 3 == 0 { ym(year, month) } else { None },
                creditor_id: if i % 3 == 0 {
                    format!("c{}", 1 + i % 4)
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let acts = [
        (2009, pb::LegalActKind::PaymentOrder),
        (2014, pb::LegalActKind::Seizure),
        (2019, pb::LegalActKind::Summons),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (year, kind))| pb::LegalAct {
        act_id: format!("a{}", i + 1),
        kind: kind as i32,
        act_date: date(year, 3, 15),
        ..Default::default()
    })
    .collect();
    pb::ComputeArrearsRequest {
        arrears_case: Some(pb::ArrearsCase {
            title: Some(pb::MaintenanceTitle {
                title_reference: "bench".into(),
                title_date: date(2004, 12, 10),
                due_day: 1,
                creditors,
            }),
            payments,
            acts,
            judgment_fixed_arrears: vec![],
        }),
        calculation_date: date(2025, 1, 1),
        dossier_number: String::new(),
        // A summary, as every caller gets by default.
        explanation: pb::ArrearsExplanationLevel::Unspecified as i32,
        explain_lines: vec![],
    }
}
