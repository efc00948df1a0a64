//! The work queue's counts as metrics: open and overdue tasks per kind and team, as gauges
//! (each refresh states the whole count; every replica reports the same figure, so a
//! dashboard takes the maximum, not the sum). Refreshed by the case-work pump's loop.

use std::{collections::BTreeMap, sync::OnceLock};

use opentelemetry::{KeyValue, metrics::Gauge};
use sqlx::PgPool;

use super::tasks::TaskKind;

struct Gauges {
    open: Gauge<i64>,
    overdue: Gauge<i64>,
}

fn gauges() -> &'static Gauges {
    static GAUGES: OnceLock<Gauges> = OnceLock::new();
    GAUGES.get_or_init(|| {
        let meter = secal_runtime::telemetry::meter();
        Gauges {
            open: meter
                .i64_gauge("secal.work_queue.tasks_open")
                .with_description("open tasks listed in the work queue, per kind and team")
                .build(),
            overdue: meter
                .i64_gauge("secal.work_queue.tasks_overdue")
                .with_description("open tasks past their due date, per kind and team")
                .build(),
        }
    })
}

/// Counts the listed open tasks and records them; a kind without any is recorded as zero in
/// its own team's queue, so that a dashboard sees it fall to zero.
pub(crate) async fn refresh(pool: &PgPool) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT kind, team, count(*), count(*) FILTER (WHERE due_on < current_date)
           FROM tasks WHERE closed_at IS NULL AND listed_from <= current_date
          GROUP BY kind, team",
    )
    .fetch_all(pool)
    .await?;
    let mut counts: BTreeMap<(String, String), (i64, i64)> = TaskKind::ALL
        .into_iter()
        .map(|k| ((k.db().to_owned(), k.team().to_owned()), (0, 0)))
        .collect();
    for (kind, team, open, overdue) in rows {
        counts.insert((kind, team), (open, overdue));
    }
    let g = gauges();
    for ((kind, team), (open, overdue)) in counts {
        let attributes = [KeyValue::new("kind", kind), KeyValue::new("team", team)];
        g.open.record(open, &attributes);
        g.overdue.record(overdue, &attributes);
    }
    Ok(())
}
