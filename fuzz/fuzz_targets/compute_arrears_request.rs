//! ComputeArrears' decoding path under libFuzzer: any bytes must give a schedule or a clear
//! refusal, never a panic (libFuzzer reports panics, hangs and memory blow-ups).
//! Run: `cargo +nightly fuzz run compute_arrears_request -- -max_total_time=60`
//! (seed corpus: `fuzz/seed-corpus.sh`). The reference table is a fixed one with a legal
//! rate for every year and monthly CPI values, so that indexed titles are computed too.
#![no_main]

use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use secal_calculation::offline::compute_arrears_from_bytes;
use secal_rules::reference::{RefKind, RefPayload, RefValue, ReferenceTable};

fn value(
    id: String,
    kind: RefKind,
    key: String,
    from: NaiveDate,
    to: NaiveDate,
    n: Decimal,
) -> RefValue {
    RefValue {
        id,
        kind,
        key,
        valid_from: from,
        valid_to: Some(to),
        payload: RefPayload::Number(n),
        source: "fuzz".into(),
    }
}

fn table() -> &'static ReferenceTable {
    static TABLE: OnceLock<ReferenceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut values = Vec::new();
        for year in 1990..=2040 {
            let (Some(from), Some(to)) = (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year, 12, 31),
            ) else {
                continue;
            };
            let rate = Decimal::new(if year % 2 == 0 { 450 } else { 700 }, 2);
            values.push(value(
                format!("rate-{year}"),
                RefKind::LegalInterestRate,
                String::new(),
                from,
                to,
                rate,
            ));
            for month in 1..=12u32 {
                let cpi = Decimal::new(
                    6000 + i64::from(year - 1990) * 120 + i64::from(month) * 10,
                    2,
                );
                let key = format!("{year}-{month:02}");
                // A CPI is in force during its own month only, as the migrations store it.
                let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
                    continue;
                };
                let last = first
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(to);
                values.push(value(
                    format!("cpi-{key}"),
                    RefKind::Cpi,
                    key,
                    first,
                    last,
                    cpi,
                ));
            }
        }
        ReferenceTable::new(values).unwrap_or_else(|e| panic!("fuzz reference table: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = compute_arrears_from_bytes(data, table());
});
