//! RecordLegalAct: an act on an active dossier after its activation (formal notice, summons,
//! payment order, seizure, the debtor's written acknowledgement, a judgment), stored
//! immutably, then the claim account booked to today: the act's effect on prescription and
//! interest is the calculation service's, read from the case like the form's own acts.

use chrono::NaiveDate;
use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_runtime::wire::{self, TextLimit};
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, idempotency};
use sqlx::PgConnection;
use uuid::Uuid;

use super::book::{self, Order, dossier_field, not_future};
use crate::api::PaymentsApi;
use crate::ledger::booking::Booking;

const REFERENCE: TextLimit = TextLimit {
    max_chars: 200,
    multiline: false,
};

/// RecordLegalAct, parsed.
struct ActCommand {
    key: String,
    dossier: String,
    kind: pb::LegalActKind,
    date: NaiveDate,
    creditors: Vec<String>,
    covered: Option<(YearMonth, Option<YearMonth>)>,
    reference: String,
}

impl TryFrom<&pb::RecordLegalActRequest> for ActCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::RecordLegalActRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.take(dossier_field(&req.dossier_number));
        let kind = v.take(wire::optional_enum::<pb::LegalActKind>("kind", req.kind));
        if kind == Some(None) {
            v.add("kind", "the kind of act is required");
        }
        let date = match req.act_date {
            None => {
                v.add("act_date", "the act's date is required");
                None
            }
            some => v.take_all(not_future("act_date", some.as_ref())),
        };
        let creditors = creditor_ids(&mut v, &req.creditor_person_ids);
        let covered = v.take_all(covered(req.covered_months.as_ref()));
        let reference = v.take(wire::optional_text("reference", &req.reference, REFERENCE));
        if reference == Some(None) {
            v.add(
                "reference",
                "the act's reference is required (bailiff, deed or letter)",
            );
        }
        v.finish(|| {
            Some(ActCommand {
                key: key?,
                dossier: dossier?,
                kind: kind??,
                date: date?,
                creditors,
                covered: covered?,
                reference: reference??,
            })
        })
    }
}

fn creditor_ids(v: &mut Violations, raw: &[String]) -> Vec<String> {
    if raw.len() > 50 {
        v.add("creditor_person_ids", "at most 50 creditors");
        return Vec::new();
    }
    let limit = TextLimit {
        max_chars: 64,
        multiline: false,
    };
    raw.iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let field = format!("creditor_person_ids[{i}]");
            match wire::optional_text(&field, id, limit) {
                Ok(Some(id)) => Some(id),
                Ok(None) => {
                    v.add(field, "must not be empty");
                    None
                }
                Err(e) => {
                    v.take::<()>(Err(e));
                    None
                }
            }
        })
        .collect()
}

type Covered = Option<(YearMonth, Option<YearMonth>)>;

fn covered(m: Option<&pb::MonthRange>) -> ServiceResult<Covered> {
    let Some(m) = m else { return Ok(None) };
    let first = wire::year_month_from_pb("covered_months.first_month", m.first_month.as_ref())?;
    let last =
        wire::optional_year_month_from_pb("covered_months.last_month", m.last_month.as_ref())?;
    if last.is_some_and(|l| l < first) {
        return Err(ServiceError::invalid_field(
            "covered_months.last_month",
            "must not be before first_month",
        ));
    }
    Ok(Some((first, last)))
}

/// The creditors named must be the dossier's (its snapshot's creditors, by party id).
async fn check_creditors(conn: &mut PgConnection, c: &ActCommand) -> ServiceResult<()> {
    let d = book::dossier(conn, &c.dossier).await?;
    if d.status != pb::DossierStatus::Active {
        return Err(ServiceError::failed_precondition(
            "DOSSIER_NOT_ACTIVE",
            format!(
                "dossier {} is not active: acts are recorded on active dossiers",
                c.dossier
            ),
        ));
    }
    let s = d.snapshot;
    let parties: Vec<String> = s.creditors.iter().map(super::case::party_of).collect();
    let unknown: Vec<FieldViolation> = c
        .creditors
        .iter()
        .enumerate()
        .filter(|(_, id)| !parties.contains(id))
        .map(|(i, _)| {
            FieldViolation::new(
                format!("creditor_person_ids[{i}]"),
                "not a creditor of the dossier",
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::invalid(unknown))
    }
}

async fn insert(
    conn: &mut PgConnection,
    c: &ActCommand,
    id: Uuid,
    actor: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO claim_acts (act_id, dossier_number, kind, act_date, creditor_ids, covered_first,
                                 covered_last, reference, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&c.dossier)
    .bind(c.kind as i16)
    .bind(c.date)
    .bind(&c.creditors)
    .bind(c.covered.map(|(f, _)| f.first_day()))
    .bind(c.covered.and_then(|(_, l)| l).map(|l| l.first_day()))
    .bind(&c.reference)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

fn act_pb(c: &ActCommand, id: Uuid, actor: &str) -> pb::ClaimLegalAct {
    pb::ClaimLegalAct {
        act_id: id.to_string(),
        kind: c.kind as i32,
        act_date: Some(wire::date_to_pb(c.date)),
        creditor_person_ids: c.creditors.clone(),
        covered_months: c.covered.map(|(f, l)| pb::MonthRange {
            first_month: Some(wire::year_month_to_pb(f)),
            last_month: l.map(wire::year_month_to_pb),
        }),
        reference: c.reference.clone(),
        source: "recorded".into(),
        recorded: Some(pb::AuditStamp {
            actor: actor.to_owned(),
            at: wire::timestamp(chrono::Utc::now()),
            ..Default::default()
        }),
    }
}

/// RecordLegalAct (see the module), idempotent by its key.
#[tracing::instrument(skip_all)]
pub(crate) async fn record(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::RecordLegalActRequest,
) -> ServiceResult<pb::RecordLegalActResponse> {
    let c = ActCommand::try_from(&req)?;
    let actor = caller.actor().id.clone();
    let mut tx = Booking::begin(&api.pool).await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, "RecordLegalAct", &c.key, &req).await?
    {
        return Ok(resp);
    }
    crate::ledger::booking::lock_dossier(&mut tx, &c.dossier).await?;
    check_creditors(&mut tx, &c).await?;
    let id = Uuid::new_v4();
    insert(&mut tx, &c, id, &actor).await?;
    let order = Order {
        dossier: &c.dossier,
        booked_to: chrono::Utc::now().date_naive(),
        kind: pb::ClaimBookingKind::LegalAct,
        reason: format!("legal act {id}: {} of {}", c.kind.as_str_name(), c.date),
        run_date: None,
        actor: &actor,
    };
    // The act is a fact whatever the booking: when the rules cannot compute the account (a
    // figure missing), the act stays recorded and the next dues run books its effect.
    let booking = match book::book(&mut tx, api.calculation.as_ref(), order).await {
        Ok(out) => out.booking,
        Err(e) if e.reason() == Some(book::NOT_COMPUTABLE) => {
            book::record_failure(&mut tx, &c.dossier, e.message()).await?;
            None
        }
        Err(e) => return Err(e),
    };
    let resp = pb::RecordLegalActResponse {
        act: Some(act_pb(&c, id, &actor)),
        booking,
    };
    idempotency::complete(&mut tx, "RecordLegalAct", &c.key, &resp).await?;
    // The act may save what the watch warned of: the dossier's task follows, last.
    let by = crate::casework::By::of(caller);
    super::watch::refresh_watch_tasks(&mut tx, Some(&c.dossier), "RecordLegalAct", by).await?;
    tx.commit().await?;
    Ok(resp)
}
