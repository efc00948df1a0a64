//! The applicant's letters on advances: granted (the first month a child is paid, or the first
//! month paid again after they ended) and ended (the first month a child paid before is
//! refused for a reason that ends the right). Noted once per child and month when a run's
//! shards are done, in one transaction with the letters' requests on the case-work feed, one
//! letter per dossier and kind; a start that finds a month's notices noted notes nothing
//! again (primary key), so a resumed or concurrent run requests each letter once.
//!
//! A month with nothing to advance — the debtor paid the creditor, or no maintenance was due —
//! is not an end: the right stays and the next month is paid again without a new letter.

use std::collections::BTreeMap;

use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_runtime::{ServiceResult, wire};
use sqlx::PgPool;

use crate::casework::{self, By};
use crate::db_enum::sql_enum;
use crate::ledger;

const GRANTED: i16 = 1;
const ENDED: i16 = 2;

/// The refusals that end a child's right to advances (`AdvanceIneligibilityReason`).
const ENDING: [i16; 5] = [
    pb::AdvanceIneligibilityReason::AdultWithoutFamilyAllowance as i16,
    pb::AdvanceIneligibilityReason::AdultRenewalLapsed as i16,
    pb::AdvanceIneligibilityReason::IncomeAboveCeiling as i16,
    pb::AdvanceIneligibilityReason::ChildAged26OrOver as i16,
    pb::AdvanceIneligibilityReason::ApplicantNotInBelgium as i16,
];

#[derive(sqlx::FromRow)]
struct Noted {
    dossier_number: String,
    child: String,
    kind: i16,
    amount_cents: i64,
    reasons: Vec<i16>,
}

/// Notes the month's grants and ends and requests their letters; returns how many letters.
#[tracing::instrument(skip_all, fields(month = %month))]
pub(super) async fn note(pool: &PgPool, month: YearMonth, actor: &str) -> ServiceResult<usize> {
    let mut tx = pool.begin().await?;
    // A child's last notice before the month says whether it holds advances: a payment after
    // none (or after an end) grants them, an ending refusal after a grant ends them.
    let noted: Vec<Noted> = sqlx::query_as(concat!(
        "WITH last AS (
            SELECT DISTINCT ON (dossier_number, child) dossier_number, child, kind
              FROM advance_notices WHERE month < $1
             ORDER BY dossier_number, child, month DESC)
         INSERT INTO advance_notices (dossier_number, child, month, kind, amount_cents, reasons)
         SELECT i.dossier_number, i.child, $1,
                CASE WHEN i.status = ",
        sql_enum!(AdvancesRunItemStatus::Paid),
        " THEN 1 ELSE 2 END, i.amount_cents, i.reasons
           FROM advances_run_items i
           LEFT JOIN last l USING (dossier_number, child)
          WHERE i.month = $1
            AND ((i.status = ",
        sql_enum!(AdvancesRunItemStatus::Paid),
        " AND l.kind IS DISTINCT FROM 1)
              OR (i.status = ",
        sql_enum!(AdvancesRunItemStatus::NotEligible),
        " AND l.kind = 1 AND i.reasons && $2))
         ON CONFLICT DO NOTHING
         RETURNING dossier_number, child, kind, amount_cents, reasons"
    ))
    .bind(month.first_day())
    .bind(&ENDING[..])
    .fetch_all(&mut *tx)
    .await?;
    let mut letters: BTreeMap<(String, i16), Vec<pb::ChildAdvance>> = BTreeMap::new();
    for n in noted {
        letters
            .entry((n.dossier_number, n.kind))
            .or_default()
            .push(child_advance(n.child, n.kind, n.amount_cents, &n.reasons));
    }
    let count = letters.len();
    for ((dossier, kind), children) in letters {
        let request = letter(month, kind, children);
        let what = if kind == ENDED { "ended" } else { "granted" };
        let subject = format!("advances-{what}:{dossier}/{month}");
        let by = By::actor(actor);
        let sequence = casework::letters::request(&mut tx, &dossier, subject, &request, by).await?;
        // Only the children this letter names: an earlier start may have noted (and written
        // about) others of the same dossier and month.
        sqlx::query(
            "UPDATE advance_notices SET letter_sequence = $4
              WHERE dossier_number = $1 AND month = $2 AND kind = $3 AND child = ANY($5)",
        )
        .bind(&dossier)
        .bind(month.first_day())
        .bind(kind)
        .bind(sequence)
        .bind(request_children(&request))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(letters = count, "advances granted and ended noted");
    Ok(count)
}

/// The children a requested advances letter names.
fn request_children(r: &pb::LetterRequest) -> Vec<String> {
    match &r.content {
        Some(pb::letter_request::Content::Advances(a)) => {
            a.children.iter().map(|c| c.child.clone()).collect()
        }
        _ => Vec::new(),
    }
}

fn child_advance(child: String, kind: i16, cents: i64, reasons: &[i16]) -> pb::ChildAdvance {
    pb::ChildAdvance {
        child,
        amount: (kind == GRANTED).then(|| ledger::cents_pb(cents)),
        reasons: reasons.iter().map(|r| i32::from(*r)).collect(),
    }
}

fn letter(month: YearMonth, kind: i16, children: Vec<pb::ChildAdvance>) -> pb::LetterRequest {
    let letter_kind = if kind == ENDED {
        pb::LetterKind::AdvancesEnded
    } else {
        pb::LetterKind::AdvancesGranted
    };
    pb::LetterRequest {
        kind: letter_kind as i32,
        recipient: pb::DossierRole::Applicant as i32,
        issued_on: Some(wire::date_to_pb(casework::today())),
        dispatch: None,
        content: Some(pb::letter_request::Content::Advances(pb::AdvancesNotice {
            month: Some(wire::year_month_to_pb(month)),
            children,
        })),
    }
}
