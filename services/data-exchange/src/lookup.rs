//! LookUpIncomes: parse, apply the access rules, log, ask the sources, log what they
//! answered, answer. Every attempt whose text can be recorded, granted or refused, is logged
//! before the answer leaves, and a granted one before any source is asked.

use chrono::NaiveDate;
use prost::Message;
use secal_domain::{NationalNumber, YearMonth};
use secal_proto::{
    sim::v1::query_source_request::Scope as SourceScope,
    v1::{
        self as pb, AccessAction, IncomeSource, LookupPurpose, SourceStatus,
        look_up_incomes_request::Scope,
    },
};
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sha2::{Digest, Sha256};

use crate::{DataExchangeApi, intake::DossierFacts, log::Entry, rules};

const MAX_MONTHS: usize = 24;
const MAX_JUSTIFICATION: usize = 1000;

fn trace_id() -> String {
    secal_runtime::telemetry::current_traceparent()
        .and_then(|tp| tp.split('-').nth(1).map(str::to_owned))
        .unwrap_or_default()
}

/// The log entry a refusal names, in its ErrorInfo detail (beside the reason).
const ACCESS_LOG_SEQUENCE: &str = "access_log_sequence";

/// The sources asked and the scope, validated.
struct Asked {
    sources: Vec<IncomeSource>,
    scope: SourceScope,
}

/// A look-up the access rules allow.
struct Allowed {
    subject: NationalNumber,
    asked: Asked,
}

/// A refused look-up: the rule the log names, and the error the caller gets.
type Refused = (&'static str, ServiceError);

/// The request's own fields, every offending one reported at once: parsed with its text,
/// before the access rules (a malformed request is refused INVALID_ARGUMENT naming each field,
/// whoever asks it and for whatever purpose), and the refusal logged like a rule's.
impl TryFrom<&pb::LookUpIncomesRequest> for Asked {
    type Error = ServiceError;

    fn try_from(req: &pb::LookUpIncomesRequest) -> ServiceResult<Self> {
        let mut violations = Violations::new();
        // Unspecified is the purpose rule's to refuse (PURPOSE_REQUIRED); a number the
        // contract does not declare is malformed.
        violations.take(wire::optional_enum::<LookupPurpose>("purpose", req.purpose));
        let sources = sources_asked(&req.sources, &mut violations);
        match req.application_id.trim() {
            "" if req
                .dossier_number
                .trim()
                .parse::<secal_domain::DossierNumber>()
                .is_err() =>
            {
                violations.add("dossier_number", "not a dossier number");
            }
            "" => {}
            _ if !req.dossier_number.trim().is_empty() => {
                violations.add(
                    "application_id",
                    "give dossier_number or application_id, not both",
                );
            }
            a if uuid::Uuid::parse_str(a).is_err() => {
                violations.add("application_id", "not an application id");
            }
            _ => {}
        }
        let scope = scope_asked(req.scope.as_ref(), &mut violations);
        violations.finish(|| {
            Some(Self {
                sources,
                scope: scope?,
            })
        })
    }
}

/// The request's free text, read by the one text parser before anything else happens: a
/// field PostgreSQL would refuse (a NUL above all) must fail here, naming the field, and not
/// after the sources were asked or with the attempt unlogged.
struct Text {
    dossier_number: Option<String>,
    application_id: Option<String>,
    justification: Option<String>,
}

const DOSSIER_NUMBER: wire::TextLimit = wire::TextLimit {
    max_chars: 64,
    multiline: false,
};
const JUSTIFICATION: wire::TextLimit = wire::TextLimit {
    max_chars: MAX_JUSTIFICATION,
    multiline: true,
};

impl TryFrom<&pb::LookUpIncomesRequest> for Text {
    type Error = ServiceError;

    fn try_from(req: &pb::LookUpIncomesRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let dossier_number = v.take(wire::optional_text(
            "dossier_number",
            &req.dossier_number,
            DOSSIER_NUMBER,
        ));
        let application_id = v.take(wire::optional_text(
            "application_id",
            &req.application_id,
            DOSSIER_NUMBER,
        ));
        let justification = v.take(wire::optional_text(
            "justification",
            &req.justification,
            JUSTIFICATION,
        ));
        v.finish(|| {
            Some(Self {
                dossier_number: dossier_number?,
                application_id: application_id?,
                justification: justification?,
            })
        })
    }
}

/// The sources in IncomeSource order, the answer's order; none asked means all of them.
fn sources_asked(asked: &[i32], violations: &mut Violations) -> Vec<IncomeSource> {
    let mut sources = Vec::new();
    for (i, s) in asked.iter().enumerate() {
        match IncomeSource::try_from(*s) {
            Ok(src) if src != IncomeSource::Unspecified && !sources.contains(&src) => {
                sources.push(src)
            }
            _ => violations.add(
                format!("sources[{i}]"),
                "unknown, unspecified or repeated source",
            ),
        }
    }
    if sources.is_empty() {
        sources = vec![
            IncomeSource::Employment,
            IncomeSource::HolidayPay,
            IncomeSource::Unemployment,
            IncomeSource::SicknessBenefits,
            IncomeSource::Pensions,
        ];
    }
    sources.sort_by_key(|s| *s as i32);
    sources
}

fn scope_asked(scope: Option<&Scope>, violations: &mut Violations) -> Option<SourceScope> {
    match scope {
        None => {
            violations.add(
                "scope",
                "a period, a date or the last known situation is required",
            );
            None
        }
        Some(Scope::Period(p)) => period_asked(p, violations),
        Some(Scope::SituationOn(d)) => violations
            .take_all(wire::date_from_pb("situation_on", Some(d)))
            .map(|_| SourceScope::SituationOn(*d)),
        Some(Scope::LastKnown(_)) => Some(SourceScope::LastKnown(pb::LastKnownSituation {})),
    }
}

/// A bad month is named on its own; the range is checked only between two good months.
fn period_asked(p: &pb::MonthRange, violations: &mut Violations) -> Option<SourceScope> {
    let first = wire::year_month_from_pb("period.first_month", p.first_month.as_ref());
    let last = wire::year_month_from_pb("period.last_month", p.last_month.as_ref());
    match (first, last) {
        (Ok(f), Ok(l)) if f <= l && months_between(f, l) <= MAX_MONTHS => {
            Some(SourceScope::Period(*p))
        }
        (Ok(_), Ok(_)) => {
            violations.add(
                "period",
                format!("first_month <= last_month, at most {MAX_MONTHS} months"),
            );
            None
        }
        (f, l) => {
            for e in [f.err(), l.err()].into_iter().flatten() {
                violations.take_all::<()>(Err(e));
            }
            None
        }
    }
}

fn months_between(first: YearMonth, last: YearMonth) -> usize {
    let n = (last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32 + 1;
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// What the log records of the request, whether or not it is valid. A field that cannot be
/// read is recorded as absent (an unknown source as its number) rather than refused here:
/// the refusal comes from a rule or from `validate`, and is logged with this entry.
fn base_entry(
    state: &DataExchangeApi,
    caller: &Caller,
    req: &pb::LookUpIncomesRequest,
    text: Text,
) -> Entry {
    let month_day = |m: Option<&pb::YearMonth>, last: bool| {
        m.and_then(|m| YearMonth::new(m.year, u32::try_from(m.month).ok()?).ok())
            .map(|m| if last { m.last_day() } else { m.first_day() })
    };
    let (period_from, period_to, situation_on, last_known) = match &req.scope {
        Some(Scope::Period(p)) => (
            month_day(p.first_month.as_ref(), false),
            month_day(p.last_month.as_ref(), true),
            None,
            false,
        ),
        Some(Scope::SituationOn(d)) => (
            None,
            None,
            NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32),
            false,
        ),
        Some(Scope::LastKnown(_)) => (None, None, None, true),
        None => (None, None, None, false),
    };
    let digits = req
        .subject
        .as_ref()
        .and_then(|s| s.value.trim().parse::<NationalNumber>().ok());
    let actor = caller.actor();
    Entry {
        at: state.clock.now(),
        action: AccessAction::IncomeLookup.as_str_name().into(),
        agent_id: actor.id.clone(),
        via_system: caller.via().map(str::to_owned),
        subject_masked: digits.as_ref().map_or_else(|| "-".into(), |n| n.masked()),
        subject_digest: digits
            .as_ref()
            .map(|n| state.log.keys().subject_digest(n.as_digits())),
        // An unknown purpose is refused (PURPOSE_REQUIRED); the log names it unspecified,
        // the one purpose name its readers know that is not lawful.
        purpose: LookupPurpose::try_from(req.purpose)
            .unwrap_or(LookupPurpose::Unspecified)
            .as_str_name()
            .into(),
        // An application not yet a dossier is filed under its id (advances income check).
        dossier_number: match text.application_id {
            Some(a) => Some(format!("application {a}")),
            None => text.dossier_number,
        },
        sources: req
            .sources
            .iter()
            .map(|s| {
                IncomeSource::try_from(*s)
                    .map_or_else(|_| s.to_string(), |s| s.as_str_name().to_owned())
            })
            .collect(),
        period_from,
        period_to,
        situation_on,
        last_known,
        outcome: "refused".into(),
        justification: text.justification.unwrap_or_default(),
        trace_id: trace_id(),
        ..Default::default()
    }
}

fn wire_subject(subject: &NationalNumber) -> pb::NationalNumber {
    pb::NationalNumber {
        value: subject.as_digits().to_owned(),
    }
}

/// Records the refusal on the span and picks its status code.
fn refusal(span: &tracing::Span, r: rules::Refusal) -> Refused {
    span.record("outcome", "refused");
    span.record("rule", r.rule.as_str_name());
    // Fail closed either way; but a check that could not be made is worth retrying,
    // a rule that said no is not.
    let error = if r.rule == pb::AccessRule::DossierCheckUnavailable {
        ServiceError::new(secal_runtime::ErrorCode::Unavailable, r.message)
            .with_reason(r.rule.as_str_name())
    } else {
        ServiceError::permission_denied(r.rule.as_str_name(), r.message)
    };
    (r.rule.as_str_name(), error)
}

/// The digest of exactly what is returned, so that the log can prove what was seen without
/// keeping it.
fn results_digest(results: &[pb::SourceResult]) -> Vec<u8> {
    Sha256::digest(
        pb::LookUpIncomesResponse {
            sources: results.to_vec(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .to_vec()
}

/// "SOURCE=STATUS" per source, as logged. Every result comes from `ask_sources`, which names
/// a known source and status; anything else is a defect, and a look-up that cannot be logged
/// truthfully is not answered.
fn source_outcomes(results: &[pb::SourceResult]) -> ServiceResult<Vec<String>> {
    results
        .iter()
        .map(|r| {
            let source = IncomeSource::try_from(r.source);
            let status = SourceStatus::try_from(r.status);
            match (source, status) {
                (Ok(source), Ok(status)) => {
                    Ok(format!("{}={}", source.as_str_name(), status.as_str_name()))
                }
                _ => Err(ServiceError::internal(format!(
                    "a source result names source {} and status {}, not both known",
                    r.source, r.status
                ))),
            }
        })
        .collect()
}

/// The answer to a granted, logged look-up. When no source could answer the caller gets an
/// error to retry on, still naming the log entry.
fn answer(
    subject: &NationalNumber,
    results: Vec<pb::SourceResult>,
    digest: &[u8],
    sequence: i64,
) -> ServiceResult<pb::LookUpIncomesResponse> {
    if results
        .iter()
        .all(|r| r.status == SourceStatus::Unavailable as i32)
    {
        return Err(ServiceError::new(
            secal_runtime::ErrorCode::Unavailable,
            "no source asked could answer; retry later",
        )
        .with_reason("SOURCES_UNAVAILABLE")
        .with_metadata(ACCESS_LOG_SEQUENCE, sequence.to_string()));
    }
    Ok(pb::LookUpIncomesResponse {
        access_log_sequence: sequence,
        sources: results,
        result_digest: hex::encode(digest),
        subject_masked: subject.masked(),
    })
}

impl DataExchangeApi {
    async fn log(&self, entry: Entry) -> ServiceResult<i64> {
        if !self.log_lookups {
            return Ok(0);
        }
        self.log.append(entry).await
    }

    /// The refusal, naming the rule as its reason and the log entry that records it (its
    /// field violations, if any, kept).
    async fn refused(&self, mut entry: Entry, rule: &str, error: ServiceError) -> ServiceError {
        entry.refusal_rule = Some(rule.to_owned());
        match self.log(entry).await {
            Ok(seq) => error
                .with_reason(rule)
                .with_metadata(ACCESS_LOG_SEQUENCE, seq.to_string()),
            // Not logged, not answered.
            Err(e) => e,
        }
    }

    /// The order is the safety property: the request's text is read before anything
    /// happens, every rule is checked before any source is asked, a refusal is logged before
    /// it is returned, and a grant is logged before any source is asked, so that whatever
    /// fails later the access stands in the log. After the sources answered, an outcome entry
    /// (the same look-up, granted, with the result digest and each source's outcome) records
    /// what was seen; the answer names that entry.
    #[tracing::instrument(skip_all, fields(outcome, rule))]
    pub(crate) async fn look_up(
        &self,
        caller: &Caller,
        req: pb::LookUpIncomesRequest,
    ) -> ServiceResult<pb::LookUpIncomesResponse> {
        let text = Text::try_from(&req)?;
        let mut entry = base_entry(self, caller, &req, text);
        let span = tracing::Span::current();
        let asked = match Asked::try_from(&req) {
            Ok(asked) => asked,
            Err(e) => {
                span.record("outcome", "refused");
                return Err(self.refused(entry, "INVALID_ARGUMENT", e).await);
            }
        };
        let allowed = match self.authorise(caller, &req, asked, &mut entry, &span).await {
            Ok(allowed) => allowed,
            Err((rule, status)) => return Err(self.refused(entry, rule, status).await),
        };
        entry.outcome = "granted".into();
        // Not logged, not asked.
        self.log(entry.clone()).await?;
        span.record("outcome", "granted");
        let results = self.ask_sources(&allowed).await;
        let digest = results_digest(&results);
        entry.at = self.clock.now();
        entry.result_digest = Some(digest.clone());
        entry.source_outcomes = source_outcomes(&results)?;
        let sequence = self.log(entry).await?;
        answer(&allowed.subject, results, &digest, sequence)
    }

    /// The access rules in AccessRule order (the first that fails refuses), on a well-formed
    /// request (intake is never asked about a malformed one). Records in `entry`, refused or
    /// not, the sources asked and the volume flag.
    async fn authorise(
        &self,
        caller: &Caller,
        req: &pb::LookUpIncomesRequest,
        asked: Asked,
        entry: &mut Entry,
        span: &tracing::Span,
    ) -> Result<Allowed, Refused> {
        let subject = rules::caller_purpose_subject(caller, req.purpose, req.subject.as_ref())
            .map_err(|r| refusal(span, r))?;
        entry.sources = asked
            .sources
            .iter()
            .map(|s| s.as_str_name().to_owned())
            .collect();
        let application = req.application_id.trim();
        if !application.is_empty() && req.purpose != LookupPurpose::GrantAdvances as i32 {
            return Err(refusal(span, rules::application_purpose()));
        }
        let agent = caller.actor().id.clone();
        let on = (req.dossier_number.trim(), application);
        let checked = match self.dossier_facts(&subject, on, &agent).await {
            Some(f) => rules::dossier(&f, &agent)
                .and_then(|()| rules::volume(&self.rate, &agent, entry.at)),
            None => Err(rules::Refusal {
                rule: pb::AccessRule::DossierCheckUnavailable,
                message: "the intake service could not confirm the dossier",
            }),
        };
        match checked {
            Ok(flagged) => entry.flagged_unusual_volume = flagged,
            Err(r) => {
                entry.flagged_unusual_volume = r.rule == pb::AccessRule::RateLimit;
                return Err(refusal(span, r));
            }
        }
        Ok(Allowed { subject, asked })
    }

    /// What intake says about the dossier today; `None` when it cannot say (no intake
    /// configured, or the call failed), which refuses the look-up.
    /// `on`: the dossier number, or the application id (the other empty).
    async fn dossier_facts(
        &self,
        subject: &NationalNumber,
        on: (&str, &str),
        agent: &str,
    ) -> Option<DossierFacts> {
        let intake = self.intake.as_ref()?;
        intake
            .facts(&wire_subject(subject), on, agent, self.clock.today())
            .await
            .map_err(|e| {
                tracing::warn!(code = ?e.code(), "intake could not confirm the dossier");
            })
            .ok()
    }

    /// One result per source asked, in the order asked. Without a network every source is
    /// unavailable rather than the look-up failing, so that the attempt is logged like any
    /// other.
    async fn ask_sources(&self, allowed: &Allowed) -> Vec<pb::SourceResult> {
        let Asked { sources, scope } = &allowed.asked;
        match &self.sources {
            Some(c) => {
                let subject = wire_subject(&allowed.subject);
                futures::future::join_all(
                    sources.iter().map(|s| c.query(*s, Some(*scope), &subject)),
                )
                .await
            }
            None => sources
                .iter()
                .map(|s| pb::SourceResult {
                    source: *s as i32,
                    status: SourceStatus::Unavailable as i32,
                    status_detail: "no social-security network configured".into(),
                    ..Default::default()
                })
                .collect(),
        }
    }
}
