//! The seizure brackets (Judicial Code art. 1409) the service's own migrations load, read from
//! a real PostgreSQL: every period carries its per-child increment and ordered limits, the
//! series never falls from one period to the next except where a published cause says so, and
//! the years loaded by migration 0011 are there with their cited source.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use secal_testkit::{Suite, Svc};
use sqlx::PgPool;

#[derive(Debug, sqlx::FromRow)]
struct Period {
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    threshold_a: Option<Decimal>,
    threshold_b: Option<Decimal>,
    threshold_c: Option<Decimal>,
    threshold_d: Option<Decimal>,
    child_increment: Option<Decimal>,
    source: String,
}

impl Period {
    fn figures(&self) -> [Option<Decimal>; 5] {
        [
            self.threshold_a,
            self.threshold_b,
            self.threshold_c,
            self.threshold_d,
            self.child_increment,
        ]
    }
}

const NAMES: [&str; 5] = ["A", "B", "C", "D", "child"];

/// The live seizure-bracket periods, oldest first.
async fn live_periods(admin: &PgPool) -> anyhow::Result<Vec<Period>> {
    Ok(sqlx::query_as(
        "SELECT v.valid_from, v.valid_to, v.threshold_a, v.threshold_b, v.threshold_c,
                v.threshold_d, v.child_increment, v.source
         FROM calculation.reference_values v
         JOIN calculation.reference_live l ON l.value_id = v.id
         WHERE v.kind = 'seizure_brackets'
         ORDER BY v.valid_from",
    )
    .fetch_all(admin)
    .await?)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    // The literals below are dates; a bad one is the test's own bug, shown as the epoch.
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

/// Where a figure may be lower than in the period before: the first day (year, month, day)
/// of the later period, the figures (by name) that fall there, and the published cause.
type Fall = ((i32, u32, u32), &'static [&'static str], &'static str);

const PUBLISHED_FALLS: &[Fall] = &[
    // Royal decree of 19 Dec 2014 (2015): 1,148 against 1,149 in 2014, the index having
    // fallen (2014: zians-haas.be; 2015: advocaten-leuven.be and migration 0002).
    ((2015, 1, 1), &["B"], "the 2015 indexation"),
    // The temporary COVID-19 increase ended on 31 Aug 2020 and again on 30 Sep 2021, the
    // energy-crisis increase on 31 Mar 2023: the yearly set applies again.
    ((2020, 9, 1), &NAMES, "end of the COVID-19 increase"),
    ((2021, 10, 1), &NAMES, "end of the COVID-19 increase"),
    ((2023, 4, 1), &NAMES, "end of the energy-crisis increase"),
];

#[tokio::test(flavor = "multi_thread")]
async fn the_seizure_bracket_series_is_complete_per_period_and_never_falls_unexplained()
-> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let admin = suite.admin_pool().await?;
    let periods = live_periods(&admin).await?;
    assert!(!periods.is_empty(), "no seizure brackets loaded");

    // Each period: all five figures, positive child increment, limits in order, a source.
    for p in &periods {
        let [a, b, c, dd, child] = p.figures();
        let (Some(a), Some(b), Some(c), Some(dd), Some(child)) = (a, b, c, dd, child) else {
            panic!("{}: incomplete brackets {:?}", p.valid_from, p.figures());
        };
        assert!(
            child > Decimal::ZERO,
            "{}: child increment {child}",
            p.valid_from
        );
        assert!(
            a < b && b < c && c < dd,
            "{}: {a}/{b}/{c}/{dd}",
            p.valid_from
        );
        assert!(!p.source.trim().is_empty(), "{}: no source", p.valid_from);
        assert!(
            p.valid_to.is_some_and(|to| to >= p.valid_from),
            "{}: open or reversed period {:?}",
            p.valid_from,
            p.valid_to
        );
    }

    // From one period to the next, no figure falls except where a published cause says so;
    // and every listed fall is really there (the list is not stale).
    let mut falls_seen = Vec::new();
    for pair in periods.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let allowed = PUBLISHED_FALLS
            .iter()
            .find(|((y, m, day), _, _)| d(*y, *m, *day) == after.valid_from);
        for (i, (x, y)) in before.figures().iter().zip(after.figures()).enumerate() {
            let (Some(x), Some(y)) = (x, y) else { continue };
            if y < *x {
                let name = NAMES[i];
                assert!(
                    allowed.is_some_and(|(_, names, _)| names.contains(&name)),
                    "{name} falls from {x} ({}) to {y} ({}) with no published cause listed",
                    before.valid_from,
                    after.valid_from
                );
                falls_seen.push((after.valid_from, name));
            }
        }
    }
    for ((y, m, day), names, why) in PUBLISHED_FALLS {
        let from = d(*y, *m, *day);
        for name in *names {
            assert!(
                falls_seen.contains(&(from, *name)),
                "{name} was expected to fall on {from} ({why}) but does not"
            );
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_years_added_by_0011_are_in_force_with_their_source() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let admin = suite.admin_pool().await?;
    let periods = live_periods(&admin).await?;

    let y2026: Vec<_> = periods
        .iter()
        .filter(|p| p.valid_from <= d(2026, 12, 31) && p.valid_to >= Some(d(2026, 1, 1)))
        .collect();
    assert_eq!(y2026.len(), 1, "{y2026:?}");
    let p = y2026[0];
    assert_eq!(
        (p.valid_from, p.valid_to),
        (d(2026, 1, 1), Some(d(2026, 12, 31)))
    );
    assert_eq!(
        p.figures(),
        [
            Some(dec!(1419)),
            Some(dec!(1524)),
            Some(dec!(1682)),
            Some(dec!(1839)),
            Some(dec!(88))
        ]
    );
    for part in ["Moniteur belge", "Securex", "one publisher only"] {
        assert!(p.source.contains(part), "{part}: {}", p.source);
    }

    // That every month from 2012 through 2026 has exactly one set in force is checked once,
    // over gRPC: tests/e2e_calculation_income.rs, every_month_from_2012_through_2026_….

    // The addition is audited like the rows of 0010.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM calculation.reference_audit a
         JOIN calculation.reference_values v ON v.id = a.value_id
         WHERE v.kind = 'seizure_brackets' AND v.valid_from = DATE '2026-01-01'
             AND a.action = 'add' AND a.actor = 'migration'",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!(audited, 1);
    Ok(())
}
