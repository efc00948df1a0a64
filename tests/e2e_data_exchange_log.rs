//! The access log: append-only for the service's own role, a row altered in the database is
//! pointed at by `verify`, the 10-year purge with a clock 10 years ahead keeps the chain
//! verifiable, and exports are signed files checked offline.

use crate::fixture;

use std::collections::HashMap;

use chrono::{Datelike, Utc};
use fixture::*;
use secal_proto::v1::{self as pb, data_exchange_service_client::DataExchangeServiceClient};
use secal_runtime::{auth::PrincipalKind, service::ServiceContext};
use secal_testkit::{Suite, Svc};
use tonic::Code;

#[tokio::test]
async fn a_row_altered_in_the_database_is_pointed_at_by_verify() -> anyhow::Result<()> {
    let fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    for _ in 0..7 {
        fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    }
    let v = fx.verify().await?;
    assert!(v.intact, "{v:?}");
    assert!(
        v.entries_checked >= 7 && v.checkpoints_checked >= 1,
        "{v:?}"
    );

    // The service's own role can neither change nor remove an entry.
    let own = fx.suite.role_pool(Svc::DataExchange).await?;
    let update =
        sqlx::query("UPDATE data_exchange.access_log SET agent_id = 'x' WHERE sequence = 3")
            .execute(&own)
            .await;
    assert!(update.is_err(), "UPDATE refused");
    let delete = sqlx::query("DELETE FROM data_exchange.access_log WHERE sequence = 3")
        .execute(&own)
        .await;
    assert!(delete.is_err(), "DELETE refused outside the purge");

    // A superuser bypassing the trigger changes entry 3: verify points at it.
    let admin = fx.suite.admin_pool().await?;
    let mut tx = admin.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE data_exchange.access_log SET dossier_number = 'SEC-2000-000001-00' WHERE sequence = 3")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let v = fx.verify().await?;
    assert!(!v.intact);
    assert_eq!(v.first_bad_sequence, 3, "{v:?}");
    assert_eq!(v.failure(), pb::ChainFailureKind::HashMismatch);

    // Deleting entry 2 as well: the first bad entry is now 2 (a gap).
    let mut tx = admin.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM data_exchange.access_log WHERE sequence = 2")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let v = fx.verify().await?;
    assert_eq!(
        (v.first_bad_sequence, v.failure()),
        (2, pb::ChainFailureKind::SequenceGap)
    );
    Ok(())
}

/// A second data-exchange server on the same database, its clock `days` ahead.
async fn later_instance(
    suite: &Suite,
    days: i64,
) -> anyhow::Result<DataExchangeServiceClient<tonic::transport::Channel>> {
    let spec = secal_data_exchange::SPEC;
    let pool = secal_runtime::db::connect_and_migrate(
        &suite.role_url(Svc::DataExchange)?,
        spec.schema,
        2,
        spec.migrator,
    )
    .await?;
    let peers = HashMap::from([(Svc::Intake, suite.addr(Svc::Intake)?)]);
    let mut config = Svc::data_exchange_config(&peers, Some(suite.simulator()?.addr()));
    config.clock_offset_days = days;
    let ctx = ServiceContext {
        pool,
        settings: suite.server_settings()?,
        service_token: Some(suite.token(
            "secal-data-exchange",
            PrincipalKind::System,
            &["service"],
        )?),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(secal_data_exchange::serve(
        ctx,
        config,
        listener,
        std::future::pending(),
    ));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?;
    for _ in 0..50 {
        if let Ok(ch) = channel.connect().await {
            return Ok(DataExchangeServiceClient::new(ch));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the later instance did not start")
}

fn purge(k: &str, cutoff: chrono::NaiveDate) -> pb::PurgeAccessLogRequest {
    pb::PurgeAccessLogRequest {
        idempotency_key: key(k),
        cutoff_date: date(cutoff.year(), cutoff.month() as i32, cutoff.day() as i32),
        dry_run: false,
        reason: "yearly retention run".into(),
    }
}

#[tokio::test]
async fn purge_ten_years_later_keeps_the_chain_verifiable_and_exports_check_offline()
-> anyhow::Result<()> {
    let fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    let auditor = fx.auditor();
    for who in [DEBTOR, MOTHER, DEBTOR, CHILDREN[1]] {
        fx.look_up(&lookup, fx.request(who)).await?;
    }
    let today = Utc::now().date_naive();

    // Today, nothing is 10 years old: a cut-off of today is refused.
    let refused = fx
        .dx
        .clone()
        .purge_access_log(fx.suite.request(&auditor, purge("p-now", today)))
        .await;
    assert_eq!(
        refused.map(|_| ()).unwrap_err().code(),
        Code::InvalidArgument
    );

    // Export about the debtor, checked offline with the public key.
    let export = fx
        .dx
        .clone()
        .export_access_log(fx.suite.request(
            &auditor,
            pb::ExportAccessLogRequest {
                subject: nn(DEBTOR),
                request_reference: "committee request 2026/17".into(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    // The debtor's two look-ups (each a grant logged before the sources are asked and the
    // outcome after), and this export itself (logged before it runs).
    assert_eq!(export.entry_count, 5);
    let pk = export.signing_key.clone().unwrap_or_default().public_key;
    // The key as the registry lists it: registered when the service started, and its last
    // signature is the log head written by the export's own entry.
    let keys = fx
        .dx
        .clone()
        .list_signing_keys(
            fx.suite
                .request(&auditor, pb::ListSigningKeysRequest::default()),
        )
        .await?
        .into_inner()
        .keys;
    assert_eq!(keys.len(), 1);
    assert_eq!(Some(&keys[0]), export.signing_key.as_ref());
    let registered = chrono::DateTime::parse_from_rfc3339(&keys[0].valid_from)?;
    let last_signed = chrono::DateTime::parse_from_rfc3339(&keys[0].last_signed_at)?;
    assert!(registered <= last_signed, "{:?}", keys[0]);
    let n = secal_data_exchange::log::verify_export(&export.content, &export.signature, &pk)?;
    assert_eq!(n, 5);
    let text = String::from_utf8(export.content.clone())?;
    assert!(!text.contains(DEBTOR), "no national number in clear");
    let tampered = text.replacen("agent-lookup", "agent-lookuq", 1);
    assert!(
        secal_data_exchange::log::verify_export(tampered.as_bytes(), &export.signature, &pk)
            .is_err()
    );
    // An export needs a filter.
    let none = fx
        .dx
        .clone()
        .export_access_log(
            fx.suite
                .request(&auditor, pb::ExportAccessLogRequest::default()),
        )
        .await;
    assert_eq!(none.map(|_| ()).unwrap_err().code(), Code::InvalidArgument);
    let before = fx.entries().await?;
    let last_before = before.last().map_or(0, |e| e.sequence);

    // Ten years and two days later.
    let mut later = later_instance(&fx.suite, 3654).await?;
    let future_today = today + chrono::Days::new(3654);
    let cutoff = future_today
        .checked_sub_months(chrono::Months::new(120))
        .unwrap_or(future_today);
    let purged = later
        .purge_access_log(fx.suite.request(&auditor, purge("p-later", cutoff)))
        .await?
        .into_inner();
    assert_eq!(
        purged.purged_count, last_before,
        "every entry so far is older than 10 years"
    );
    assert_eq!(purged.first_kept_sequence, last_before + 1);
    let anchor = purged.anchor.clone().unwrap_or_default();
    assert!(anchor.purge_anchor);
    assert_eq!(anchor.sequence, last_before);
    // The same key again: the same answer, nothing purged twice.
    let replay = later
        .purge_access_log(fx.suite.request(&auditor, purge("p-later", cutoff)))
        .await?
        .into_inner();
    assert_eq!(replay, purged);

    // The chain still verifies, from the anchor, with the purge's own entry.
    let v = later
        .verify_access_log(
            fx.suite
                .request(&auditor, pb::VerifyAccessLogRequest::default()),
        )
        .await?
        .into_inner();
    assert!(v.intact, "{v:?}");
    assert_eq!(v.anchor.map(|a| a.sequence), Some(last_before));
    assert!(v.entries_checked >= 1);
    let after = fx.entries().await?;
    assert!(after.iter().all(|e| e.sequence > last_before));
    assert!(
        after
            .iter()
            .any(|e| e.action() == pb::AccessAction::LogPurge)
    );
    // Changing the first kept entry is still caught.
    let admin = fx.suite.admin_pool().await?;
    let mut tx = admin.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE data_exchange.access_log SET prev_hash = '\\x00' WHERE sequence = $1")
        .bind(last_before + 1)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let v = fx.verify().await?;
    assert!(!v.intact);
    assert_eq!(v.first_bad_sequence, last_before + 1);
    Ok(())
}

/// Deletes, as a superuser bypassing the triggers, the entries from `from` on.
async fn erase_from(admin: &sqlx::PgPool, from: i64) -> anyhow::Result<()> {
    let mut tx = admin.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM data_exchange.access_log WHERE sequence >= $1")
        .bind(from)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn deleting_the_newest_entries_is_reported_and_their_numbers_never_come_back()
-> anyhow::Result<()> {
    let fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    for _ in 0..3 {
        fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    }
    assert!(fx.verify().await?.intact);
    let admin = fx.suite.admin_pool().await?;
    let last: i64 = sqlx::query_scalar("SELECT max(sequence) FROM data_exchange.access_log")
        .fetch_one(&admin)
        .await?;
    // Well after the last periodic checkpoint: only the signed head covers these.
    assert!(last % 100 > 3, "{last}");

    // The newest two entries go.
    erase_from(&admin, last - 1).await?;
    let v = fx.verify().await?;
    assert!(!v.intact, "{v:?}");
    assert_eq!(
        (v.first_bad_sequence, v.failure()),
        (last - 1, pb::ChainFailureKind::SequenceGap),
        "{v:?}"
    );

    // The next look-up does not reuse the erased numbers, and the gap stays found.
    let next = fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    assert!(next.access_log_sequence > last, "{next:?}");
    let reused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM data_exchange.access_log WHERE sequence IN ($1, $2)",
    )
    .bind(last - 1)
    .bind(last)
    .fetch_one(&admin)
    .await?;
    assert_eq!(reused, 0, "erased sequence numbers reused");
    let v = fx.verify().await?;
    assert_eq!(
        (v.intact, v.first_bad_sequence, v.failure()),
        (false, last - 1, pb::ChainFailureKind::SequenceGap),
        "{v:?}"
    );

    // Only the very newest entry goes: still found.
    let newest: i64 = sqlx::query_scalar("SELECT max(sequence) FROM data_exchange.access_log")
        .fetch_one(&admin)
        .await?;
    erase_from(&admin, newest).await?;
    let v = fx.verify().await?;
    assert!(!v.intact, "{v:?}");
    Ok(())
}

/// The field a refusal's BadRequest detail (or, failing that, its message) names.
fn names_field(status: &tonic::Status, field: &str) -> bool {
    use tonic_types::StatusExt;
    let details = status.get_error_details();
    details
        .bad_request()
        .is_some_and(|b| b.field_violations.iter().any(|v| v.field == field))
        || status.message().contains(field)
}

#[tokio::test]
async fn a_nul_in_a_look_ups_text_is_refused_naming_the_field_before_anything_happens()
-> anyhow::Result<()> {
    let fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    let admin = fx.suite.admin_pool().await?;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM data_exchange.access_log")
            .fetch_one(&admin)
            .await
    };
    let before = count().await?;
    for field in ["justification", "dossier_number"] {
        let mut req = fx.request(DEBTOR);
        match field {
            "justification" => req.justification = "debtor's\0means".into(),
            _ => req.dossier_number = format!("{}\0", req.dossier_number),
        }
        let status = fx
            .look_up(&lookup, req)
            .await
            .expect_err("a NUL is refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(names_field(&status, field), "{field}: {status:?}");
    }
    // Nothing happened: no entry (so no grant, so no source asked).
    assert_eq!(count().await?, before);
    // The service is unharmed: a clean look-up still answers and the log verifies.
    fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    assert!(fx.verify().await?.intact);
    Ok(())
}

#[tokio::test]
async fn a_grant_is_logged_before_the_sources_are_asked_and_stands_when_they_fail()
-> anyhow::Result<()> {
    let mut fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    fx.suite.stop_simulator().await?;
    let status = fx
        .look_up(&lookup, fx.request(DEBTOR))
        .await
        .expect_err("every source down");
    assert_eq!(status.code(), Code::Unavailable);
    let (reason, seq) = logged_failure(&status);
    assert_eq!(reason, "SOURCES_UNAVAILABLE");
    let entries = fx.entries().await?;
    let by_seq: HashMap<i64, &pb::AccessLogEntry> =
        entries.iter().map(|e| (e.sequence, e)).collect();
    // The grant, written before any source was asked: no result, no source outcome.
    let grant = by_seq.get(&(seq - 1)).expect("the grant is logged");
    assert_eq!(grant.action(), pb::AccessAction::IncomeLookup);
    assert_eq!(grant.outcome(), pb::AccessOutcome::Granted);
    assert!(grant.source_outcomes.is_empty(), "{grant:?}");
    assert!(grant.result_digest.is_empty(), "{grant:?}");
    assert_eq!(grant.dossier_number, fx.dossier);
    // Then what the sources answered.
    let outcome = by_seq.get(&seq).expect("the outcome is logged");
    assert_eq!(outcome.outcome(), pb::AccessOutcome::Granted);
    assert_eq!(outcome.source_outcomes.len(), 5);
    assert!(fx.verify().await?.intact);
    Ok(())
}

#[tokio::test]
async fn a_nul_in_an_auditors_filter_or_reference_is_refused_naming_the_field() -> anyhow::Result<()>
{
    let fx = Fx::start().await?;
    let auditor = fx.auditor();
    let admin = fx.suite.admin_pool().await?;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM data_exchange.access_log")
            .fetch_one(&admin)
            .await
    };
    let before = count().await?;
    let lists = [
        (
            "agent_id",
            pb::ListAccessLogEntriesRequest {
                agent_id: "agent\0x".into(),
                ..Default::default()
            },
        ),
        (
            "dossier_number",
            pb::ListAccessLogEntriesRequest {
                dossier_number: "SEC\0".into(),
                ..Default::default()
            },
        ),
        (
            "audit_reference",
            pb::ListAccessLogEntriesRequest {
                audit_reference: "case\0 17".into(),
                ..Default::default()
            },
        ),
    ];
    for (field, req) in lists {
        let status = fx
            .dx
            .clone()
            .list_access_log_entries(fx.suite.request(&auditor, req))
            .await
            .map(|_| ())
            .expect_err("a NUL is refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(names_field(&status, field), "{field}: {status:?}");
    }
    let export = pb::ExportAccessLogRequest {
        subject: nn(DEBTOR),
        request_reference: "request\0".into(),
        ..Default::default()
    };
    let status = fx
        .dx
        .clone()
        .export_access_log(fx.suite.request(&auditor, export))
        .await
        .map(|_| ())
        .expect_err("a NUL is refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(names_field(&status, "request_reference"), "{status:?}");
    // Refused before the read was logged: nothing was written.
    assert_eq!(count().await?, before);
    Ok(())
}
