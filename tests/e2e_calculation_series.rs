//! The price-index series the migrations load, checked through real gRPC against facts
//! published independently of the figures themselves: Statbel's linking coefficients between
//! bases (a month published on two bases agrees with them), the published yearly inflation
//! (the yearly averages of two complete years give it, to 0.05 points), and no implausible
//! month-to-month jump on one base.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use secal_proto::v1::{
    self as pb, ReferenceKind, calculation_service_client::CalculationServiceClient,
};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};

/// (series, month "YYYY-MM", base year) → index.
type Series = BTreeMap<(String, String, u32), Decimal>;

async fn every(
    suite: &Suite,
    client: &mut CalculationServiceClient<tonic::transport::Channel>,
    token: &str,
    kind: ReferenceKind,
) -> anyhow::Result<Vec<pb::ReferenceValue>> {
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let req = pb::ListReferenceValuesRequest {
            kind: kind as i32,
            page: Some(pb::PageRequest {
                page_size: 200,
                page_token,
            }),
            ..Default::default()
        };
        let page = client
            .list_reference_values(suite.request(token, req))
            .await?
            .into_inner();
        out.extend(page.values);
        page_token = page.page.unwrap_or_default().next_page_token;
        if page_token.is_empty() {
            return Ok(out);
        }
    }
}

fn series_of(values: &[pb::ReferenceValue], name: &str, into: &mut Series) -> anyhow::Result<()> {
    for v in values {
        let (month, base) = match v.key.split_once('/') {
            Some((m, b)) => (m.to_owned(), b.parse()?),
            None => (v.key.clone(), 2013),
        };
        into.insert((name.to_owned(), month, base), v.value.parse()?);
    }
    Ok(())
}

/// The yearly average change of the national CPI and of the health index as Statbel (FPS
/// Economy) and the Federal Planning Bureau published it, percent: (series, year, rate,
/// where it was read). Each year is checked on every base whose months give it (at least
/// 60 checks: the migrations hold Statbel's file from 1994 on three bases).
const PUBLISHED_YEARLY_CHANGE: &[(&str, i32, &str, &str)] = &[
    (
        "cpi",
        2013,
        "1.11",
        "Moneytalk / Le Vif (Belga) reporting SPF Economie, December 2013: l'inflation annuelle moyenne est de 1,11 % en 2013",
    ),
    (
        "cpi",
        2016,
        "1.97",
        "Trends / Le Vif reporting SPF Economie, December 2016: une inflation de 1,97 % en moyenne pour 2016",
    ),
    (
        "cpi",
        2009,
        "-0.05",
        "Franchising Belgium citing FOD Economie, December 2014: toen bedroeg de gemiddelde jaarinflatie -0,05% (2009); BRF agrees",
    ),
    (
        "cpi",
        2011,
        "3.53",
        "Moneytalk/Knack (Belga) reporting the Federal Planning Bureau, late 2013: tegenover 2,84% in 2012 en 3,53% in 2011",
    ),
    (
        "cpi",
        2012,
        "2.84",
        "Moneytalk/Knack (Belga) reporting the Federal Planning Bureau, late 2013 and early 2014: 2,84% in 2012",
    ),
    (
        "cpi",
        2014,
        "0.34",
        "Franchising Belgium citing FOD Economie, December 2014: De gemiddelde inflatie voor 2014 bedraagt 0,34%",
    ),
    (
        "cpi",
        2015,
        "0.56",
        "Trends/Knack (Belga) reporting Statbel, December 2020: het laagste jaargemiddelde sinds 2015 (0,56 procent)",
    ),
    (
        "cpi",
        2017,
        "2.13",
        "Trends/Knack reporting FOD Economie, December 2017: Over heel het jaar 2017 bedroeg de inflatie gemiddeld 2,13 procent",
    ),
    (
        "cpi",
        2019,
        "1.44",
        "Trends/Knack (Belga) reporting Statbel, December 2020: Vorig jaar ging het nog om 1,44 procent",
    ),
    (
        "cpi",
        2020,
        "0.74",
        "Le Soir reporting Statbel, 23 December 2020: L'inflation moyenne annuelle s'élève à 0,74%",
    ),
    (
        "cpi",
        2021,
        "2.44",
        "L'Avenir reporting the Federal Planning Bureau, March 2022: l'inflation avait atteint 2,44% en 2021",
    ),
    (
        "cpi",
        2022,
        "9.59",
        "RTL info reporting the Federal Planning Bureau, 4 July 2023: contre 9,59% en 2022",
    ),
    (
        "cpi",
        2023,
        "4.06",
        "RTL info reporting the Federal Planning Bureau, 5 March 2024: contre 4,06% en 2023",
    ),
    (
        "health_index",
        2015,
        "1.05",
        "HLN (Belga) reporting the Federal Planning Bureau, November 2017: 1,05 procent in 2015",
    ),
    (
        "health_index",
        2011,
        "3.06",
        "Moneytalk/Knack (Belga) reporting the Federal Planning Bureau, late 2013: gezondheidsindex 3,06% in 2011",
    ),
    (
        "health_index",
        2012,
        "2.65",
        "Moneytalk/Knack (Belga) reporting the Federal Planning Bureau, late 2013: gezondheidsindex 2,65% in 2012",
    ),
    (
        "health_index",
        2013,
        "1.24",
        "Moneytalk/Knack reporting the Federal Planning Bureau, early 2014: gezondheidsindex 1,24% in 2013",
    ),
    (
        "health_index",
        2014,
        "0.40",
        "Trends/Le Vif reporting the Federal Planning Bureau, 2015: indice santé 0,40% en 2014",
    ),
    (
        "health_index",
        2016,
        "2.09",
        "HLN (Belga) reporting the Federal Planning Bureau, November 2017: gezondheidsindex 2,09 procent in 2016",
    ),
    (
        "health_index",
        2017,
        "1.85",
        "Trends/Le Vif reporting the Federal Planning Bureau, March 2018: indice santé 1,85% en 2017",
    ),
    (
        "health_index",
        2019,
        "1.47",
        "Le Soir reporting Statbel, 23 December 2020: indice santé 1,47 % en 2019",
    ),
    (
        "health_index",
        2020,
        "0.99",
        "Le Soir reporting Statbel, 23 December 2020: 0,99 % selon l'indice santé en 2020",
    ),
    (
        "health_index",
        2021,
        "2.01",
        "RTL info reporting the Federal Planning Bureau, 4 July 2023: indice santé 2,01 % en 2021",
    ),
    (
        "health_index",
        2022,
        "9.25",
        "RTL info reporting the Federal Planning Bureau, 5 March 2024: indice santé 9,25 % en 2022",
    ),
    (
        "health_index",
        2023,
        "4.33",
        "RTL info reporting the Federal Planning Bureau, 5 March 2024: indice santé 4,33 % en 2023",
    ),
];

fn next_month(m: &str) -> Option<String> {
    let (y, mo) = m.split_once('-')?;
    let (y, mo): (i32, u32) = (y.parse().ok()?, mo.parse().ok()?);
    Some(if mo == 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", mo + 1)
    })
}

/// A year's twelve months on one base, averaged.
fn yearly_average(s: &Series, name: &str, year: i32, base: u32) -> Option<Decimal> {
    let months: Vec<Decimal> = (1..=12)
        .filter_map(|m| {
            s.get(&(name.to_owned(), format!("{year:04}-{m:02}"), base))
                .copied()
        })
        .collect();
    (months.len() == 12).then(|| months.iter().sum::<Decimal>() / Decimal::from(12))
}

#[tokio::test]
async fn the_price_index_series_agrees_with_the_publishers_links_and_yearly_inflation()
-> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let mut client = CalculationServiceClient::new(suite.channel(Svc::Calculation).await?);
    let token = suite.agent_token("agent-calc", &[roles::CALCULATION_USER])?;
    let mut s = Series::new();
    let cpi = every(&suite, &mut client, &token, ReferenceKind::Cpi).await?;
    series_of(&cpi, "cpi", &mut s)?;
    let health = every(&suite, &mut client, &token, ReferenceKind::HealthIndex).await?;
    series_of(&health, "health_index", &mut s)?;
    let links: BTreeMap<String, Decimal> =
        every(&suite, &mut client, &token, ReferenceKind::PriceIndexLink)
            .await?
            .into_iter()
            .map(|v| Ok((v.key, v.value.parse()?)))
            .collect::<anyhow::Result<_>>()?;
    assert!(s.len() > 500, "the series is loaded: {} figures", s.len());

    // A month on two bases: the one × Statbel's coefficient = the other, to within the
    // rounding of two published figures and a four-digit coefficient.
    let mut linked = 0;
    for ((name, month, base), value) in &s {
        for ((other_name, other_month, other_base), other) in &s {
            if other_name != name || other_month != month || other_base <= base {
                continue;
            }
            let Some(c) = links.get(&format!("{name}:{base}:{other_base}")) else {
                continue;
            };
            let expected = value * c;
            let slack = Decimal::new(5, 2) + other * Decimal::new(1, 4);
            assert!(
                (expected - other).abs() <= slack,
                "{name} {month}: {value} on base {base} × {c} = {expected}, published {other} on \
                 base {other_base}"
            );
            linked += 1;
        }
    }
    assert!(linked >= 40, "{linked} months checked across bases");

    // No month moves more than 3 % from the one before on the same base (the largest monthly
    // change since 1994 was under 2 %, in October 2022).
    for ((name, month, base), value) in &s {
        let Some(next) = next_month(month) else {
            continue;
        };
        if let Some(after) = s.get(&(name.clone(), next.clone(), *base)) {
            let change = (after / value - Decimal::ONE).abs();
            assert!(
                change <= Decimal::new(3, 2),
                "{name} base {base}: {month} {value} → {next} {after}"
            );
        }
    }

    // The yearly change of each year whose months and the year before's are all loaded on
    // one base, against the rate published.
    let mut years = 0;
    for (name, year, published, source) in PUBLISHED_YEARLY_CHANGE {
        let published: Decimal = published.parse()?;
        for base in [1996, 2004, 2013] {
            let (Some(before), Some(this)) = (
                yearly_average(&s, name, year - 1, base),
                yearly_average(&s, name, *year, base),
            ) else {
                continue;
            };
            let rate = (this / before - Decimal::ONE) * Decimal::from(100);
            assert!(
                (rate - published).abs() <= Decimal::new(5, 2),
                "{name} {year} on base {base}: {rate:.3} % from the loaded months, {published} % \
                 published ({source})"
            );
            years += 1;
        }
    }
    assert!(
        years >= 60,
        "{years} years checked against the published yearly change"
    );
    Ok(())
}

fn money(m: Option<&pb::Money>) -> anyhow::Result<Decimal> {
    Ok(m.map(|m| m.amount.as_str()).unwrap_or_default().parse()?)
}

/// A set of art. 1409 thresholds in force from a date: A, B, C, D and the child increment.
type Brackets = (chrono::NaiveDate, [Decimal; 5]);

fn brackets_of(values: &[pb::ReferenceValue]) -> anyhow::Result<Vec<Brackets>> {
    let mut out = Vec::new();
    for v in values {
        let Some(pb::reference_value::StructuredValue::SeizureBrackets(b)) = &v.structured_value
        else {
            anyhow::bail!("a seizure_brackets value without its brackets: {v:?}");
        };
        let from = secal_runtime::wire::date_from_pb("valid_from", v.valid_from.as_ref())?;
        out.push((
            from,
            [
                money(b.threshold_a.as_ref())?,
                money(b.threshold_b.as_ref())?,
                money(b.threshold_c.as_ref())?,
                money(b.threshold_d.as_ref())?,
                money(b.child_increment.as_ref())?,
            ],
        ));
    }
    out.sort_by_key(|(from, _)| *from);
    Ok(out)
}

/// The seizure thresholds: each set has its child increment; the yearly indexation never
/// lowers them (the lowest set in force in a year — the temporary COVID-19 and energy-crisis
/// increases are above it — is at least the year before's, but for a one-euro rounding dip:
/// 2015's B, 1,148 after 1,149); and the advances income ceiling of 2006–2014, which the law of
/// 21 February 2003 (art. 4 § 1, until the law of 12 May 2014) set at the top threshold with
/// its per-child amount, equals that year's D and child increment — figures read in different
/// publications.
#[tokio::test]
async fn the_seizure_thresholds_rise_and_the_old_advance_ceilings_are_their_top_amounts()
-> anyhow::Result<()> {
    use chrono::Datelike;
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let mut client = CalculationServiceClient::new(suite.channel(Svc::Calculation).await?);
    let token = suite.agent_token("agent-calc", &[roles::CALCULATION_USER])?;
    let sets = every(&suite, &mut client, &token, ReferenceKind::SeizureBrackets).await?;
    let live: Vec<pb::ReferenceValue> = sets
        .into_iter()
        .filter(|v| v.superseded_by_reference_value_id.is_empty())
        .collect();
    let sets = brackets_of(&live)?;
    assert!(sets.len() >= 20, "{} sets", sets.len());
    for (from, b) in &sets {
        assert!(
            b[4] > Decimal::ZERO,
            "the set from {from} has no child increment"
        );
    }
    let mut lowest: BTreeMap<i32, [Decimal; 5]> = BTreeMap::new();
    for (from, b) in &sets {
        let year = lowest.entry(from.year()).or_insert(*b);
        if b[0] < year[0] {
            *year = *b;
        }
    }
    let years: Vec<(i32, [Decimal; 5])> = lowest.into_iter().collect();
    for pair in years.windows(2) {
        let ((y0, before), (y1, after)) = (pair[0], pair[1]);
        for i in 0..5 {
            assert!(
                after[i] >= before[i] - Decimal::ONE,
                "{y1} lowers threshold {i} from {} ({y0}) to {}",
                before[i],
                after[i]
            );
        }
    }
    let in_force = |kind: ReferenceKind| {
        let (suite, token) = (&suite, &token);
        let mut client = client.clone();
        async move { every(suite, &mut client, token, kind).await }
    };
    let ceilings = in_force(ReferenceKind::ApplicantIncomeCeiling).await?;
    let increments = in_force(ReferenceKind::ApplicantIncomeCeilingChildIncrement).await?;
    let mut compared = 0;
    for (from, b) in sets
        .iter()
        .filter(|(f, _)| (2006..=2014).contains(&f.year()))
    {
        let on = |values: &[pb::ReferenceValue]| -> anyhow::Result<Option<Decimal>> {
            for v in values
                .iter()
                .filter(|v| v.superseded_by_reference_value_id.is_empty())
            {
                let f = secal_runtime::wire::date_from_pb("valid_from", v.valid_from.as_ref())?;
                if f == *from {
                    return Ok(Some(v.value.parse()?));
                }
            }
            Ok(None)
        };
        let (Some(ceiling), Some(increment)) = (on(&ceilings)?, on(&increments)?) else {
            continue;
        };
        assert_eq!((ceiling, increment), (b[3], b[4]), "the ceiling of {from}");
        compared += 1;
    }
    assert!(compared >= 6, "{compared} years of ceilings compared");
    Ok(())
}
