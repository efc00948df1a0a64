//! Titles and arrears: indexation, the arrears table, prescription, interest, admissibility.
//! Requests are read from the wire (every problem reported at once, with its proto field
//! path), handed to `secal_rules`, and the answers written back.
//!
//! Spans carry counts only (and the dossier number a caller gives for tracing): amounts,
//! dates and creditors' identifiers stay out of them.

mod from_pb;
mod to_pb;

use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_rules::{
    Detail, Explainer, ReferenceTable, admissibility, arrears,
    error::Violations,
    indexation::AmountRule,
    interest::{self, InterestClaim},
    prescription,
};
use secal_runtime::{Caller, ServiceError, ServiceResult, wire};

use crate::{
    api::CalculationApi,
    convert::{self, explanation_to_pb, rule_error, rule_error_at},
};
use from_pb::Reader;

const CASE: &str = "arrears_case";

/// Runs a calculation off the threads that serve other calls: a century of lines is
/// milliseconds of CPU work.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ServiceResult<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(ServiceError::internal)
}

/// The case of a request and the date it is judged on, checked by the rules.
fn read_case(
    r: &mut Reader,
    case: Option<&pb::ArrearsCase>,
    date_field: &str,
    date: Option<&pb::Date>,
) -> (arrears::ArrearsCase, chrono::NaiveDate) {
    let case = from_pb::case(r, CASE, case);
    // Unreadable, it stands in as a date before any instalment, so that no line is counted.
    let as_of = r
        .col
        .take_or(wire::date_from_pb(date_field, date), chrono::NaiveDate::MIN);
    // Without a wire problem the calculation's own check reports the same violations.
    if !r.col.is_empty() {
        let mut v = Violations::new();
        arrears::validate(&case, as_of, &mut v);
        r.col.merge_rules(CASE, v.into_result());
    }
    (case, as_of)
}

/// A ComputeArrears request read and checked: what the rules need, nothing from the wire.
pub struct ArrearsRequest {
    case: arrears::ArrearsCase,
    as_of: chrono::NaiveDate,
    detail: Detail,
    /// The lines to explain (creditor, month); empty: every line.
    explain_lines: Vec<LineSelector>,
}

/// The lines of one month of one creditor (`None`: every creditor).
struct LineSelector {
    creditor: Option<String>,
    month: YearMonth,
}

/// Tables up to this many lines are computed on the serving thread (seed example 1, 47
/// lines, takes tens of microseconds); larger ones on the blocking pool.
const INLINE_LINES: usize = 240;

/// Most line selectors a request may name (100 years of monthly lines of one creditor).
const MAX_LINE_SELECTORS: usize = 1_200;

/// How much explanation was asked for; unspecified is a summary.
fn detail(r: &mut Reader, level: i32) -> Option<Detail> {
    use pb::ArrearsExplanationLevel as L;
    match L::try_from(level) {
        Ok(L::Unspecified | L::Summary) => Some(Detail::Summary),
        Ok(L::Steps) => Some(Detail::Steps),
        Ok(L::Full) => Some(Detail::Full),
        Err(_) => {
            r.col.push(
                "explanation",
                format!("UNKNOWN_VALUE: {level} is not an ArrearsExplanationLevel"),
            );
            None
        }
    }
}

/// The lines to explain; creditors are checked against the request's title as sent.
fn line_selectors(
    r: &mut Reader,
    req: &pb::ComputeArrearsRequest,
    detail: Option<Detail>,
) -> Vec<LineSelector> {
    let field = "explain_lines";
    if req.explain_lines.is_empty() {
        return Vec::new();
    }
    let title_creditors: Vec<&str> = req
        .arrears_case
        .iter()
        .flat_map(|c| &c.title)
        .flat_map(|t| &t.creditors)
        .map(|c| c.creditor_id.as_str())
        .collect();
    if detail == Some(Detail::Summary) {
        r.col.push(
            field,
            "LEVEL_TOO_LOW: lines are explained at the STEPS or FULL level; set explanation",
        );
    }
    if req.explain_lines.len() > MAX_LINE_SELECTORS {
        r.col.push(
            field,
            format!("TOO_MANY: at most {MAX_LINE_SELECTORS} line selectors"),
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(req.explain_lines.len());
    for (i, s) in req.explain_lines.iter().enumerate() {
        let month = r.col.take(wire::year_month_from_pb(
            &format!("{field}[{i}].month"),
            s.month.as_ref(),
        ));
        let creditor = (!s.creditor_id.is_empty()).then(|| s.creditor_id.clone());
        if let Some(id) = &creditor
            && !title_creditors.contains(&id.as_str())
        {
            r.col.push(
                format!("{field}[{i}].creditor_id"),
                "UNKNOWN_CREDITOR: not a creditor_id of the title",
            );
        }
        if let Some(month) = month {
            out.push(LineSelector { creditor, month });
        }
    }
    out
}

impl TryFrom<&pb::ComputeArrearsRequest> for ArrearsRequest {
    type Error = ServiceError;

    /// Every problem of the request at once, as `INVALID_ARGUMENT` with field paths.
    fn try_from(req: &pb::ComputeArrearsRequest) -> ServiceResult<Self> {
        let mut r = Reader::new()?;
        let detail = detail(&mut r, req.explanation);
        let explain_lines = line_selectors(&mut r, req, detail);
        // The case last: the rules check it when anything before was unreadable too.
        let (case, as_of) = read_case(
            &mut r,
            req.arrears_case.as_ref(),
            "calculation_date",
            req.calculation_date.as_ref(),
        );
        r.col.finish(|| {
            Some(Self {
                case,
                as_of,
                // `None` only with the violation recorded: never a silent summary.
                detail: detail?,
                explain_lines,
            })
        })
    }
}

impl ArrearsRequest {
    /// The request read and checked (see the `TryFrom`; for the library's own benchmark).
    pub fn read(req: &pb::ComputeArrearsRequest) -> ServiceResult<Self> {
        Self::try_from(req)
    }

    /// An upper bound of the table's lines: every creditor's months up to its last month or
    /// the calculation date, and the judgments' lump sums.
    fn lines_at_most(&self) -> usize {
        let until = YearMonth::from_date(self.as_of).ok();
        let months: usize = self
            .case
            .title
            .creditors
            .iter()
            .map(|c| {
                let last = match (c.last_month, until) {
                    (Some(l), Some(u)) => l.min(u),
                    (l, u) => l.or(u).unwrap_or(c.first_month),
                };
                usize::try_from(last.months_since(c.first_month) + 1).unwrap_or(0)
            })
            .sum();
        months + self.case.judgments.len()
    }

    /// The case and date as the rules take them (for the library's own benchmark).
    pub fn rules_case(&self) -> (&arrears::ArrearsCase, chrono::NaiveDate) {
        (&self.case, self.as_of)
    }

    pub fn compute(&self, refs: &ReferenceTable) -> ServiceResult<pb::ComputeArrearsResponse> {
        let mut answer = arrears::compute(
            &self.case,
            self.as_of,
            refs,
            Explainer::with_detail(self.detail),
        )
        .map(to_pb::arrears)
        .map_err(|e| rule_error_at(CASE, e))?;
        if !self.explain_lines.is_empty() {
            keep_explanation_of(&mut answer, &self.explain_lines);
        }
        Ok(answer)
    }
}

/// Leaves in the answer only the steps of the selected lines and those about the whole
/// result; the other lines lose their step ids. Reference values all stay: they cite the
/// figures of every line.
fn keep_explanation_of(answer: &mut pb::ComputeArrearsResponse, selected: &[LineSelector]) {
    let mut kept = std::collections::HashSet::new();
    for c in &mut answer.creditors {
        for line in &mut c.lines {
            let chosen = line.month.as_ref().is_some_and(|m| {
                selected.iter().any(|s| {
                    wire::year_month_to_pb(s.month) == *m
                        && s.creditor.as_ref().is_none_or(|id| *id == c.creditor_id)
                })
            });
            if chosen {
                kept.extend(line.step_ids.iter().cloned());
            } else {
                line.step_ids.clear();
            }
        }
    }
    if let Some(e) = answer.explanation.as_mut() {
        e.rules
            .retain(|step| step.subject.is_empty() || kept.contains(&step.step_id));
    }
}

/// What admissibility is judged on, as read from the request.
enum Basis {
    Case(arrears::ArrearsCase),
    Declared(admissibility::DeclaredArrears),
}

fn case_counts(case: Option<&pb::ArrearsCase>) -> (usize, usize, usize) {
    case.map_or((0, 0, 0), |c| {
        let creditors = c.title.as_ref().map_or(0, |t| t.creditors.len());
        (creditors, c.payments.len(), c.acts.len())
    })
}

/// An IndexAmount request, read and checked.
struct IndexCommand {
    rule: AmountRule,
    month: YearMonth,
}

impl TryFrom<&pb::IndexAmountRequest> for IndexCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::IndexAmountRequest) -> ServiceResult<Self> {
        let mut r = Reader::new()?;
        let rule = r
            .col
            .take(convert::amount_rule("amount", req.amount.as_ref()));
        let month = r
            .col
            .take(wire::year_month_from_pb("month", req.month.as_ref()));
        if let Some(rule) = &rule {
            let mut v = Violations::new();
            rule.validate("amount", &mut v);
            r.col.merge_rules("", v.into_result());
        }
        r.col.finish(|| {
            Some(Self {
                rule: rule?,
                month: month?,
            })
        })
    }
}

/// A ComputePrescription request, read and checked.
struct PrescriptionCommand {
    case: arrears::ArrearsCase,
    as_of: chrono::NaiveDate,
}

impl TryFrom<&pb::ComputePrescriptionRequest> for PrescriptionCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ComputePrescriptionRequest) -> ServiceResult<Self> {
        let mut r = Reader::new()?;
        let (case, as_of) = read_case(
            &mut r,
            req.arrears_case.as_ref(),
            "as_of",
            req.as_of.as_ref(),
        );
        r.col.finish(|| Some(Self { case, as_of }))
    }
}

/// A ComputeInterest request, read and checked: interest over a case, or over claims.
enum InterestCommand {
    Case {
        case: arrears::ArrearsCase,
        as_of: chrono::NaiveDate,
    },
    Claims {
        claims: Vec<InterestClaim>,
        date: chrono::NaiveDate,
    },
}

impl TryFrom<&pb::ComputeInterestRequest> for InterestCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ComputeInterestRequest) -> ServiceResult<Self> {
        let mut r = Reader::new()?;
        match (&req.arrears_case, req.claims.is_empty()) {
            (Some(_), false) => r.col.push("claims", "set arrears_case or claims, not both"),
            (None, true) => r
                .col
                .push(CASE, "an arrears case or interest claims are required"),
            _ => {}
        }
        if req.arrears_case.is_some() {
            let (case, as_of) = read_case(
                &mut r,
                req.arrears_case.as_ref(),
                "calculation_date",
                req.calculation_date.as_ref(),
            );
            return r.col.finish(|| Some(Self::Case { case, as_of }));
        }
        let claims = from_pb::claims(&mut r, &req.claims);
        // Only needed for a claim without an end date.
        let date = r.col.take_or(
            wire::optional_date_from_pb("calculation_date", req.calculation_date.as_ref()),
            None,
        );
        let date = match date {
            Some(d) => d,
            None if claims.iter().any(|c| c.end.is_none()) => {
                r.col
                    .push("calculation_date", "required for a claim without end_date");
                chrono::NaiveDate::MAX
            }
            // Every claim has an end date here; without any claim nothing is computed, so
            // the date is never used.
            None => claims
                .iter()
                .filter_map(|c| c.end)
                .max()
                .unwrap_or_default(),
        };
        let mut v = Violations::new();
        interest::validate_claims(&claims, date, &mut v);
        r.col.merge_rules("", v.into_result());
        r.col.finish(|| Some(Self::Claims { claims, date }))
    }
}

/// A CheckAdmissibility request, read and checked.
struct AdmissibilityCommand {
    date: chrono::NaiveDate,
    basis: Basis,
}

impl TryFrom<&pb::CheckAdmissibilityRequest> for AdmissibilityCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::CheckAdmissibilityRequest) -> ServiceResult<Self> {
        use pb::check_admissibility_request::Basis as Pb;
        let mut r = Reader::new()?;
        let date_field = "application_date";
        let application = req.application_date.as_ref();
        let basis = match &req.basis {
            Some(Pb::ArrearsCase(c)) => {
                let (case, date) = read_case(&mut r, Some(c), date_field, application);
                Some((date, Basis::Case(case)))
            }
            Some(Pb::DeclaredArrears(d)) => {
                let f = "declared_arrears";
                let declared = from_pb::declared(&mut r, f, d);
                let date = from_pb::date(&mut r, date_field, application);
                let mut v = Violations::new();
                admissibility::validate_declared(&declared, &mut v);
                r.col.merge_rules(f, v.into_result());
                Some((date, Basis::Declared(declared)))
            }
            None => {
                r.col
                    .push(CASE, "an arrears case or a declared table is required");
                None
            }
        };
        r.col.finish(|| {
            let (date, basis) = basis?;
            Some(Self { date, basis })
        })
    }
}

impl CalculationApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn index_amount(
        &self,
        _caller: &Caller,
        req: pb::IndexAmountRequest,
    ) -> ServiceResult<pb::IndexAmountResponse> {
        let IndexCommand { rule, month } = IndexCommand::try_from(&req)?;
        let refs = self.references.snapshot().await?;
        let mut ex = Explainer::new();
        let a = rule
            .amount_for(month, &refs, &mut ex, "amount")
            .map_err(rule_error)?;
        Ok(pb::IndexAmountResponse {
            amount: Some(wire::money_to_pb(a.amount)),
            reference_month: a.reference_month.map(wire::year_month_to_pb),
            adjusted_in: a.adjusted_in.map(wire::year_month_to_pb),
            unrounded_amount: a
                .unrounded
                .map(|u| u.normalize().to_string())
                .unwrap_or_default(),
            explanation: Some(explanation_to_pb(ex.finish())),
        })
    }

    #[tracing::instrument(skip_all, fields(
        creditors = case_counts(req.arrears_case.as_ref()).0,
        payments = case_counts(req.arrears_case.as_ref()).1,
        acts = case_counts(req.arrears_case.as_ref()).2,
        dossier = %req.dossier_number,
    ))]
    pub(crate) async fn compute_arrears(
        &self,
        _caller: &Caller,
        req: pb::ComputeArrearsRequest,
    ) -> ServiceResult<pb::ComputeArrearsResponse> {
        let request = ArrearsRequest::try_from(&req)?;
        let refs = self.references.snapshot().await?;
        // A few years of lines take less time than handing them to another thread.
        if request.lines_at_most() <= INLINE_LINES {
            return request.compute(&refs);
        }
        blocking(move || request.compute(&refs)).await?
    }

    #[tracing::instrument(skip_all, fields(
        creditors = case_counts(req.arrears_case.as_ref()).0,
        payments = case_counts(req.arrears_case.as_ref()).1,
        acts = case_counts(req.arrears_case.as_ref()).2,
    ))]
    pub(crate) async fn compute_prescription(
        &self,
        _caller: &Caller,
        req: pb::ComputePrescriptionRequest,
    ) -> ServiceResult<pb::ComputePrescriptionResponse> {
        let PrescriptionCommand { case, as_of } = PrescriptionCommand::try_from(&req)?;
        let refs = self.references.snapshot().await?;
        blocking(move || {
            prescription::compute(&case, as_of, &refs, Explainer::new()).map(to_pb::prescription)
        })
        .await?
        .map_err(|e| rule_error_at(CASE, e))
    }

    #[tracing::instrument(skip_all, fields(claims = req.claims.len()))]
    pub(crate) async fn compute_interest(
        &self,
        _caller: &Caller,
        req: pb::ComputeInterestRequest,
    ) -> ServiceResult<pb::ComputeInterestResponse> {
        match InterestCommand::try_from(&req)? {
            InterestCommand::Case { case, as_of } => {
                let refs = self.references.snapshot().await?;
                blocking(move || {
                    interest::for_case(&case, as_of, &refs, Explainer::new()).map(to_pb::interest)
                })
                .await?
                .map_err(|e| rule_error_at(CASE, e))
            }
            InterestCommand::Claims { claims, date } => {
                let refs = self.references.snapshot().await?;
                interest::for_claims(&claims, date, &refs, Explainer::new())
                    .map(to_pb::interest)
                    .map_err(rule_error)
            }
        }
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn check_admissibility(
        &self,
        _caller: &Caller,
        req: pb::CheckAdmissibilityRequest,
    ) -> ServiceResult<pb::CheckAdmissibilityResponse> {
        let AdmissibilityCommand { date, basis } = AdmissibilityCommand::try_from(&req)?;
        let refs = self.references.snapshot().await?;
        let declared = matches!(basis, Basis::Declared(_));
        let check = move || {
            let (rules_basis, prefix) = match &basis {
                Basis::Case(case) => (admissibility::Basis::Case(case), CASE),
                Basis::Declared(d) => (admissibility::Basis::Declared(d), "declared_arrears"),
            };
            admissibility::check(date, rules_basis, &refs, Explainer::new())
                .map(to_pb::admissibility)
                .map_err(|e| rule_error_at(prefix, e))
        };
        // A declared table is only counted (every submission asks this): handing it to another
        // thread costs more than the count. A case is computed line by line, like arrears.
        if declared {
            return check();
        }
        blocking(check).await?
    }
}
