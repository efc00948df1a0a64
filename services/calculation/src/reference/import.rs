//! ImportPriceIndexFile: the CPI and health index of Statbel's own open-data file, compared
//! with the store (dry run) or stored (a new month and base added, a differing one
//! superseded), each value written and audited through `add`, the writer of the table.

use std::collections::HashMap;

use rust_decimal::Decimal;
use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::{
    add::{self, AuditNote, NumberValue},
    validate::text,
};
use crate::{api::CalculationApi, convert::ref_kind_to_pb};

mod parse;

const METHOD: &str = "ImportPriceIndexFile";
const MAX_NAME_LEN: usize = 100;
const MAX_PUBLICATION_LEN: usize = 200;
const MAX_REASON_LEN: usize = 800;

/// A checked request: the file read, every field validated.
struct ImportCommand {
    idempotency_key: String,
    file_sha256: String,
    file_name: String,
    publication: String,
    dry_run: bool,
    reason: String,
    parsed: parse::ParsedFile,
}

impl TryFrom<&pb::ImportPriceIndexFileRequest> for ImportCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ImportPriceIndexFileRequest) -> ServiceResult<Self> {
        let mut out = Violations::new();
        let key = out.idempotency_key(req.idempotency_key.as_ref());
        let file_name = text("file_name", &req.file_name, MAX_NAME_LEN, true, &mut out);
        let publication = text(
            "publication",
            &req.publication,
            MAX_PUBLICATION_LEN,
            true,
            &mut out,
        );
        let reason = text("reason", &req.reason, MAX_REASON_LEN, true, &mut out);
        let first_month = out.take_all(wire::optional_year_month_from_pb(
            "first_month",
            req.first_month.as_ref(),
        ));
        let parsed = match first_month {
            Some(first) => parse_file(&req.file, first, &mut out),
            None => None,
        };
        out.finish(|| {
            Some(ImportCommand {
                idempotency_key: key?,
                file_sha256: hex(&Sha256::digest(&req.file)),
                file_name,
                publication,
                dry_run: req.dry_run,
                reason,
                parsed: parsed?,
            })
        })
    }
}

fn parse_file(
    file: &[u8],
    first: Option<YearMonth>,
    out: &mut Violations,
) -> Option<parse::ParsedFile> {
    match parse::parse(file, first) {
        Ok(parsed) => Some(parsed),
        Err(problems) => {
            for p in problems {
                out.add(p.field, p.description);
            }
            None
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The live stored value of a price-index month and base.
struct Stored {
    id: i64,
    value: Decimal,
}

impl CalculationApi {
    #[tracing::instrument(skip_all, fields(actor = %caller.actor().id, dry_run, figures))]
    pub(crate) async fn import_price_index_file(
        &self,
        caller: &Caller,
        req: pb::ImportPriceIndexFileRequest,
    ) -> ServiceResult<pb::ImportPriceIndexFileResponse> {
        let cmd = ImportCommand::try_from(&req)?;
        tracing::Span::current()
            .record("dry_run", cmd.dry_run)
            .record("figures", cmd.parsed.figures.len());
        let mut tx = self.pool.begin().await?;
        if cmd.dry_run {
            // Nothing is written: no key to claim, and the comparison is all there is.
            let stored = stored_figures(&mut tx).await?;
            tx.rollback().await?;
            return Ok(compare(&cmd, &stored));
        }
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, caller, METHOD, &cmd.idempotency_key, &req).await?
        {
            return Ok(resp);
        }
        // Serialised with AddReferenceValue on the version row, as every write of the table.
        sqlx::query("SELECT version FROM reference_data_version FOR UPDATE")
            .execute(&mut *tx)
            .await?;
        let stored = stored_figures(&mut tx).await?;
        let mut resp = compare(&cmd, &stored);
        write_changes(&mut tx, caller, &cmd, &mut resp).await?;
        idempotency::complete(&mut tx, METHOD, &cmd.idempotency_key, &resp).await?;
        tx.commit().await?;
        self.references.changed();
        tracing::info!(
            new = resp.new_count,
            changed = resp.changed_count,
            unchanged = resp.unchanged_count,
            sha256 = %resp.file_sha256,
            "price index file imported"
        );
        Ok(resp)
    }
}

#[tracing::instrument(skip_all)]
async fn stored_figures(
    conn: &mut PgConnection,
) -> ServiceResult<HashMap<(String, String), Stored>> {
    let rows: Vec<(i64, String, String, Option<Decimal>)> = sqlx::query_as(
        "SELECT v.id, v.kind, v.key, v.value
         FROM reference_values v JOIN reference_live l ON l.value_id = v.id
         WHERE v.kind IN ('cpi', 'health_index')",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, key, value)| Some(((kind, key), Stored { id, value: value? })))
        .collect())
}

/// The diff of every figure of the file, in the file's order.
fn compare(
    cmd: &ImportCommand,
    stored: &HashMap<(String, String), Stored>,
) -> pb::ImportPriceIndexFileResponse {
    let mut resp = pb::ImportPriceIndexFileResponse {
        file_sha256: cmd.file_sha256.clone(),
        dry_run: cmd.dry_run,
        ignored_lines: cmd.parsed.ignored_lines,
        ..Default::default()
    };
    for f in &cmd.parsed.figures {
        let key = f.at.key();
        let found = stored.get(&(f.kind.as_str().to_owned(), key.clone()));
        let change = match found {
            None => pb::PriceIndexChange::New,
            Some(s) if s.value == f.value => pb::PriceIndexChange::Unchanged,
            Some(_) => pb::PriceIndexChange::Changed,
        };
        match change {
            pb::PriceIndexChange::New => resp.new_count += 1,
            pb::PriceIndexChange::Changed => resp.changed_count += 1,
            _ => resp.unchanged_count += 1,
        }
        resp.diffs.push(pb::PriceIndexDiff {
            kind: ref_kind_to_pb(f.kind).into(),
            month: Some(wire::year_month_to_pb(f.at.month)),
            base_year: f.at.base.into(),
            key,
            change: change.into(),
            file_value: f.text.clone(),
            stored_value: found.map(|s| s.value.to_string()).unwrap_or_default(),
            stored_reference_value_id: found.map(|s| s.id.to_string()).unwrap_or_default(),
            written_reference_value_id: String::new(),
            line: f.line,
        });
    }
    resp
}

/// Stores each new or changed figure (a changed one supersedes the stored value), with its
/// source (file, line, column) and its audit row, through the table's writer (`add`).
#[tracing::instrument(skip_all)]
async fn write_changes(
    conn: &mut PgConnection,
    caller: &Caller,
    cmd: &ImportCommand,
    resp: &mut pb::ImportPriceIndexFileResponse,
) -> ServiceResult<()> {
    let mut values = Vec::new();
    let mut written_diffs = Vec::new();
    for (i, (f, diff)) in cmd.parsed.figures.iter().zip(resp.diffs.iter()).enumerate() {
        let supersedes = match pb::PriceIndexChange::try_from(diff.change) {
            Ok(pb::PriceIndexChange::New) => None,
            Ok(pb::PriceIndexChange::Changed) => Some(
                diff.stored_reference_value_id
                    .parse::<i64>()
                    .map_err(ServiceError::internal)?,
            ),
            _ => continue,
        };
        values.push(NumberValue {
            kind: f.kind,
            key: diff.key.clone(),
            valid_from: f.at.month.first_day(),
            valid_to: Some(f.at.month.last_day()),
            value: f.value,
            source: format!(
                "Statbel open data file {} ({}; SHA-256 {}), line {}, column {}, base {} = 100",
                cmd.file_name, cmd.publication, cmd.file_sha256, f.line, f.column, f.at.base
            ),
            supersedes,
        });
        written_diffs.push(i);
    }
    let detail_suffix = format!("; from file SHA-256 {}", cmd.file_sha256);
    let note = AuditNote {
        reason: &cmd.reason,
        idempotency_key: &cmd.idempotency_key,
        detail_suffix: &detail_suffix,
    };
    let ids = add::insert_numbers(conn, caller, &values, &note).await?;
    for (i, id) in written_diffs.into_iter().zip(ids) {
        if let Some(diff) = resp.diffs.get_mut(i) {
            diff.written_reference_value_id = id.to_string();
        }
    }
    Ok(())
}
