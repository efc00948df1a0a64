//! The rules library alone: arrears lines computed per second on the RPC bench's case
//! (20 years × 4 creditors = 960 lines, 100 payments, 3 interrupting acts), next to the same
//! case through the whole request path without transport (protobuf bytes → checks → rules →
//! response), so that the cost of reading and writing the wire types is visible.
//! Run: `cargo bench -p secal-calculation --bench arrears_lines`.

#![allow(clippy::expect_used)]

mod case;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use rust_decimal::Decimal;
use secal_calculation::offline::{ArrearsRequest, compute_arrears_from_bytes};
use secal_rules::{
    Explainer, arrears,
    reference::{RefKind, RefPayload, RefValue, ReferenceTable},
};

const LINES: u64 = 960;

/// A legal rate for every year the case reaches (its amounts are explicit: no CPI needed).
fn rates() -> ReferenceTable {
    ReferenceTable::new((2000..=2030).map(|year| RefValue {
        id: format!("rate-{year}"),
        kind: RefKind::LegalInterestRate,
        key: String::new(),
        valid_from: NaiveDate::from_ymd_opt(year, 1, 1).expect("date"),
        valid_to: NaiveDate::from_ymd_opt(year, 12, 31),
        payload: RefPayload::Number(Decimal::new(if year % 2 == 0 { 450 } else { 700 }, 2)),
        source: "bench".into(),
    }))
    .expect("table")
}

fn lines(c: &mut Criterion) {
    let refs = rates();
    let pb_request = case::request();
    let bytes = pb_request.encode_to_vec();
    let request = ArrearsRequest::read(&pb_request).expect("valid case");
    let (case, as_of) = request.rules_case();
    let result = arrears::compute(case, as_of, &refs, Explainer::new()).expect("computes");
    let counted: usize = result.creditors.iter().map(|c| c.lines.len()).sum();
    assert_eq!(counted as u64, LINES, "the case's line count");

    let mut group = c.benchmark_group("arrears_lines");
    group.throughput(Throughput::Elements(LINES));
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("rules_library", |b| {
        b.iter(|| arrears::compute(case, as_of, &refs, Explainer::new()).expect("computes"))
    });
    group.bench_function("decode_rules_encode", |b| {
        b.iter(|| compute_arrears_from_bytes(&bytes, &refs).expect("computes"))
    });
    group.finish();

    // One plain figure for the note, besides criterion's own report.
    let runs = 200u32;
    let start = Instant::now();
    for _ in 0..runs {
        arrears::compute(case, as_of, &refs, Explainer::new()).expect("computes");
    }
    let per_second = f64::from(runs) * LINES as f64 / start.elapsed().as_secs_f64();
    println!("\nrules library: {per_second:.0} arrears lines/s ({runs} runs of {LINES} lines)\n");
}

criterion_group!(benches, lines);
criterion_main!(benches);
