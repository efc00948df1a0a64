//! Deterministic synthetic people: every figure derives from a hash of the national number
//! (one life per person, `person.rs`) and the day asked, so the same question on the same
//! day always gets the same answer. No real data.

use chrono::{Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_domain::{NationalNumber, YearMonth};
use secal_proto::{
    sim::v1::{self as sim, query_source_request::Scope},
    v1::{self as pb, IncomeSource, SourceStatus},
};
use secal_runtime::wire;

use super::person::{After, Person};

/// What was asked: months, or one date (with its month).
enum Asked {
    Months(Vec<YearMonth>),
    On(NaiveDate, YearMonth),
}

fn on(date: NaiveDate) -> Result<Asked, String> {
    let month = YearMonth::from_date(date).map_err(|e| format!("situation_on: {e}"))?;
    Ok(Asked::On(date, month))
}

fn money(cents: i64) -> Option<pb::Money> {
    Some(pb::Money {
        amount: Decimal::new(cents, 2).to_string(),
    })
}

fn date(d: NaiveDate) -> Option<pb::Date> {
    Some(wire::date_to_pb(d))
}

fn code(code: &str, label: &str) -> Option<pb::SourceCode> {
    Some(pb::SourceCode {
        code: code.into(),
        label: label.into(),
    })
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn months(first: YearMonth, last: YearMonth) -> Vec<YearMonth> {
    let mut out = Vec::new();
    let mut m = Some(first);
    while let Some(cur) = m.filter(|c| *c <= last && out.len() < 120) {
        out.push(cur);
        m = cur.next();
    }
    out
}

/// The answer of one source about one person, as the network knows it today.
pub fn answer(req: &sim::QuerySourceRequest) -> Result<pb::SourceResult, String> {
    answer_on(req, Utc::now().date_naive())
}

/// The answer as the network would give it on `today`: nothing that has not happened by
/// then, and wages and allowances only for periods that have ended (they are declared and
/// paid afterwards).
pub fn answer_on(
    req: &sim::QuerySourceRequest,
    today: NaiveDate,
) -> Result<pb::SourceResult, String> {
    let nn: NationalNumber = req
        .subject
        .as_ref()
        .map(|s| s.value.as_str())
        .unwrap_or_default()
        .parse()
        .map_err(|_| "subject: not a national number".to_owned())?;
    let source = IncomeSource::try_from(req.source)
        .ok()
        .filter(|s| *s != IncomeSource::Unspecified)
        .ok_or("source: unknown")?;
    let asked = asked(req, today)?;
    let person = Person::of(&nn);
    let data = match source {
        IncomeSource::Employment => employment(&person, &asked, today),
        IncomeSource::HolidayPay => holiday_pay(&person, &asked, today),
        IncomeSource::Unemployment => unemployment(&person, &asked, today),
        IncomeSource::SicknessBenefits => sickness(&person, &asked, today),
        IncomeSource::Pensions => pensions(&person, &asked, today),
        IncomeSource::Unspecified => None,
    };
    Ok(pb::SourceResult {
        source: source as i32,
        status: if data.is_some() {
            SourceStatus::Ok
        } else {
            SourceStatus::NoData
        } as i32,
        status_detail: String::new(),
        retrieved_at: wire::timestamp(Utc::now()),
        data,
    })
}

fn asked(req: &sim::QuerySourceRequest, today: NaiveDate) -> Result<Asked, String> {
    match &req.scope {
        Some(Scope::Period(p)) => {
            let first = wire::year_month_from_pb("period.first_month", p.first_month.as_ref())
                .map_err(|e| e.to_string())?;
            let last = wire::year_month_from_pb("period.last_month", p.last_month.as_ref())
                .map_err(|e| e.to_string())?;
            Ok(Asked::Months(months(first, last)))
        }
        Some(Scope::SituationOn(d)) => {
            on(wire::date_from_pb("situation_on", Some(d)).map_err(|e| e.to_string())?)
        }
        Some(Scope::LastKnown(_)) => on(today),
        None => Err("scope: a period, a date or the last known situation is required".into()),
    }
}

use pb::source_result::Data;

fn asked_months(asked: &Asked) -> Vec<YearMonth> {
    match asked {
        Asked::Months(m) => m.clone(),
        Asked::On(_, month) => vec![*month],
    }
}

/// The day a situation is read on: the day asked, or today for a day still to come (the
/// network knows nothing of the future).
fn known_on(on: NaiveDate, today: NaiveDate) -> NaiveDate {
    on.min(today)
}

/// A month's gross wages as declared: the full-time wage times the working time.
fn wages(p: &Person, month: YearMonth) -> i64 {
    let full = p.monthly_wage(month.year());
    match &p.career {
        Some(c) if c.part_time => full * 4 / 5,
        _ => full,
    }
}

/// The quarters asked, as their first months. For a date, the quarter holding it, or the
/// last one declared when that one has not ended yet.
fn asked_quarters(asked: &Asked, today: NaiveDate) -> Vec<YearMonth> {
    let first_of = |m: YearMonth| m.add_months(-(((m.month() - 1) % 3) as i32));
    match asked {
        Asked::Months(months) => {
            let mut quarters: Vec<YearMonth> = months.iter().filter_map(|m| first_of(*m)).collect();
            quarters.dedup();
            quarters
        }
        Asked::On(on, _) => {
            let month = YearMonth::from_date(known_on(*on, today)).ok();
            let quarter = month.and_then(first_of);
            let ended = quarter
                .and_then(|q| q.add_months(2))
                .is_some_and(|last| last.last_day() < today);
            let quarter = if ended {
                quarter
            } else {
                quarter.and_then(|q| q.add_months(-3))
            };
            quarter.into_iter().collect()
        }
    }
}

fn employment(p: &Person, asked: &Asked, today: NaiveDate) -> Option<Data> {
    let career = p.career.as_ref()?;
    let end = p.work_end()?;
    let s = &p.detail;
    let records = asked_quarters(asked, today)
        .into_iter()
        .filter_map(|first| {
            let months: Vec<YearMonth> = first.iter_to(first.add_months(2)?).collect();
            // The DmfA declares a quarter once it is over.
            if months.last()?.last_day() >= today {
                return None;
            }
            let worked: Vec<YearMonth> = months.into_iter().filter(|m| p.works_in(*m)).collect();
            if worked.is_empty() {
                return None;
            }
            let second = first.first_day() >= career.job_change;
            let (from, until, employer) = if second {
                (career.job_change, end, 1u8)
            } else {
                (career.start, career.job_change.min(end), 0u8)
            };
            let tag = s[17 + usize::from(employer)];
            let fraction = if career.part_time { "0.80" } else { "1.00" };
            let days = 65 * worked.len() as i32 / 3 * if career.part_time { 4 } else { 5 } / 5;
            Some(pb::EmploymentRecord {
                employer: Some(pb::Employer {
                    enterprise_number: format!(
                        "0{:09}",
                        u32::from_be_bytes([0, tag, s[19], s[20]])
                    ),
                    name: format!("Synthetic Employer {}", tag % 50),
                    address: None,
                }),
                year: first.year(),
                quarter: ((first.month() - 1) / 3 + 1) as i32,
                employment_start: date(from),
                // Only once it has happened.
                employment_end: (until <= today)
                    .then(|| until.pred_opt())
                    .flatten()
                    .and_then(date),
                worker_category: if career.blue_collar {
                    code("2", "blue-collar")
                } else {
                    code("1", "white-collar")
                },
                joint_committee: if career.blue_collar { "124" } else { "200" }.into(),
                working_time_fraction: fraction.into(),
                gross_wages: money(worked.iter().map(|m| wages(p, *m)).sum()),
                days_declared: days,
            })
        })
        .collect::<Vec<_>>();
    (!records.is_empty()).then_some(Data::Employment(pb::EmploymentData { records }))
}

/// The holiday funds pay blue-collar workers' holiday pay (white-collar workers get theirs
/// from the employer, which this source does not see), in May of the holiday year, on the
/// wages of the year before.
fn holiday_pay(p: &Person, asked: &Asked, today: NaiveDate) -> Option<Data> {
    p.career.as_ref().filter(|c| c.blue_collar)?;
    let s = &p.detail;
    let mut years: Vec<i32> = asked_months(asked).iter().map(|m| m.year()).collect();
    years.dedup();
    let records = years
        .into_iter()
        .filter_map(|y| {
            let paid_on = ymd(y, 5, 15 + u32::from(s[21] % 10));
            if paid_on > today {
                return None;
            }
            let reference_year = YearMonth::new(y - 1, 1).ok()?;
            let earned: i64 = reference_year
                .iter_to(reference_year.add_months(11)?)
                .filter(|m| p.works_in(*m))
                .map(|m| wages(p, m))
                .sum();
            // 15.38 % of 108 % of the reference year's gross wages.
            let gross = earned * 108 * 1538 / 1_000_000;
            (gross > 0).then(|| pb::HolidayPayRecord {
                holiday_year: y,
                gross_amount: money(gross),
                net_amount: money(gross * 83 / 100),
                paid_on: date(paid_on),
                paying_fund: format!("Synthetic Holiday Fund {}", s[22] % 9),
            })
        })
        .collect::<Vec<_>>();
    (!records.is_empty()).then_some(Data::HolidayPay(pb::HolidayPayData { records }))
}

/// Full unemployment (ONEM/RVA): allowances of about 65 % of the last wage, capped, paid
/// for each month once it is over; none during a sanction.
fn unemployment(p: &Person, asked: &Asked, today: NaiveDate) -> Option<Data> {
    let (After::Unemployed { since, sanctioned }, _, until) = p.spell()? else {
        return None;
    };
    let s = &p.detail;
    let last_wage = YearMonth::from_date(since).map_or(0, |m| wages(p, m));
    let daily = (last_wage * 65 / 100 / 26).min(7_000);
    let sanction_start = since.checked_add_months(chrono::Months::new(3))?;
    let sanction_end = sanction_start + chrono::Days::new(7 * 13 - 1);
    let in_sanction = |d: NaiveDate| sanctioned && d >= sanction_start && d <= sanction_end;
    let paying_body = [
        "CAPAC/HVW",
        "Synthetic Union Fund A",
        "Synthetic Union Fund B",
    ][usize::from(s[23] % 3)];
    let kind = code("FULL", "full unemployment");
    match asked {
        Asked::Months(months) => {
            let lines: Vec<pb::UnemploymentMonth> = months
                .iter()
                .filter(|m| m.first_day() >= since && m.first_day() < until)
                .filter(|m| m.last_day() < today)
                .filter(|m| !in_sanction(m.first_day()) && !in_sanction(m.last_day()))
                .map(|m| pb::UnemploymentMonth {
                    month: Some(wire::year_month_to_pb(*m)),
                    amount_paid: money(daily * 26),
                    amount_approved: money(daily * 26),
                    file_status: code("A", "approved"),
                    paying_body: paying_body.into(),
                })
                .collect();
            (!lines.is_empty()).then_some(Data::Unemployment(pb::UnemploymentData {
                months: lines,
                situation: None,
            }))
        }
        Asked::On(on, _) => {
            let day = known_on(*on, today);
            if day < since || day >= until {
                return None;
            }
            let mut sit = pb::UnemploymentSituation {
                situation_on: date(*on),
                theoretical_daily_amount: money(daily),
                unemployment_kind: kind,
                ..Default::default()
            };
            if in_sanction(day) {
                sit.right_status = pb::UnemploymentRightStatus::InvalidRight as i32;
                sit.sanction = Some(pb::UnemploymentSanction {
                    start_date: date(sanction_start),
                    end_date: date(sanction_end),
                    duration_weeks: 13,
                });
            } else if day < since.checked_add_months(chrono::Months::new(1))? {
                // The right is granted; the first month is paid once it is over.
                sit.right_status = pb::UnemploymentRightStatus::ValidRight as i32;
                sit.right_start = date(since);
                sit.family_situation = 1 + i32::from(s[24] % 3);
            } else {
                sit.right_status = pb::UnemploymentRightStatus::Paid as i32;
                sit.last_payment_month = YearMonth::from_date(day)
                    .ok()
                    .and_then(|m| m.prev())
                    .map(wire::year_month_to_pb);
                sit.allowance_count = 26;
            }
            Some(Data::Unemployment(pb::UnemploymentData {
                months: Vec::new(),
                situation: Some(sit),
            }))
        }
    }
}

/// Incapacity benefits (mutualities): primary incapacity for the first year, invalidity
/// after, about 60 % of the last wage, capped; months are paid once they are over.
fn sickness(p: &Person, asked: &Asked, today: NaiveDate) -> Option<Data> {
    let (After::Ill { since }, _, until) = p.spell()? else {
        return None;
    };
    let s = &p.detail;
    let last_wage = YearMonth::from_date(since).map_or(0, |m| wages(p, m));
    let daily = (last_wage * 60 / 100 / 26).min(9_000);
    let invalidity_from = since.checked_add_months(chrono::Months::new(12))?;
    let insurer = format!("Synthetic Mutuality {}", s[25] % 6);
    let record = |day: NaiveDate, month: Option<YearMonth>| {
        let invalid = day >= invalidity_from;
        pb::SicknessBenefitRecord {
            benefit_kind: if invalid {
                code("INV", "invalidity")
            } else {
                code("PRIM", "primary incapacity")
            },
            period_start: date(if invalid { invalidity_from } else { since }),
            period_end: (!invalid && invalidity_from <= today)
                .then(|| invalidity_from.pred_opt())
                .flatten()
                .and_then(date),
            daily_amount: money(daily),
            month: month.map(wire::year_month_to_pb),
            amount_paid: month.and_then(|_| money(daily * 26)),
            insurer: insurer.clone(),
        }
    };
    let records: Vec<_> = match asked {
        Asked::Months(months) => months
            .iter()
            .filter(|m| m.first_day() >= since && m.first_day() < until)
            .filter(|m| m.last_day() < today)
            .map(|m| record(m.first_day(), Some(*m)))
            .collect(),
        Asked::On(on, _) => {
            let day = known_on(*on, today);
            (day >= since && day < until)
                .then(|| record(day, None))
                .into_iter()
                .collect()
        }
    };
    (!records.is_empty()).then_some(Data::SicknessBenefits(pb::SicknessBenefitData { records }))
}

/// Pensions in payment on the day asked (the period's last day): a retirement pension only
/// from the legal age, a survivor's pension from the spouse's death at any adult age.
fn pensions(p: &Person, asked: &Asked, today: NaiveDate) -> Option<Data> {
    let s = &p.detail;
    let reference = match asked {
        Asked::Months(months) => months.last().map(|m| m.last_day())?,
        Asked::On(on, _) => *on,
    };
    let reference = known_on(reference, today);
    let record = |kind, start: NaiveDate, gross: i64| pb::PensionRecord {
        pension_kind: kind,
        paying_institution: "Synthetic Pension Service".into(),
        gross_monthly_amount: money(gross),
        net_monthly_amount: money(gross * 87 / 100),
        start_date: date(start),
        end_date: None,
    };
    let mut records = Vec::new();
    if p.retirement <= reference {
        // About 60 % of the last full-time wage for a career, the minimum pension without.
        let last = p.monthly_wage(p.retirement.year());
        let gross = (last * 60 / 100).clamp(150_000, 300_000);
        records.push(record(
            code("RET", "retirement pension"),
            p.retirement,
            gross,
        ));
    }
    if let Some(since) = p.survivor_since.filter(|d| *d <= reference) {
        let gross = 110_000 + i64::from(u16::from_be_bytes([s[26], s[27]])) % 70_000;
        records.push(record(code("SURV", "survivor's pension"), since, gross));
    }
    (!records.is_empty()).then_some(Data::Pensions(pb::PensionData { records }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid national number for a birth date and serial (check digits mod 97; those
    /// born from 2000 on count with a leading 2).
    fn national_number(birth: NaiveDate, serial: u32) -> String {
        let base = format!(
            "{:02}{:02}{:02}{serial:03}",
            birth.year() % 100,
            birth.month(),
            birth.day()
        );
        let value: u64 = format!("{}{base}", if birth.year() >= 2000 { "2" } else { "" })
            .parse()
            .unwrap();
        format!("{base}{:02}", 97 - value % 97)
    }

    /// About 1,400 people born from 1940 to 2010.
    fn people() -> Vec<(String, NaiveDate)> {
        (0..1_400u32)
            .map(|i| {
                let birth = ymd(1940 + (i % 71) as i32, 1 + i % 12, 1 + (i * 7) % 28);
                (national_number(birth, 1 + (i * 13) % 997), birth)
            })
            .collect()
    }

    fn request(nn: &str, source: IncomeSource, scope: Scope) -> sim::QuerySourceRequest {
        sim::QuerySourceRequest {
            source: source as i32,
            subject: Some(pb::NationalNumber { value: nn.into() }),
            scope: Some(scope),
        }
    }

    fn ten_years() -> Scope {
        Scope::Period(pb::MonthRange {
            first_month: Some(pb::YearMonth {
                year: 2017,
                month: 1,
            }),
            last_month: Some(pb::YearMonth {
                year: 2026,
                month: 12,
            }),
        })
    }

    fn ask(nn: &str, source: IncomeSource, scope: Scope, today: NaiveDate) -> Option<Data> {
        answer_on(&request(nn, source, scope), today).unwrap().data
    }

    fn day(d: &Option<pb::Date>) -> NaiveDate {
        wire::date_from_pb("d", d.as_ref()).unwrap()
    }

    /// The day the legal pension age is reached, written out here rather than taken from
    /// the simulator, so that a wrong age there is caught: 65, 66 for those born in
    /// 1960–1963, 67 from 1964.
    fn legal_age_day(birth: NaiveDate) -> NaiveDate {
        let age = match birth.year() {
            ..1960 => 65,
            1960..1964 => 66,
            _ => 67,
        };
        birth
            .checked_add_months(chrono::Months::new(age * 12))
            .unwrap()
    }

    #[test]
    fn no_retirement_pension_before_the_legal_age() {
        let today = ymd(2026, 12, 7);
        let mut retired = 0;
        for (nn, birth) in people() {
            for scope in [ten_years(), Scope::LastKnown(pb::LastKnownSituation {})] {
                let Some(Data::Pensions(p)) = ask(&nn, IncomeSource::Pensions, scope, today) else {
                    continue;
                };
                for r in &p.records {
                    let kind = r.pension_kind.as_ref().map(|k| k.code.as_str());
                    match kind {
                        Some("RET") => {
                            retired += 1;
                            assert!(day(&r.start_date) > legal_age_day(birth), "{nn}: {r:?}");
                        }
                        Some("SURV") => {
                            assert!(day(&r.start_date) >= birth + chrono::Days::new(365 * 30))
                        }
                        other => panic!("{nn}: pension kind {other:?}"),
                    }
                    assert!(day(&r.start_date) <= today, "{nn}: a pension still to come");
                }
            }
        }
        assert!(retired > 100, "{retired} retirement pensions");
    }

    /// Employment quarters, by their first month, with the day the job ended (if it has).
    fn employment(nn: &str, today: NaiveDate) -> Vec<(YearMonth, Option<NaiveDate>)> {
        match ask(nn, IncomeSource::Employment, ten_years(), today) {
            Some(Data::Employment(e)) => e
                .records
                .iter()
                .map(|r| {
                    let first = YearMonth::new(r.year, (r.quarter as u32 - 1) * 3 + 1).unwrap();
                    let end = r.employment_end.is_some().then(|| day(&r.employment_end));
                    (first, end)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn wages_are_declared_for_ended_quarters_of_working_age_only() {
        for today in [ymd(2026, 12, 7), ymd(2026, 3, 31), ymd(2026, 4, 1)] {
            let mut quarters = 0;
            for (nn, birth) in people() {
                for (first, _) in employment(&nn, today) {
                    quarters += 1;
                    let last = first.add_months(2).unwrap().last_day();
                    assert!(last < today, "{nn}: quarter {first:?} declared on {today}");
                    assert!(
                        last >= birth
                            .checked_add_months(chrono::Months::new(18 * 12))
                            .unwrap(),
                        "{nn}: wages before 18"
                    );
                    assert!(first.first_day() < legal_age_day(birth) + chrono::Days::new(31));
                }
            }
            assert!(quarters > 1_000, "{quarters} quarters on {today}");
        }
    }

    /// Months with allowances or benefits: ended, and never while a job still ran.
    fn check_out_of_work_months(nn: &str, today: NaiveDate, months: &[YearMonth]) {
        let jobs = employment(nn, today);
        for m in months {
            assert!(m.last_day() < today, "{nn}: {m:?} paid before it ended");
            let first = m.add_months(-(((m.month() - 1) % 3) as i32)).unwrap();
            if let Some((_, end)) = jobs.iter().find(|(q, _)| *q == first) {
                assert!(
                    end.is_some_and(|e| e < m.first_day()),
                    "{nn}: {m:?} out of work while employed"
                );
            }
        }
    }

    #[test]
    fn allowances_and_benefits_are_for_ended_months_without_work() {
        let today = ymd(2026, 12, 7);
        let (mut unemployed, mut ill, mut invalid) = (0, 0, 0);
        for (nn, _) in people() {
            if let Some(Data::Unemployment(u)) =
                ask(&nn, IncomeSource::Unemployment, ten_years(), today)
            {
                unemployed += 1;
                let months: Vec<YearMonth> = u
                    .months
                    .iter()
                    .map(|m| wire::year_month_from_pb("m", m.month.as_ref()).unwrap())
                    .collect();
                check_out_of_work_months(&nn, today, &months);
            }
            if let Some(Data::SicknessBenefits(s)) =
                ask(&nn, IncomeSource::SicknessBenefits, ten_years(), today)
            {
                ill += 1;
                invalid += usize::from(
                    s.records
                        .iter()
                        .any(|r| r.benefit_kind.as_ref().is_some_and(|k| k.code == "INV")),
                );
                let months: Vec<YearMonth> = s
                    .records
                    .iter()
                    .map(|r| wire::year_month_from_pb("m", r.month.as_ref()).unwrap())
                    .collect();
                check_out_of_work_months(&nn, today, &months);
            }
        }
        assert!(
            unemployed > 50 && ill > 20 && invalid > 10,
            "{unemployed} {ill} {invalid}"
        );
    }

    #[test]
    fn holiday_pay_is_paid_on_last_years_work_never_ahead() {
        let today = ymd(2026, 5, 1);
        let mut paid = 0;
        for (nn, _) in people() {
            let Some(Data::HolidayPay(h)) = ask(&nn, IncomeSource::HolidayPay, ten_years(), today)
            else {
                continue;
            };
            let worked: Vec<i32> = employment(&nn, today)
                .iter()
                .map(|(q, _)| q.year())
                .collect();
            for r in &h.records {
                paid += 1;
                assert!(day(&r.paid_on) <= today, "{nn}: {r:?}");
                assert!(
                    r.holiday_year < 2026,
                    "{nn}: paid in May of a year not yet there"
                );
                assert!(worked.contains(&(r.holiday_year - 1)) || r.holiday_year - 1 < 2017);
            }
        }
        assert!(paid > 100, "{paid}");
    }

    #[test]
    fn the_same_question_on_the_same_day_gets_the_same_answer() {
        let today = ymd(2026, 12, 7);
        for (nn, _) in people().into_iter().take(200) {
            for source in [
                IncomeSource::Employment,
                IncomeSource::HolidayPay,
                IncomeSource::Unemployment,
                IncomeSource::SicknessBenefits,
                IncomeSource::Pensions,
            ] {
                let scope = || Scope::SituationOn(wire::date_to_pb(ymd(2024, 2, 29)));
                let first = answer_on(&request(&nn, source, scope()), today).unwrap();
                let again = answer_on(&request(&nn, source, scope()), today).unwrap();
                assert_eq!(first.data, again.data);
                assert_eq!(first.status, again.status);
            }
        }
    }
}
