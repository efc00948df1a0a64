//! Where a benchmark's database time went: `SECAL_BENCH_PROFILE=1` starts the test server
//! with pg_stat_statements, and the bench prints the statements that took most time.

use sqlx::PgPool;

/// Server settings that load pg_stat_statements (nested statements counted too, and the time
/// spent planning apart from executing: a statement planned at every call shows there).
pub const SETTINGS: [(&str, &str); 3] = [
    ("shared_preload_libraries", "pg_stat_statements"),
    ("pg_stat_statements.track", "all"),
    ("pg_stat_statements.track_planning", "on"),
];

/// Whether `SECAL_BENCH_PROFILE` is set.
pub fn wanted() -> bool {
    std::env::var_os("SECAL_BENCH_PROFILE").is_some()
}

/// Starts this process's test server with [`SETTINGS`] when profiling is wanted; call it
/// before the first suite starts.
pub fn start_pg_if_wanted() -> anyhow::Result<()> {
    if wanted() {
        crate::start_pg_with(&SETTINGS)?;
    }
    Ok(())
}

/// Creates the extension and forgets what was counted so far.
pub async fn reset(admin: &PgPool) -> anyhow::Result<()> {
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(admin)
        .await?;
    sqlx::query("SELECT pg_stat_statements_reset()")
        .execute(admin)
        .await?;
    Ok(())
}

/// The `limit` statements that took most database time since the last reset: total time,
/// calls, and the start of the statement.
pub async fn print_top(admin: &PgPool, limit: i64) -> anyhow::Result<()> {
    let rows: Vec<(String, i64, f64, i64, f64)> = sqlx::query_as(
        "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 90), calls, total_exec_time,
                plans, total_plan_time
           FROM pg_stat_statements
          WHERE query NOT LIKE '%pg_stat_statements%'
          ORDER BY total_exec_time DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(admin)
    .await?;
    for (query, calls, ms, plans, plan_ms) in rows {
        println!("{ms:>7.0} ms {calls:>7} calls {plans:>7} plans {plan_ms:>5.0} ms  {query}");
    }
    Ok(())
}
