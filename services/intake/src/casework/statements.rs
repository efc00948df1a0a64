//! IssueStatement: a statement of account a party asked for, rendered from the claim account
//! payments keeps (GetDebtorStatement / GetCreditorStatement) and issued like every letter:
//! to the debtor (every creditor, the fee) or to the applicant for a creditor's part.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_letters::{Figure, Language, LetterKind};
use secal_proto::v1::{self as pb, claim_account_service_client::ClaimAccountServiceClient};
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use uuid::Uuid;

use super::{
    feed::Feed,
    letters::{self, Dispatch, Order},
    recipient::{self, Party},
    wording::{self, Label},
};
use crate::{
    api::IntakeApi,
    lifecycle::{Begun, RequestParts, finish},
    store::{self, DossierKey},
};

/// A statement request, as the request gives it once checked.
struct StatementOrder {
    key: String,
    dossier: DossierKey,
    /// `None`: the debtor's statement; else the creditor's whose statement goes to the
    /// applicant.
    creditor: Option<Uuid>,
    as_of: NaiveDate,
    dispatch: Dispatch,
}

impl TryFrom<&pb::IssueStatementRequest> for StatementOrder {
    type Error = ServiceError;

    fn try_from(req: &pb::IssueStatementRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let creditor = match v.take(wire::required_enum::<pb::DossierRole>(
            "recipient",
            req.recipient,
        )) {
            Some(pb::DossierRole::Debtor) => Some(None),
            Some(pb::DossierRole::Creditor) => match Uuid::parse_str(req.creditor_person_id.trim())
            {
                Ok(id) => Some(Some(id)),
                Err(_) => {
                    v.add(
                        "creditor_person_id",
                        "REQUIRED: the creditor's person id (a UUID)",
                    );
                    None
                }
            },
            Some(_) => {
                v.add("recipient", "DEBTOR or CREDITOR");
                None
            }
            None => None,
        };
        let as_of = v.date("as_of", req.as_of.as_ref());
        let dispatch = Dispatch::parse(&mut v, "dispatch", req.dispatch.as_ref());
        v.finish(|| {
            Some(StatementOrder {
                key: key?,
                dossier: dossier?,
                creditor: creditor?,
                as_of,
                dispatch: dispatch?,
            })
        })
    }
}

/// The statement as payments states it on the day.
pub(super) async fn fetch(
    feed: &Feed,
    number: &str,
    creditor: Option<Uuid>,
    as_of: NaiveDate,
) -> ServiceResult<pb::Statement> {
    let mut client = feed.0.client(ClaimAccountServiceClient::with_interceptor);
    let as_of = Some(wire::date_to_pb(as_of));
    let answer = match creditor {
        None => client
            .get_debtor_statement(pb::GetDebtorStatementRequest {
                dossier_number: number.to_owned(),
                as_of,
            })
            .await
            .map(|r| r.into_inner().statement),
        Some(c) => client
            .get_creditor_statement(pb::GetCreditorStatementRequest {
                dossier_number: number.to_owned(),
                as_of,
                creditor_person_id: c.to_string(),
            })
            .await
            .map(|r| r.into_inner().statement),
    };
    match answer {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(ServiceError::internal(
            "payments answered without a statement",
        )),
        Err(status) => Err(ServiceError::failed_precondition(
            "STATEMENT_UNAVAILABLE",
            format!("the claim account's statement: {}", status.message()),
        )),
    }
}

fn money(m: Option<&pb::Money>) -> Option<Decimal> {
    m.and_then(|m| m.amount.trim().parse().ok())
}

/// The statement's figures: each month's open amount (what it was, what was paid), then the
/// totals.
fn figures(s: &pb::Statement, debtor: bool, lang: Language) -> Vec<Figure> {
    let mut out: Vec<Figure> = s
        .months
        .iter()
        .filter_map(|m| {
            let month = m.month.as_ref()?;
            Some(Figure {
                label: format!("{:04}-{:02}", month.year, month.month),
                amount: money(m.open.as_ref())?,
                explanation: wording::statement_month(
                    money(m.due.as_ref()).unwrap_or_default(),
                    money(m.paid.as_ref()).unwrap_or_default(),
                    money(m.time_barred.as_ref()).unwrap_or_default(),
                    lang,
                ),
            })
        })
        .collect();
    let t = s.totals.clone().unwrap_or_default();
    let mut totals = vec![
        (Label::TotalDue, t.due),
        (Label::TotalPaid, t.paid),
        (Label::TotalInterest, t.interest),
    ];
    if debtor {
        totals.push((Label::TotalFee, t.fee));
    } else {
        totals.push((Label::TotalAdvanced, t.advanced));
    }
    totals.push((Label::Outstanding, t.outstanding));
    out.extend(totals.into_iter().filter_map(|(label, m)| {
        Some(Figure {
            label: wording::label(label, lang),
            amount: money(m.as_ref())?,
            explanation: wording::statement_total(label, debtor, lang),
        })
    }));
    out
}

/// A statement's letter (on request or yearly): to the debtor, with the payment reference, or
/// to the applicant for a creditor's part; one fact saying when or which year.
pub(super) fn statement_order(
    kind: LetterKind,
    s: &pb::Statement,
    debtor: bool,
    when: secal_letters::Fact,
    figures: Vec<Figure>,
    dispatch: &Dispatch,
    step: &'static str,
) -> Order {
    Order {
        kind,
        party: if debtor {
            Party::Debtor
        } else {
            Party::Applicant
        },
        issued_on: Utc::now().date_naive(),
        dispatch: dispatch.clone(),
        facts: vec![when],
        figures,
        reasons: Vec::new(),
        payment_reference: Some(s.structured_reference.clone()).filter(|r| !r.is_empty() && debtor),
        respond_by: None,
        step,
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn issue_statement(
        &self,
        caller: &Caller,
        req: pb::IssueStatementRequest,
    ) -> ServiceResult<pb::IssueStatementResponse> {
        let o = StatementOrder::try_from(&req)?;
        let Some(feed) = &self.payments else {
            return Err(ServiceError::failed_precondition(
                "STATEMENT_UNAVAILABLE",
                "no payments service is configured: statements come from its claim accounts",
            ));
        };
        // The figures first, outside the transaction: payments may take its time.
        let number = {
            let mut conn = self.pool.acquire().await?;
            store::find(&mut conn, &o.dossier, false)
                .await?
                .dossier_number
        };
        let number = number.ok_or_else(|| {
            ServiceError::failed_precondition(
                "NO_CLAIM_ACCOUNT",
                "the dossier has no number yet: a statement comes once it is accepted",
            )
        })?;
        let statement = fetch(feed, &number, o.creditor, o.as_of).await?;
        const M: &str = "IssueStatement";
        let (mut tx, row) = match self.begin(caller, M, &o.key, &req, &o.dossier, 0).await? {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let form = store::current_form(&mut tx, row.id).await?;
        let lang = recipient::language(&form);
        let debtor = o.creditor.is_none();
        let kind = if debtor {
            LetterKind::DebtorStatement
        } else {
            LetterKind::CreditorStatement
        };
        let as_of = letters::fact(
            &wording::label(Label::AsOf, lang),
            secal_letters::format_date(o.as_of, lang),
        );
        let figures = figures(&statement, debtor, lang);
        let order = statement_order(kind, &statement, debtor, as_of, figures, &o.dispatch, M);
        let issued = letters::issue(&mut tx, &row, order, caller).await?;
        let letter = super::letters_api::letter_by_id(&mut tx, issued.public_id).await?;
        let resp = pb::IssueStatementResponse {
            letter: Some(letter),
        };
        finish(tx, M, &o.key, &resp).await?;
        Ok(resp)
    }
}
