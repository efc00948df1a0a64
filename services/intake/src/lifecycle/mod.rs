//! Dossier transitions. Each one: idempotency key claimed, dossier row locked, expected
//! version and current status checked, the change and its history entry (and outbox event)
//! written, all in one transaction.

mod agents;
mod amend;
mod decision;
mod figures;
mod mandate;

use chrono::{NaiveDate, Utc};
use prost::Message;
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::{
    api::IntakeApi,
    store::{self, DossierKey, DossierRow},
};

pub(crate) enum Begun<R> {
    Replay(R),
    Go(Transaction<'static, Postgres>, Box<DossierRow>),
}

impl IntakeApi {
    /// Claims the key, then locks the dossier and checks the expected version.
    pub(crate) async fn begin<Req: Message, Resp: Message + Default>(
        &self,
        caller: &Caller,
        method: &str,
        key: &str,
        req: &Req,
        dossier: &DossierKey,
        expected_version: i64,
    ) -> ServiceResult<Begun<Resp>> {
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) = idempotency::claim(&mut tx, caller, method, key, req).await? {
            return Ok(Begun::Replay(resp));
        }
        let row = store::find(&mut tx, dossier, true).await?;
        store::check_version(&row, expected_version)?;
        Ok(Begun::Go(tx, Box::new(row)))
    }
}

/// The dossier as it now stands in the transaction.
pub(crate) async fn reload(conn: &mut PgConnection, id: i64) -> ServiceResult<pb::Dossier> {
    let row = store::find_by_id(conn, id).await?;
    store::load(conn, &row).await
}

pub(crate) async fn finish<Resp: Message>(
    mut tx: Transaction<'static, Postgres>,
    method: &str,
    key: &str,
    resp: &Resp,
) -> ServiceResult<()> {
    idempotency::complete(&mut tx, method, key, resp).await?;
    tx.commit().await?;
    Ok(())
}

/// The parts every dossier request shares, parsed into a [`Violations`] builder.
pub(crate) trait RequestParts {
    fn dossier(&mut self, r: Option<&pb::DossierRef>) -> Option<DossierKey>;
    /// A date that defaults to today and may not be in the future.
    fn date(&mut self, field: &str, d: Option<&pb::Date>) -> NaiveDate;
}

impl RequestParts for Violations {
    fn dossier(&mut self, r: Option<&pb::DossierRef>) -> Option<DossierKey> {
        self.take_all(store::dossier_key("dossier", r))
    }

    fn date(&mut self, field: &str, d: Option<&pb::Date>) -> NaiveDate {
        let today = Utc::now().date_naive();
        match self.take_all(wire::optional_date_from_pb(field, d)) {
            Some(Some(d)) if d > today => {
                self.add(field, "cannot be later than today");
                today
            }
            Some(Some(d)) => d,
            _ => today,
        }
    }
}

/// Refuses a date earlier than an earlier step of the dossier.
pub(crate) fn not_before(
    field: &str,
    date: NaiveDate,
    earlier: Option<NaiveDate>,
    what: &str,
) -> ServiceResult<()> {
    match earlier {
        Some(e) if date < e => Err(ServiceError::invalid_field(
            field,
            format!("cannot be earlier than {what} ({e})"),
        )),
        _ => Ok(()),
    }
}
