//! Deterministic synthetic people: every figure derives from a hash of the national number
//! and the source, so the same question always gets the same answer. No real data.

use chrono::{Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_domain::{NationalNumber, YearMonth};
use secal_proto::{
    sim::v1::{self as sim, query_source_request::Scope},
    v1::{self as pb, IncomeSource, SourceStatus},
};
use secal_runtime::wire;
use sha2::{Digest, Sha256};

/// What was asked: months, or one date (with its month).
enum Asked {
    Months(Vec<YearMonth>),
    On(NaiveDate, YearMonth),
}

fn on(date: NaiveDate) -> Result<Asked, String> {
    let month = YearMonth::from_date(date).map_err(|e| format!("situation_on: {e}"))?;
    Ok(Asked::On(date, month))
}

fn seed(nn: &NationalNumber, source: IncomeSource) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"secal-ssn-simulator/v1");
    h.update(source.as_str_name().as_bytes());
    h.update(nn.as_digits().as_bytes());
    h.finalize().into()
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

/// The answer of one source about one person.
pub fn answer(req: &sim::QuerySourceRequest) -> Result<pb::SourceResult, String> {
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
    let asked = match &req.scope {
        Some(Scope::Period(p)) => {
            let first = wire::year_month_from_pb("period.first_month", p.first_month.as_ref())
                .map_err(|e| e.to_string())?;
            let last = wire::year_month_from_pb("period.last_month", p.last_month.as_ref())
                .map_err(|e| e.to_string())?;
            Asked::Months(months(first, last))
        }
        Some(Scope::SituationOn(d)) => {
            on(wire::date_from_pb("situation_on", Some(d)).map_err(|e| e.to_string())?)?
        }
        Some(Scope::LastKnown(_)) => on(Utc::now().date_naive())?,
        None => {
            return Err("scope: a period, a date or the last known situation is required".into());
        }
    };
    let s = seed(&nn, source);
    let base = |i: usize| i64::from(u16::from_be_bytes([s[i], s[i + 1]]));
    // One person in four is unknown to each source.
    let data = if s[0].is_multiple_of(4) {
        None
    } else {
        match source {
            IncomeSource::Employment => employment(&s, base(2), &asked),
            IncomeSource::HolidayPay => holiday_pay(&s, base(2), &asked),
            IncomeSource::Unemployment => unemployment(&s, base(2), &asked),
            IncomeSource::SicknessBenefits => sickness(&s, base(2), &asked),
            IncomeSource::Pensions => pensions(&s, base(2)),
            IncomeSource::Unspecified => None,
        }
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

use pb::source_result::Data;

fn asked_months(asked: &Asked) -> Vec<YearMonth> {
    match asked {
        Asked::Months(m) => m.clone(),
        Asked::On(_, month) => vec![*month],
    }
}

fn employment(s: &[u8; 32], base: i64, asked: &Asked) -> Option<Data> {
    let monthly = 180_000 + base * 4; // 1,800 to about 4,400 EUR gross a month
    let start = ymd(2010 + i32::from(s[4] % 10), 1 + u32::from(s[5] % 12), 1);
    let mut quarters: Vec<(i32, u32)> = asked_months(asked)
        .iter()
        .map(|m| (m.year(), (m.month() - 1) / 3 + 1))
        .filter(|(y, q)| ymd(*y, (q - 1) * 3 + 1, 1) >= start.with_day(1).unwrap_or(start))
        .collect();
    quarters.dedup();
    let records = quarters
        .into_iter()
        .map(|(year, quarter)| pb::EmploymentRecord {
            employer: Some(pb::Employer {
                enterprise_number: format!("0{:09}", u32::from_be_bytes([0, s[6], s[7], s[8]])),
                name: format!("Synthetic Employer {}", s[6] % 50),
                address: None,
            }),
            year,
            quarter: quarter as i32,
            employment_start: date(start),
            employment_end: None,
            worker_category: if s[9].is_multiple_of(2) {
                code("1", "white-collar")
            } else {
                code("2", "blue-collar")
            },
            joint_committee: if s[9].is_multiple_of(2) { "200" } else { "124" }.into(),
            working_time_fraction: if s[10].is_multiple_of(3) {
                "0.80"
            } else {
                "1.00"
            }
            .into(),
            gross_wages: money(monthly * 3),
            days_declared: 65,
        })
        .collect::<Vec<_>>();
    (!records.is_empty()).then_some(Data::Employment(pb::EmploymentData { records }))
}

fn holiday_pay(s: &[u8; 32], base: i64, asked: &Asked) -> Option<Data> {
    let mut years: Vec<i32> = asked_months(asked).iter().map(|m| m.year()).collect();
    years.dedup();
    let gross = 150_000 + base * 3;
    let records = years
        .into_iter()
        .map(|y| pb::HolidayPayRecord {
            holiday_year: y,
            gross_amount: money(gross),
            net_amount: money(gross * 83 / 100),
            paid_on: date(ymd(y, 5, 15 + u32::from(s[4] % 10))),
            paying_fund: format!("Synthetic Holiday Fund {}", s[5] % 9),
        })
        .collect::<Vec<_>>();
    (!records.is_empty()).then_some(Data::HolidayPay(pb::HolidayPayData { records }))
}

fn unemployment(s: &[u8; 32], base: i64, asked: &Asked) -> Option<Data> {
    let daily = 3_500 + base % 4_000; // 35 to 75 EUR a day
    let paying_body = [
        "CAPAC/HVW",
        "Synthetic Union Fund A",
        "Synthetic Union Fund B",
    ][usize::from(s[4] % 3)];
    let kind = if s[5].is_multiple_of(4) {
        code("TEMP", "temporary unemployment")
    } else {
        code("FULL", "full unemployment")
    };
    let part_time = if s[6].is_multiple_of(5) {
        code("IGU", "income guarantee allowance (voluntary part-time)")
    } else {
        None
    };
    match asked {
        Asked::Months(months) => Some(Data::Unemployment(pb::UnemploymentData {
            months: months
                .iter()
                .map(|m| pb::UnemploymentMonth {
                    month: Some(wire::year_month_to_pb(*m)),
                    amount_paid: money(daily * 26),
                    amount_approved: money(daily * 26),
                    file_status: code("A", "approved"),
                    paying_body: paying_body.into(),
                })
                .collect(),
            situation: None,
        })),
        Asked::On(on, _) => {
            let mut sit = pb::UnemploymentSituation {
                situation_on: date(*on),
                ..Default::default()
            };
            let right_start = date(ymd(on.year() - 1 - i32::from(s[7] % 3), 1, 1));
            match s[8] % 4 {
                0 => {
                    sit.right_status = pb::UnemploymentRightStatus::Paid as i32;
                    sit.last_payment_month = YearMonth::from_date(*on)
                        .ok()
                        .and_then(|m| m.prev())
                        .map(wire::year_month_to_pb);
                    sit.theoretical_daily_amount = money(daily);
                    sit.allowance_count = 26;
                    sit.unemployment_kind = kind;
                    sit.part_time_regime = part_time;
                }
                1 => {
                    sit.right_status = pb::UnemploymentRightStatus::ValidRight as i32;
                    sit.theoretical_daily_amount = money(daily);
                    sit.right_start = right_start;
                    sit.unemployment_kind = kind;
                    sit.family_situation = 1 + i32::from(s[9] % 3);
                    sit.part_time_regime = part_time;
                }
                2 => {
                    sit.right_status = pb::UnemploymentRightStatus::InvalidRight as i32;
                    if s[9].is_multiple_of(2) {
                        let start = *on - chrono::Days::new(30);
                        sit.sanction = Some(pb::UnemploymentSanction {
                            start_date: date(start),
                            end_date: date(start + chrono::Days::new(7 * 13)),
                            duration_weeks: 13,
                        });
                    } else {
                        sit.exclusion_start = date(*on - chrono::Days::new(60));
                    }
                }
                _ => return None,
            }
            Some(Data::Unemployment(pb::UnemploymentData {
                months: Vec::new(),
                situation: Some(sit),
            }))
        }
    }
}

fn sickness(s: &[u8; 32], base: i64, asked: &Asked) -> Option<Data> {
    if s[4].is_multiple_of(2) {
        return None;
    }
    let daily = 4_000 + base % 3_000;
    let start = ymd(2015 + i32::from(s[5] % 8), 1 + u32::from(s[6] % 12), 1);
    let kind = if s[7].is_multiple_of(3) {
        code("INV", "invalidity")
    } else {
        code("PRIM", "primary incapacity")
    };
    let insurer = format!("Synthetic Mutuality {}", s[8] % 6);
    let records = match asked {
        Asked::Months(months) => months
            .iter()
            .filter(|m| m.last_day() >= start)
            .map(|m| pb::SicknessBenefitRecord {
                benefit_kind: kind.clone(),
                period_start: date(start),
                period_end: None,
                daily_amount: money(daily),
                month: Some(wire::year_month_to_pb(*m)),
                amount_paid: money(daily * 26),
                insurer: insurer.clone(),
            })
            .collect(),
        Asked::On(on, _) if *on >= start => vec![pb::SicknessBenefitRecord {
            benefit_kind: kind,
            period_start: date(start),
            period_end: None,
            daily_amount: money(daily),
            month: None,
            amount_paid: None,
            insurer,
        }],
        Asked::On(..) => Vec::new(),
    };
    (!records.is_empty()).then_some(Data::SicknessBenefits(pb::SicknessBenefitData { records }))
}

fn pensions(s: &[u8; 32], base: i64) -> Option<Data> {
    if !s[4].is_multiple_of(3) {
        return None;
    }
    let gross = 120_000 + base % 150_000;
    Some(Data::Pensions(pb::PensionData {
        records: vec![pb::PensionRecord {
            pension_kind: if s[5].is_multiple_of(4) {
                code("SURV", "survivor's pension")
            } else {
                code("RET", "retirement pension")
            },
            paying_institution: "Synthetic Pension Service".into(),
            gross_monthly_amount: money(gross),
            net_monthly_amount: money(gross * 87 / 100),
            start_date: date(ymd(
                2005 + i32::from(s[6] % 15),
                1 + u32::from(s[7] % 12),
                1,
            )),
            end_date: None,
        }],
    }))
}
