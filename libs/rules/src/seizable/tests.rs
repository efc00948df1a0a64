use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal_macros::dec;

use super::*;
use crate::{RefValue, SeizureBrackets};

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// One set of brackets in force from `from` to `to` (inclusive).
fn brackets(id: &str, from: NaiveDate, to: NaiveDate, [a, b, c, d, child]: [&str; 5]) -> RefValue {
    RefValue {
        id: id.into(),
        kind: RefKind::SeizureBrackets,
        key: String::new(),
        valid_from: from,
        valid_to: Some(to),
        payload: RefPayload::Brackets(SeizureBrackets {
            a: money(a),
            b: money(b),
            c: money(c),
            d: money(d),
            child_increment: money(child),
        }),
        source: "test".into(),
    }
}

fn brackets_table() -> ReferenceTable {
    let years = [
        (2023, ["1316", "1414", "1560", "1706", "81"]),
        (2024, ["1341", "1440", "1589", "1738", "83"]),
    ];
    ReferenceTable::new(
        years.map(|(y, figures)| {
            brackets(&format!("sb-{y}"), date(y, 1, 1), date(y, 12, 31), figures)
        }),
    )
    .unwrap()
}

/// 2022–2023 as published: the yearly sets, the energy-crisis increase from 3 November 2022
/// (law of 30 October 2022), raised again for 1 January – 31 March 2023 (royal decree of
/// 21 December 2022), then the ordinary 2023 set from 1 April 2023.
fn mid_year_table() -> ReferenceTable {
    ReferenceTable::new([
        brackets(
            "sb-2022",
            date(2022, 1, 1),
            date(2022, 11, 2),
            ["1186", "1274", "1406", "1538", "73"],
        ),
        brackets(
            "sb-2022-11",
            date(2022, 11, 3),
            date(2022, 12, 31),
            ["1424", "1529", "1688", "1846", "88"],
        ),
        brackets(
            "sb-2023-q1",
            date(2023, 1, 1),
            date(2023, 3, 31),
            ["1542", "1657", "1828", "2000", "95"],
        ),
        brackets(
            "sb-2023-04",
            date(2023, 4, 1),
            date(2023, 12, 31),
            ["1316", "1414", "1560", "1706", "81"],
        ),
    ])
    .unwrap()
}

fn income(id: &str, kind: IncomeKind, amount: &str) -> Income {
    Income {
        id: id.into(),
        kind,
        amount: money(amount),
        covers: None,
    }
}

fn request(
    month: YearMonth,
    incomes: Vec<Income>,
    children: i32,
    claim: ClaimKind,
) -> SeizableRequest {
    SeizableRequest {
        month,
        incomes,
        dependent_children: children,
        claim_kind: claim,
    }
}

fn run(req: &SeizableRequest) -> SeizableIncome {
    compute(req, &brackets_table(), Explainer::new()).unwrap()
}

#[test]
fn the_domain_example_gives_303_10() {
    let r = run(&request(
        ym(2024, 5),
        vec![income("w", IncomeKind::Wages, "2000")],
        1,
        ClaimKind::Ordinary,
    ));
    assert_eq!(r.scale, Scale::EarnedIncome);
    let shown: Vec<_> = r
        .bands
        .iter()
        .map(|b| {
            (
                b.label,
                b.income_in_band.to_string(),
                b.seizable.to_string(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("0-A", "1341.00".to_owned(), "0.00".to_owned()),
            ("A-B", "99.00".into(), "19.80".into()),
            ("B-C", "149.00".into(), "44.70".into()),
            ("C-D", "149.00".into(), "59.60".into()),
            ("D+", "262.00".into(), "262.00".into()),
        ]
    );
    assert_eq!(r.seizable_before_child_deduction, money("386.10"));
    assert_eq!(r.child_deduction, money("83.00"));
    assert_eq!(r.seizable_amount, money("303.10"));
    assert_eq!(r.counted_income, money("2000.00"));
    let scale_step = &r.explanation.steps[2];
    assert_eq!(scale_step.rule.id, "SEIZURE_EARNED_SCALE");
    assert_eq!(
        scale_step.detail,
        "2000.00 on the brackets in force on 2024-05-01: 0 + 20%×99.00 + 30%×149.00 + 40%×149.00 + 262.00 = 386.10"
    );
    assert_eq!(scale_step.reference_ids, ["sb-2024"]);
    let last = r.explanation.steps.last().unwrap();
    assert_eq!(last.rule.id, "SEIZURE_CHILD_DEDUCTION");
    assert_eq!(last.result.as_deref(), Some("303.10"));
}

#[test]
fn replacement_scale_only_when_every_counted_income_is_a_replacement_income() {
    // 2024, 1,700 of unemployment benefit: 20%×99 + 40%×149 + 40%×111 = 19.80 + 59.60 + 44.40.
    let alone = run(&request(
        ym(2024, 3),
        vec![
            income("u", IncomeKind::UnemploymentBenefit, "1700"),
            income("fa", IncomeKind::FamilyAllowance, "300"),
        ],
        0,
        ClaimKind::Ordinary,
    ));
    assert_eq!(alone.scale, Scale::ReplacementIncome);
    assert_eq!(alone.seizable_amount, money("123.80"));
    assert_eq!(alone.excluded_income, money("300.00"));
    assert!(!alone.incomes[1].counted);
    assert_eq!(alone.incomes[1].category, IncomeCategory::FullyUnseizable);

    let mixed = run(&request(
        ym(2024, 3),
        vec![
            income("u", IncomeKind::UnemploymentBenefit, "1600"),
            income("w", IncomeKind::Wages, "100"),
        ],
        0,
        ClaimKind::Ordinary,
    ));
    assert_eq!(mixed.scale, Scale::EarnedIncome);
    // 20%×99 + 30%×149 + 40%×111 = 19.80 + 44.70 + 44.40.
    assert_eq!(mixed.seizable_amount, money("108.90"));
}

#[test]
fn a_lump_sum_is_spread_over_the_months_it_covers() {
    let notice = Income {
        covers: Some(Covers {
            first: ym(2024, 1),
            last: Some(ym(2024, 6)),
        }),
        ..income("n", IncomeKind::NoticePay, "10000")
    };
    let req = |m| {
        request(
            m,
            vec![income("w", IncomeKind::Wages, "1000"), notice.clone()],
            0,
            ClaimKind::Ordinary,
        )
    };
    let march = run(&req(ym(2024, 3)));
    assert_eq!(march.incomes[1].month_share, money("1666.67"));
    assert_eq!(march.counted_income, money("2666.67"));
    // 19.80 + 44.70 + 59.60 + (2666.67 − 1738) = 1052.77
    assert_eq!(march.seizable_amount, money("1052.77"));
    assert!(
        march.explanation.steps[1]
            .detail
            .contains("10000.00 ÷ 6 months (2024-01..2024-06)")
    );

    let july = run(&req(ym(2024, 7)));
    assert_eq!(july.incomes[1].month_share, Money::ZERO);
    assert!(!july.incomes[1].counted);
    assert_eq!(july.counted_income, money("1000.00"));
    assert_eq!(july.excluded_income, Money::ZERO);
    assert_eq!(july.seizable_amount, Money::ZERO);
}

#[test]
fn a_month_uses_the_brackets_in_force_on_its_first_day() {
    let table = mid_year_table();
    let seizable = |y, m| {
        let req = request(
            ym(y, m),
            vec![income("w", IncomeKind::Wages, "2000")],
            1,
            ClaimKind::Ordinary,
        );
        let r = compute(&req, &table, Explainer::new()).unwrap();
        let scale_step = r.explanation.steps[2].clone();
        (
            r.seizable_amount.to_string(),
            scale_step.reference_ids[0].clone(),
            scale_step.detail,
        )
    };
    // November 2022 began before the increase of 3 November: the ordinary 2022 brackets.
    // 20%×88 + 30%×132 + 40%×132 + 462 = 17.60 + 39.60 + 52.80 + 462 = 572.00, − 73.
    let (amount, id, detail) = seizable(2022, 11);
    assert_eq!((amount.as_str(), id.as_str()), ("499.00", "sb-2022"));
    assert!(detail.starts_with("2000.00 on the brackets in force on 2022-11-01: "));
    // December 2022, inside the increase: 20%×105 + 30%×159 + 40%×158 + 154 =
    // 21.00 + 47.70 + 63.20 + 154.00 = 285.90, − 88.
    let (amount, id, _) = seizable(2022, 12);
    assert_eq!((amount.as_str(), id.as_str()), ("197.90", "sb-2022-11"));
    // March 2023, the raised increase: 20%×115 + 30%×171 + 40%×172 + 0 =
    // 23.00 + 51.30 + 68.80 = 143.10, − 95.
    let (amount, id, _) = seizable(2023, 3);
    assert_eq!((amount.as_str(), id.as_str()), ("48.10", "sb-2023-q1"));
    // April 2023, the month after: the ordinary 2023 brackets again, not the January ones.
    // 20%×98 + 30%×146 + 40%×146 + 294 = 19.60 + 43.80 + 58.40 + 294.00 = 415.80, − 81.
    let (amount, id, detail) = seizable(2023, 4);
    assert_eq!((amount.as_str(), id.as_str()), ("334.80", "sb-2023-04"));
    assert!(detail.starts_with("2000.00 on the brackets in force on 2023-04-01: "));
}

#[test]
fn the_maintenance_exception_takes_everything_but_cpas_aid() {
    let r = run(&request(
        ym(2023, 11),
        vec![
            income("w", IncomeKind::Wages, "900"),
            income("ris", IncomeKind::SocialIntegrationIncome, "400.50"),
            income("cpas", IncomeKind::CpasSocialAid, "250"),
        ],
        3,
        ClaimKind::Maintenance,
    ));
    assert_eq!(r.scale, Scale::MaintenanceException);
    assert!(r.bands.is_empty());
    assert_eq!(r.counted_income, money("1300.50"));
    assert_eq!(r.excluded_income, money("250.00"));
    assert_eq!(r.seizable_amount, money("1300.50"));
    assert_eq!(r.child_deduction, Money::ZERO);
    let rules: Vec<_> = r.explanation.steps.iter().map(|s| s.rule.id).collect();
    assert!(rules.contains(&"SEIZURE_CPAS_AID_EXCLUDED"));
    assert_eq!(rules.last(), Some(&"SEIZURE_MAINTENANCE_EXCEPTION"));
    assert!(r.explanation.references.is_empty());
}

#[test]
fn the_child_deduction_never_goes_below_zero() {
    let r = run(&request(
        ym(2024, 1),
        vec![income("w", IncomeKind::Wages, "1500")],
        3,
        ClaimKind::Ordinary,
    ));
    // 19.80 + 30% × 60 = 37.80, less than 3 × 83.
    assert_eq!(r.seizable_before_child_deduction, money("37.80"));
    assert_eq!(r.child_deduction, money("37.80"));
    assert_eq!(r.seizable_amount, Money::ZERO);
}

#[test]
fn a_month_without_brackets_is_a_missing_reference() {
    let req = request(
        ym(2030, 4),
        vec![income("w", IncomeKind::Wages, "2000")],
        0,
        ClaimKind::Ordinary,
    );
    let err = compute(&req, &brackets_table(), Explainer::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no seizure_brackets value in force on 2030-04-01"
    );
    // The maintenance exception needs no brackets.
    let req = SeizableRequest {
        claim_kind: ClaimKind::Maintenance,
        ..req
    };
    assert!(compute(&req, &brackets_table(), Explainer::new()).is_ok());
}

#[test]
fn every_problem_is_reported_at_once() {
    let bad_cover = |first, last| Covers {
        first,
        last: Some(last),
    };
    let req = request(
        ym(2024, 1),
        vec![
            income("a", IncomeKind::Wages, "-1"),
            Income {
                covers: Some(bad_cover(ym(2024, 6), ym(2024, 1))),
                ..income("b", IncomeKind::NoticePay, "10")
            },
            Income {
                amount: Money::from_decimal(dec!(1.005)),
                covers: Some(bad_cover(ym(2000, 1), ym(2024, 1))),
                ..income("a", IncomeKind::Wages, "0")
            },
            Income {
                covers: Some(Covers {
                    first: ym(2024, 1),
                    last: None,
                }),
                ..income("", IncomeKind::Pension, "1")
            },
        ],
        -1,
        ClaimKind::Ordinary,
    );
    let Err(RuleError::Invalid(v)) = compute(&req, &brackets_table(), Explainer::new()) else {
        panic!("expected violations")
    };
    let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "dependent_children",
            "incomes[0].amount",
            "incomes[1].covers.last_month",
            "incomes[2].income_id",
            "incomes[2].amount",
            "incomes[2].covers.last_month",
            "incomes[3].income_id",
            "incomes[3].covers.last_month",
        ]
    );
}

fn kind_strategy() -> impl Strategy<Value = IncomeKind> {
    use IncomeKind::*;
    prop::sample::select(vec![
        Wages,
        SelfEmployed,
        HolidayPay,
        NoticePay,
        UnemploymentBenefit,
        SicknessBenefit,
        Pension,
        CareerBreakAllowance,
        OccupationalCompensation,
        MaintenanceReceived,
        FamilyAllowance,
        OrphansPension,
        DisabilityAllowance,
        GuaranteedIncomeElderly,
        SocialIntegrationIncome,
        CpasSocialAid,
        ThirdPartyAssistance,
        CareReimbursement,
        PrisonerPay,
        OtherEarned,
        OtherReplacement,
    ])
}

fn incomes_strategy() -> impl Strategy<Value = Vec<Income>> {
    prop::collection::vec((kind_strategy(), 0i64..600_000, 0i32..12, 0i32..12), 0..6).prop_map(
        |items| {
            items
                .into_iter()
                .enumerate()
                .map(|(i, (kind, cents, start, len))| Income {
                    id: format!("i{i}"),
                    kind,
                    amount: Money::from_cents(cents),
                    // Every third income is a lump sum over up to 12 months of 2024.
                    covers: (i % 3 == 2).then(|| Covers {
                        first: ym(2024, 1).add_months(start).unwrap(),
                        last: ym(2024, 1).add_months(start + len),
                    }),
                })
                .collect()
        },
    )
}

proptest! {
    #[test]
    fn the_seizable_amount_is_between_zero_and_the_counted_income(
        incomes in incomes_strategy(),
        children in 0i32..6,
        month in 1u32..=12,
        maintenance in any::<bool>(),
    ) {
        let claim = if maintenance { ClaimKind::Maintenance } else { ClaimKind::Ordinary };
        let r = run(&request(ym(2024, month), incomes, children, claim));
        prop_assert!(!r.seizable_amount.is_negative());
        prop_assert!(r.seizable_amount <= r.counted_income);
        prop_assert!(r.seizable_amount.is_whole_cents());
        let bands: Money = r.bands.iter().map(|b| b.seizable).sum();
        if !maintenance {
            prop_assert_eq!(bands, r.seizable_before_child_deduction);
        }
        prop_assert_eq!(r.seizable_amount, r.seizable_before_child_deduction - r.child_deduction);
    }

    #[test]
    fn the_maintenance_exception_never_seizes_less_than_an_ordinary_claim(
        incomes in incomes_strategy(),
        children in 0i32..6,
        month in 1u32..=12,
    ) {
        let month = ym(2024, month);
        let ordinary = run(&request(month, incomes.clone(), children, ClaimKind::Ordinary));
        let maintenance = run(&request(month, incomes, children, ClaimKind::Maintenance));
        prop_assert!(maintenance.seizable_amount >= ordinary.seizable_amount);
    }

    #[test]
    fn more_children_never_increase_the_ordinary_seizable_amount(
        incomes in incomes_strategy(),
        children in 0i32..6,
        more in 1i32..4,
        month in 1u32..=12,
    ) {
        let month = ym(2024, month);
        let fewer = run(&request(month, incomes.clone(), children, ClaimKind::Ordinary));
        let more = run(&request(month, incomes, children + more, ClaimKind::Ordinary));
        prop_assert!(more.seizable_amount <= fewer.seizable_amount);
    }
}
