//! IssueYearlyStatements: the statements of a calendar year that has ended, for every dossier
//! active on its last day — the debtor's (every creditor, the fee) and, to the applicant, each
//! creditor's — with the year's figures from payments' claim account as of 31 December.
//!
//! Once per dossier, recipient and year (`yearly_statements`): each letter is issued in its
//! own transaction with its row, under a lock of its key, so a second run (or a concurrent
//! one) issues only what is missing. A dossier payments cannot answer for is listed failed and
//! left to a later run. The key is claimed at the end, with the counts as its answer; a replay
//! of a finished run answers them without any work.

use chrono::{Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_letters::{Figure, Language, LetterKind};
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
};
use uuid::Uuid;

use super::{
    feed::Feed,
    letters::{self, Dispatch},
    recipient, statements,
    wording_runs::{self as w, RunLabel},
};
use crate::{api::IntakeApi, lifecycle::finish, store};

const M: &str = "IssueYearlyStatements";

/// IssueYearlyStatements, parsed.
struct YearlyOrder {
    key: String,
    year: i32,
    /// 31 December of the year: what is active then, and the statements' date.
    year_end: NaiveDate,
    dispatch: Dispatch,
}

impl YearlyOrder {
    fn parse(req: &pb::IssueYearlyStatementsRequest, today: NaiveDate) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let year_end = (2004..today.year())
            .contains(&req.year)
            .then(|| NaiveDate::from_ymd_opt(req.year, 12, 31))
            .flatten();
        if year_end.is_none() {
            v.add(
                "year",
                format!("a year that has ended, 2004 to {}", today.year() - 1),
            );
        }
        let dispatch = Dispatch::parse(&mut v, "dispatch", req.dispatch.as_ref());
        v.finish(|| {
            Some(YearlyOrder {
                key: key?,
                year: req.year,
                year_end: year_end?,
                dispatch: dispatch?,
            })
        })
    }
}

/// A dossier active on the year's last day.
#[derive(sqlx::FromRow)]
struct ActiveDossier {
    id: i64,
    dossier_number: String,
}

/// Whose statement a letter is: the debtor's, or a creditor's (to the applicant).
#[derive(Debug, Clone, Copy)]
enum Of {
    Debtor,
    Creditor(Uuid),
}

impl Of {
    fn key(self) -> String {
        match self {
            Of::Debtor => "DEBTOR".to_owned(),
            Of::Creditor(id) => id.to_string(),
        }
    }

    fn creditor(self) -> Option<Uuid> {
        match self {
            Of::Debtor => None,
            Of::Creditor(id) => Some(id),
        }
    }
}

#[derive(Default)]
struct Counts {
    issued: i32,
    already: i32,
    failed: Vec<String>,
}

impl IntakeApi {
    #[tracing::instrument(skip_all, fields(year = req.year))]
    pub(crate) async fn issue_yearly_statements(
        &self,
        caller: &Caller,
        req: pb::IssueYearlyStatementsRequest,
    ) -> ServiceResult<pb::IssueYearlyStatementsResponse> {
        let o = YearlyOrder::parse(&req, Utc::now().date_naive())?;
        {
            let mut tx = self.pool.begin().await?;
            if let Claim::Replay(r) = idempotency::claim(&mut tx, caller, M, &o.key, &req).await? {
                return Ok(r);
            }
            // Not claimed yet: the work is done first, each letter in its own transaction.
            tx.rollback().await?;
        }
        let Some(feed) = &self.payments else {
            return Err(ServiceError::failed_precondition(
                "STATEMENT_UNAVAILABLE",
                "no payments service is configured: statements come from its claim accounts",
            ));
        };
        let dossiers: Vec<ActiveDossier> = sqlx::query_as(
            "SELECT id, dossier_number FROM dossiers
              WHERE dossier_number IS NOT NULL AND status IN ('ACTIVE', 'CLOSED')
                AND active_from <= $1 AND (closed_on IS NULL OR closed_on > $1)
              ORDER BY id",
        )
        .bind(o.year_end)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = Counts::default();
        for d in &dossiers {
            if let Err(e) = self.yearly_of(feed, caller, &o, d, &mut counts).await {
                tracing::warn!(dossier = d.id, error = %e, "yearly statement not issued");
                counts.failed.push(d.dossier_number.clone());
            }
        }
        let resp = pb::IssueYearlyStatementsResponse {
            dossiers: i32::try_from(dossiers.len()).unwrap_or(i32::MAX),
            issued: counts.issued,
            already_issued: counts.already,
            failed_dossier_numbers: counts.failed,
        };
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(r) = idempotency::claim(&mut tx, caller, M, &o.key, &req).await? {
            return Ok(r);
        }
        finish(tx, M, &o.key, &resp).await?;
        Ok(resp)
    }

    /// The dossier's statements not issued yet for the year.
    async fn yearly_of(
        &self,
        feed: &Feed,
        caller: &Caller,
        o: &YearlyOrder,
        d: &ActiveDossier,
        counts: &mut Counts,
    ) -> ServiceResult<()> {
        let creditors: Vec<Uuid> = sqlx::query_scalar(
            "SELECT p.public_id FROM dossier_parties dp JOIN persons p ON p.id = dp.person_id
              WHERE dp.dossier_id = $1 AND dp.role = 'CREDITOR' ORDER BY dp.creditor_key",
        )
        .bind(d.id)
        .fetch_all(&self.pool)
        .await?;
        let whose = std::iter::once(Of::Debtor).chain(creditors.into_iter().map(Of::Creditor));
        for of in whose {
            let mut conn = self.pool.acquire().await?;
            if issued(&mut conn, o.year, d.id, of).await? {
                counts.already += 1;
                continue;
            }
            drop(conn);
            let s = statements::fetch(feed, &d.dossier_number, of.creditor(), o.year_end).await?;
            if self.issue_one(caller, o, d, of, &s).await? {
                counts.issued += 1;
            } else {
                counts.already += 1;
            }
        }
        Ok(())
    }

    /// Issues one statement with its row, unless a concurrent run did (false).
    async fn issue_one(
        &self,
        caller: &Caller,
        o: &YearlyOrder,
        d: &ActiveDossier,
        of: Of,
        s: &pb::Statement,
    ) -> ServiceResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtext('yearly:' || $1 || ':' || $2 || ':' || $3))",
        )
        .bind(o.year)
        .bind(d.id)
        .bind(of.key())
        .execute(&mut *tx)
        .await?;
        if issued(&mut tx, o.year, d.id, of).await? {
            return Ok(false);
        }
        let row = store::find_by_id(&mut tx, d.id).await?;
        let form = store::current_form(&mut tx, row.id).await?;
        let lang = recipient::language(&form);
        let debtor = matches!(of, Of::Debtor);
        let year = letters::fact(&w::label(RunLabel::Year, lang), o.year.to_string());
        let figures = year_figures(s, o.year, debtor, lang);
        let kind = LetterKind::YearlyStatement;
        let order = statements::statement_order(kind, s, debtor, year, figures, &o.dispatch, M);
        let issued = letters::issue(&mut tx, &row, order, caller).await?;
        sqlx::query(
            "INSERT INTO yearly_statements (year, dossier_id, statement_of, letter_id)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(o.year)
        .bind(d.id)
        .bind(of.key())
        .bind(issued.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Whether the statement of `of` for the year was issued (by this run or an earlier one).
async fn issued(
    conn: &mut sqlx::PgConnection,
    year: i32,
    dossier: i64,
    of: Of,
) -> ServiceResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM yearly_statements
                         WHERE year = $1 AND dossier_id = $2 AND statement_of = $3)",
    )
    .bind(year)
    .bind(dossier)
    .bind(of.key())
    .fetch_one(conn)
    .await?)
}

fn money(m: Option<&pb::Money>) -> Decimal {
    m.and_then(|m| m.amount.trim().parse().ok())
        .unwrap_or_default()
}

/// The year's sums over its months, then what was owed at its end (every year).
fn year_figures(s: &pb::Statement, year: i32, debtor: bool, lang: Language) -> Vec<Figure> {
    let months: Vec<&pb::StatementMonth> = s
        .months
        .iter()
        .filter(|m| m.month.as_ref().is_some_and(|ym| ym.year == year))
        .collect();
    let sum = |f: fn(&pb::StatementMonth) -> Option<&pb::Money>| -> Decimal {
        months.iter().map(|m| money(f(m))).sum()
    };
    let mut lines = vec![
        (RunLabel::YearDue, sum(|m| m.due.as_ref())),
        (RunLabel::YearPaid, sum(|m| m.paid.as_ref())),
    ];
    if debtor {
        lines.push((RunLabel::YearFee, sum(|m| m.fee.as_ref())));
    } else {
        lines.push((RunLabel::YearAdvanced, sum(|m| m.advanced.as_ref())));
    }
    lines.push((RunLabel::YearInterest, sum(|m| m.interest.as_ref())));
    let owed = money(s.totals.as_ref().and_then(|t| t.outstanding.as_ref()));
    lines.push((RunLabel::OwedAtYearEnd, owed));
    lines
        .into_iter()
        .map(|(label, amount)| Figure {
            label: w::label(label, lang),
            amount,
            explanation: w::year_explanation(label, year, lang),
        })
        .collect()
}
