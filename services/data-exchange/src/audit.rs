//! The auditors' RPCs over the access log: list, verify, export and purge it (each use
//! logged in the log itself), its checkpoints and signing keys.

use chrono::{Months, NaiveDate};
use secal_domain::NationalNumber;
use secal_proto::v1::{self as pb, AccessAction, AccessOutcome, LookupPurpose};
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};

use crate::{
    DataExchangeApi,
    log::{
        Entry,
        export::ExportFilters,
        read::{EntryFilter, entry_to_pb},
        verify::checkpoint_to_pb,
    },
};

fn subject(
    field: &str,
    nn: Option<&pb::NationalNumber>,
) -> Result<Option<NationalNumber>, FieldViolation> {
    match nn.map(|n| n.value.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse::<NationalNumber>()
            .map(Some)
            .map_err(|e| FieldViolation::new(field, e.to_string())),
    }
}

/// An enum filter: unspecified (`None`) means no filter; a value the contract does not name
/// is refused, since reading it as unspecified would answer with every entry.
fn filter<E: TryFrom<i32>>(field: &str, value: i32) -> Result<Option<E>, FieldViolation> {
    wire::optional_enum(field, value)
}

/// ListAccessLogEntries: a page of the entries the filters select (the subject is digested
/// with the log's key when the filter is built).
struct ListQuery {
    page: wire::Page,
    who: Option<NationalNumber>,
    agent_id: Option<String>,
    dossier_number: Option<String>,
    purpose: Option<String>,
    outcome: Option<String>,
    action: Option<String>,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
    flagged_only: bool,
    audit_reference: String,
}

impl TryFrom<&pb::ListAccessLogEntriesRequest> for ListQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListAccessLogEntriesRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let who = v.take(subject("subject", req.subject.as_ref()));
        let purpose = v
            .take(filter::<LookupPurpose>("purpose", req.purpose))
            .map(|p| p.map(|p| p.as_str_name().to_owned()));
        let outcome = v
            .take(filter::<AccessOutcome>("outcome", req.outcome))
            .map(|o| match o {
                Some(AccessOutcome::Granted) => Some("granted".to_owned()),
                Some(AccessOutcome::Refused) => Some("refused".to_owned()),
                Some(AccessOutcome::Unspecified) | None => None,
            });
        let action = v
            .take(filter::<AccessAction>("action", req.action))
            .map(|a| a.map(|a| a.as_str_name().to_owned()));
        let from_date = v.take_all(wire::optional_date_from_pb(
            "from_date",
            req.from_date.as_ref(),
        ));
        let to_date = v.take_all(wire::optional_date_from_pb("to_date", req.to_date.as_ref()));
        let agent_id = text(&mut v, "agent_id", &req.agent_id, FILTER_TEXT);
        let dossier_number = text(&mut v, "dossier_number", &req.dossier_number, FILTER_TEXT);
        let reference = text(
            &mut v,
            "audit_reference",
            &req.audit_reference,
            REFERENCE_TEXT,
        );
        v.finish(|| {
            Some(ListQuery {
                page: page?,
                who: who?,
                agent_id: agent_id?,
                dossier_number: dossier_number?,
                audit_reference: reference?.unwrap_or_default(),
                purpose: purpose?,
                outcome: outcome?,
                action: action?,
                from_date: from_date?,
                to_date: to_date?,
                flagged_only: req.flagged_only,
            })
        })
    }
}

/// ExportAccessLog: the entries at least one filter selects.
struct ExportQuery {
    who: Option<NationalNumber>,
    agent_id: Option<String>,
    dossier_number: Option<String>,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
    request_reference: String,
}

impl TryFrom<&pb::ExportAccessLogRequest> for ExportQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ExportAccessLogRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let who = v.take(subject("subject", req.subject.as_ref()));
        let from_date = v.take_all(wire::optional_date_from_pb(
            "from_date",
            req.from_date.as_ref(),
        ));
        let to_date = v.take_all(wire::optional_date_from_pb("to_date", req.to_date.as_ref()));
        let agent_id = text(&mut v, "agent_id", &req.agent_id, FILTER_TEXT);
        let dossier_number = text(&mut v, "dossier_number", &req.dossier_number, FILTER_TEXT);
        let reference = text(
            &mut v,
            "request_reference",
            &req.request_reference,
            REFERENCE_TEXT,
        );
        // A filter that failed to parse was given: only a request without any is unfiltered.
        if v.is_empty()
            && matches!(who, Some(None))
            && matches!(agent_id, Some(None))
            && matches!(dossier_number, Some(None))
            && matches!(from_date, Some(None))
            && matches!(to_date, Some(None))
        {
            v.add(
                "subject",
                "at least one filter (subject, agent_id, dossier_number, from_date, to_date) is required",
            );
        }
        v.finish(|| {
            Some(ExportQuery {
                who: who?,
                agent_id: agent_id?,
                dossier_number: dossier_number?,
                from_date: from_date?,
                to_date: to_date?,
                request_reference: reference?.unwrap_or_default(),
            })
        })
    }
}

/// PurgeAccessLog: the entries before a cut-off (at least 10 years back: checked against
/// the service's clock, see [`PurgeCommand::latest_cutoff`]).
struct PurgeCommand {
    key: String,
    cutoff: NaiveDate,
    reason: String,
}

impl TryFrom<&pb::PurgeAccessLogRequest> for PurgeCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::PurgeAccessLogRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let cutoff = v.take_all(wire::date_from_pb("cutoff_date", req.cutoff_date.as_ref()));
        let reason = text(&mut v, "reason", &req.reason, REFERENCE_TEXT);
        v.finish(|| {
            Some(PurgeCommand {
                key: key?,
                cutoff: cutoff?,
                reason: reason?.unwrap_or_default(),
            })
        })
    }
}

impl PurgeCommand {
    /// Entries are kept 10 years: the cut-off lies on or before today less 120 months.
    fn latest_cutoff(&self, today: NaiveDate) -> ServiceResult<()> {
        let latest = today
            .checked_sub_months(Months::new(120))
            .ok_or_else(|| ServiceError::invalid_field("cutoff_date", "out of range"))?;
        if self.cutoff > latest {
            return Err(ServiceError::invalid_field(
                "cutoff_date",
                format!("entries are kept 10 years: the cut-off must be on or before {latest}"),
            ));
        }
        Ok(())
    }
}

/// ListAccessLogCheckpoints: a page of the checkpoints in a sequence range.
struct CheckpointsQuery {
    page: wire::Page,
}

impl TryFrom<&pb::ListAccessLogCheckpointsRequest> for CheckpointsQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListAccessLogCheckpointsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        v.finish(|| Some(CheckpointsQuery { page: page? }))
    }
}

/// A text filter (agent id, dossier number): one line.
const FILTER_TEXT: wire::TextLimit = wire::TextLimit {
    max_chars: 100,
    multiline: false,
};

/// A reference or reason written into the log entry of the auditor's own act.
const REFERENCE_TEXT: wire::TextLimit = wire::TextLimit {
    max_chars: 1000,
    multiline: true,
};

/// The one text parser on a field (control characters, NUL above all, and over-long text are
/// INVALID_ARGUMENT naming it, not a database error); empty is `None`.
fn text(
    v: &mut Violations,
    field: &str,
    raw: &str,
    limit: wire::TextLimit,
) -> Option<Option<String>> {
    v.take(wire::optional_text(field, raw, limit))
}

impl DataExchangeApi {
    /// An entry recording a use of the log itself by an auditor.
    fn audit_entry(
        &self,
        caller: &Caller,
        action: AccessAction,
        who: Option<&NationalNumber>,
        justification: String,
    ) -> Entry {
        Entry {
            at: self.clock.now(),
            action: action.as_str_name().into(),
            agent_id: caller.actor().id.clone(),
            via_system: caller.via().map(str::to_owned),
            subject_masked: who.map_or_else(|| "-".into(), NationalNumber::masked),
            subject_digest: who.map(|n| self.log.keys().subject_digest(n.as_digits())),
            purpose: LookupPurpose::Audit.as_str_name().into(),
            outcome: "granted".into(),
            justification: justification.chars().take(1000).collect(),
            ..Default::default()
        }
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_entries(
        &self,
        caller: &Caller,
        req: pb::ListAccessLogEntriesRequest,
    ) -> ServiceResult<pb::ListAccessLogEntriesResponse> {
        let ListQuery {
            page,
            who,
            agent_id,
            dossier_number,
            purpose,
            outcome,
            action,
            from_date,
            to_date,
            flagged_only,
            audit_reference,
        } = ListQuery::try_from(&req)?;
        let filter = EntryFilter {
            subject_digest: who
                .as_ref()
                .map(|n| self.log.keys().subject_digest(n.as_digits())),
            agent_id,
            dossier_number,
            purpose,
            outcome,
            action,
            from_date,
            to_date,
            flagged_only,
        };
        // The read is logged before it happens.
        let mut entry =
            self.audit_entry(caller, AccessAction::LogRead, who.as_ref(), audit_reference);
        entry.dossier_number = filter.dossier_number.clone();
        self.log.append(entry).await?;
        let rows = self.log.list(&filter, &page).await?;
        let next = wire::page_to_pb(&page, rows.len(), rows.last().map(|r| r.sequence));
        Ok(pb::ListAccessLogEntriesResponse {
            entries: rows
                .into_iter()
                .map(entry_to_pb)
                .collect::<ServiceResult<_>>()?,
            page: Some(next),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn verify(
        &self,
        caller: &Caller,
        req: pb::VerifyAccessLogRequest,
    ) -> ServiceResult<pb::VerifyAccessLogResponse> {
        let range = format!("verify {}..{}", req.from_sequence, req.to_sequence);
        let v = self.log.verify(req.from_sequence, req.to_sequence).await?;
        self.log
            .append(self.audit_entry(caller, AccessAction::LogVerify, None, range))
            .await?;
        Ok(pb::VerifyAccessLogResponse {
            intact: v.intact,
            entries_checked: v.entries_checked,
            checkpoints_checked: v.checkpoints_checked,
            first_bad_sequence: v.first_bad_sequence,
            failure: v.failure.map_or(0, |f| f as i32),
            detail: v.detail,
            verified_from_sequence: v.from,
            verified_to_sequence: v.to,
            anchor: v.anchor.as_ref().map(checkpoint_to_pb),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn export(
        &self,
        caller: &Caller,
        req: pb::ExportAccessLogRequest,
    ) -> ServiceResult<pb::ExportAccessLogResponse> {
        let ExportQuery {
            who,
            agent_id,
            dossier_number,
            from_date,
            to_date,
            request_reference,
        } = ExportQuery::try_from(&req)?;
        let filters = ExportFilters {
            subject_masked: who.as_ref().map(NationalNumber::masked),
            subject_digest: who
                .as_ref()
                .map(|n| self.log.keys().subject_digest(n.as_digits())),
            agent_id,
            dossier_number,
            from_date,
            to_date,
        };
        let mut entry = self.audit_entry(
            caller,
            AccessAction::LogExport,
            who.as_ref(),
            format!(
                "{} agent={} dossier={} from={:?} to={:?}",
                request_reference,
                filters.agent_id.as_deref().unwrap_or("-"),
                filters.dossier_number.as_deref().unwrap_or("-"),
                filters.from_date,
                filters.to_date
            ),
        );
        entry.dossier_number = filters.dossier_number.clone();
        let sequence = self.log.append(entry).await?;
        let now = self.clock.now();
        let export = self.log.export(filters, &request_reference, now).await?;
        // The key as the registry lists it (when it was registered, its last signature).
        let key_id = self.log.keys().key_id();
        let signing_key = self
            .log
            .list_keys()
            .await?
            .into_iter()
            .find(|k| k.key_id == key_id)
            .ok_or_else(|| {
                ServiceError::internal(format!("signing key {key_id} not registered"))
            })?;
        Ok(pb::ExportAccessLogResponse {
            file_name: format!(
                "secal-access-log-export-{}.json",
                now.format("%Y%m%dT%H%M%SZ")
            ),
            media_type: "application/json".into(),
            content_sha256: export.sha256,
            signature: export.signature,
            signing_key: Some(signing_key),
            entry_count: export.entry_count,
            access_log_sequence: sequence,
            content: export.content,
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn purge(
        &self,
        caller: &Caller,
        req: pb::PurgeAccessLogRequest,
    ) -> ServiceResult<pb::PurgeAccessLogResponse> {
        const METHOD: &str = "PurgeAccessLog";
        let command = PurgeCommand::try_from(&req)?;
        command.latest_cutoff(self.clock.today())?;
        let PurgeCommand {
            key,
            cutoff,
            reason,
        } = command;
        let mut tx = self.log.pool().begin().await?;
        if let Claim::Replay(r) = idempotency::claim(&mut tx, caller, METHOD, &key, &req).await? {
            return Ok(r);
        }
        let now = self.clock.now();
        let purged = self.log.purge_in(&mut tx, cutoff, req.dry_run, now).await?;
        let entry = self.audit_entry(
            caller,
            AccessAction::LogPurge,
            None,
            format!(
                "{} cutoff={cutoff} dry_run={} purged={}",
                reason, req.dry_run, purged.count
            ),
        );
        let sequence = self.log.append_in(&mut tx, entry).await?;
        let response = pb::PurgeAccessLogResponse {
            purged_count: purged.count,
            first_kept_sequence: purged.first_kept,
            anchor: purged.anchor.as_ref().map(checkpoint_to_pb),
            access_log_sequence: sequence,
        };
        idempotency::complete(&mut tx, METHOD, &key, &response).await?;
        tx.commit().await?;
        Ok(response)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_checkpoints(
        &self,
        _caller: &Caller,
        req: pb::ListAccessLogCheckpointsRequest,
    ) -> ServiceResult<pb::ListAccessLogCheckpointsResponse> {
        let CheckpointsQuery { page } = CheckpointsQuery::try_from(&req)?;
        let rows = self
            .log
            .list_checkpoints(req.from_sequence, req.to_sequence, &page)
            .await?;
        let next = wire::page_to_pb(&page, rows.len(), rows.last().map(|(id, _)| *id));
        Ok(pb::ListAccessLogCheckpointsResponse {
            checkpoints: rows.iter().map(|(_, c)| checkpoint_to_pb(c)).collect(),
            page: Some(next),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_signing_keys(
        &self,
        _caller: &Caller,
        req: pb::ListSigningKeysRequest,
    ) -> ServiceResult<pb::ListSigningKeysResponse> {
        // The keys are few (one per rotation) and fit one page, so the page is not applied;
        // it is still read, so that a malformed size or token is refused, not ignored.
        wire::page_from_pb("page", req.page.as_ref())?;
        Ok(pb::ListSigningKeysResponse {
            keys: self.log.list_keys().await?,
            page: Some(pb::PageResponse::default()),
        })
    }
}
