//! The request decoding path (bytes → request → checks → rules → response) over inputs no
//! honest caller sends: arbitrary bytes, and the seed examples' encodings with bytes flipped,
//! cut or inserted. Whatever comes in, the answer is a schedule or a clear refusal — never a
//! panic and never an internal error. The reference table is the one the service's own
//! migrations load, read through its store from a real PostgreSQL. `fuzz/` drives the same
//! function under libFuzzer for longer runs.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use prost::Message;
use secal_calculation::{ReferenceStore, offline::compute_arrears_from_bytes};
use secal_proto::v1 as pb;
use secal_rules::ReferenceTable;
use secal_runtime::ErrorCode;
use secal_testkit::{Suite, Svc, json::fixture};

const REQUEST: &str = "secal.v1.ComputeArrearsRequest";

async fn reference_table(suite: &Suite) -> anyhow::Result<Arc<ReferenceTable>> {
    let url = suite.role_url(Svc::Calculation)?;
    let spec = secal_calculation::SPEC;
    let pool = secal_runtime::db::connect_and_migrate(&url, spec.schema, 2, spec.migrator).await?;
    Ok(ReferenceStore::new(pool).snapshot().await?)
}

fn seeds() -> anyhow::Result<Vec<Vec<u8>>> {
    [
        "calculation/seed_example_1.json",
        "calculation/seed_example_2.json",
    ]
    .iter()
    .map(|f| Ok(fixture::<pb::ComputeArrearsRequest>(REQUEST, f)?.encode_to_vec()))
    .collect()
}

/// Ok, or a refusal a caller can act on.
fn check(bytes: &[u8], refs: &ReferenceTable) -> Result<(), TestCaseError> {
    match compute_arrears_from_bytes(bytes, refs) {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.code(), ErrorCode::InvalidArgument) => {
            prop_assert!(
                !e.violations().is_empty(),
                "no field named: {}",
                e.message()
            );
            Ok(())
        }
        Err(e) if matches!(e.code(), ErrorCode::FailedPrecondition) => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!(
            "{:?}: {}",
            e.code(),
            e.message()
        ))),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, u8),
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip(i, x) => {
                if let Some(b) = bytes.get_mut(i % len) {
                    *b ^= x;
                }
            }
            Mutation::Cut(i) => bytes.truncate(i % len),
            Mutation::Insert(i, x) => bytes.insert((i % len).min(bytes.len()), x),
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        8 => (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        1 => any::<usize>().prop_map(Mutation::Cut),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Insert(i, x)),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn any_bytes_get_a_result_or_a_clear_refusal() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let refs = reference_table(&suite).await?;
    let seeds = seeds()?;

    // The unmodified seeds give their schedules: the property below is not vacuous.
    for seed in &seeds {
        compute_arrears_from_bytes(seed, &refs)?;
    }
    // fuzz/seed-corpus.sh: the same seeds start the libFuzzer corpus.
    if let Some(dir) = std::env::var_os("SECAL_WRITE_FUZZ_CORPUS") {
        std::fs::create_dir_all(&dir)?;
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(
                std::path::Path::new(&dir).join(format!("seed_example_{}", i + 1)),
                seed,
            )?;
        }
    }

    let config = Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..512), |bytes| {
            check(&bytes, &refs)
        })
        .map_err(|e| anyhow::anyhow!("arbitrary bytes: {e}"))?;

    let mut runner = TestRunner::new(config);
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 1..6));
    runner
        .run(&strategy, |(seed, mutations)| {
            check(&mutate(seeds[seed].clone(), &mutations), &refs)
        })
        .map_err(|e| anyhow::anyhow!("mutated seed: {e}"))?;
    Ok(())
}
