//! The snapshot against a real database: what it holds, and that it is reloaded only when
//! the data changed.

use std::sync::Arc;

use chrono::NaiveDate;
use secal_rules::{RefKind, RefPayload};
use secal_testkit::{Suite, Svc};

use super::ReferenceStore;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Supersedes the legal rate of 2007 by 6.5 %, "correction", in plain SQL (as an operator
/// could): no service is told.
async fn correct_the_2007_rate(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO reference_values (kind, valid_from, valid_to, value, source, recorded_by,
                                       supersedes_id)
         SELECT kind, valid_from, valid_to, 6.5, 'correction', 'test', id
         FROM reference_values WHERE kind = 'legal_interest_rate' AND valid_from = '2007-01-01'
           AND id IN (SELECT value_id FROM reference_live)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A store on a freshly migrated database of its own (the suite keeps the database).
async fn fresh_store() -> anyhow::Result<(Suite, sqlx::PgPool, ReferenceStore)> {
    let suite = Suite::start(&[]).await?;
    let pool = secal_runtime::db::connect_and_migrate(
        &suite.role_url(Svc::Calculation)?,
        "calculation",
        2,
        &crate::MIGRATOR,
    )
    .await?;
    let store = ReferenceStore::new(pool.clone());
    Ok((suite, pool, store))
}

#[tokio::test]
async fn the_snapshot_holds_the_live_values_and_follows_changes() -> anyhow::Result<()> {
    let (_suite, pool, store) = fresh_store().await?;

    let first = store.snapshot().await?;
    let (rate, value) = first.number(RefKind::LegalInterestRate, d(2007, 5, 1))?;
    assert_eq!(rate.to_string(), "6.00");
    assert!(!value.source.is_empty());
    assert!(value.id.parse::<i64>().is_ok());
    assert_eq!(
        first
            .in_force(RefKind::ApplicantIncomeCeiling, "", d(2021, 1, 1))?
            .payload,
        RefPayload::Abolished
    );
    assert!(matches!(
        first.in_force(RefKind::SeizureBrackets, "", d(2024, 3, 1))?.payload,
        RefPayload::Brackets(b) if b.child_increment.to_string() == "83.00"
    ));
    assert!(
        first
            .number(RefKind::LegalInterestRate, d(2027, 1, 1))
            .is_err()
    );

    let again = store.snapshot().await?;
    assert!(
        Arc::ptr_eq(&first, &again),
        "unchanged data is not reloaded"
    );

    // A correction: the superseded value leaves the snapshot, its replacement enters.
    correct_the_2007_rate(&pool).await?;
    let changed = store.snapshot().await?;
    assert!(!Arc::ptr_eq(&first, &changed));
    let (rate, value) = changed.number(RefKind::LegalInterestRate, d(2007, 5, 1))?;
    assert_eq!(
        (rate.to_string().as_str(), value.source.as_str()),
        ("6.5", "correction")
    );
    assert_eq!(changed.len(), first.len(), "one value replaced another");
    Ok(())
}

/// Polls `check` every 20 ms for up to 10 s: a notification arrives a moment after the commit.
async fn eventually(mut check: impl AsyncFnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    for _ in 0..500 {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    anyhow::bail!("not within 10 s")
}

#[tokio::test]
async fn while_listening_the_snapshot_reads_nothing_until_a_change_is_heard() -> anyhow::Result<()>
{
    let (_suite, pool, store) = fresh_store().await?;
    let _watching = store.watch_changes();
    eventually(async || {
        store.snapshot().await?;
        Ok(store.watch.trusted())
    })
    .await?;
    let first = store.snapshot().await?;

    // The version moves without a notification: the snapshot does not read it.
    sqlx::query("UPDATE reference_data_version SET version = version + 1")
        .execute(&pool)
        .await?;
    assert!(Arc::ptr_eq(&first, &store.snapshot().await?));

    // A value added by anyone (here plain SQL) is heard, and the snapshot follows.
    correct_the_2007_rate(&pool).await?;
    eventually(async || {
        let s = store.snapshot().await?;
        Ok(s.number(RefKind::LegalInterestRate, d(2007, 5, 1))?
            .1
            .source
            == "correction")
    })
    .await?;

    // The listener's connection is cut: snapshots read the version until it listens again.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .execute(&pool)
    .await?;
    eventually(async || Ok(!store.watch.trusted())).await?;
    eventually(async || {
        store.snapshot().await?;
        Ok(store.watch.trusted())
    })
    .await?;
    Ok(())
}
