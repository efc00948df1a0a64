//! The applicant's letters on advances: granted (the first month a child is paid, or the first
//! month paid again after they ended) and ended (the first month a child paid before is
//! refused for a reason that ends the right). Noted once per child and month when a run's
//! shards are done, in one transaction with the letters' requests on the case-work feed, one
//! letter per dossier and kind; a start that finds a month's notices noted notes nothing
//! again (primary key), so a resumed or concurrent run requests each letter once.
//!
//! A month with nothing to advance — the debtor paid the creditor, or no maintenance was due —
//! is not an end: the right stays and the next month is paid again without a new letter.

use std::collections::{BTreeMap, HashMap};

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
    let (orders, named) = orders_of(month, noted);
    let count = orders.len();
    let sequences = casework::letters::request_many(&mut tx, &orders, By::actor(actor)).await?;
    keep_sequences(&mut tx, month, &named, &sequences).await?;
    tx.commit().await?;
    tracing::info!(letters = count, "advances granted and ended noted");
    Ok(count)
}

/// The children a run's letters name: dossier, child and the letter's subject, column by
/// column (one statement ... unnest).
#[derive(Default)]
struct Named {
    dossiers: Vec<String>,
    children: Vec<String>,
    subjects: Vec<String>,
}

/// One letter per dossier and kind, naming its children. One statement requests them all and
/// one keeps their sequence numbers: a month's first run writes to every family whose
/// children it pays for the first time.
fn orders_of(month: YearMonth, noted: Vec<Noted>) -> (Vec<casework::letters::LetterOrder>, Named) {
    let mut letters: BTreeMap<(String, i16), Vec<pb::ChildAdvance>> = BTreeMap::new();
    for n in noted {
        letters
            .entry((n.dossier_number, n.kind))
            .or_default()
            .push(child_advance(n.child, n.kind, n.amount_cents, &n.reasons));
    }
    let mut orders = Vec::with_capacity(letters.len());
    let mut named = Named::default();
    for ((dossier, kind), children) in letters {
        let what = if kind == ENDED { "ended" } else { "granted" };
        let subject = format!("advances-{what}:{dossier}/{month}");
        for c in &children {
            named.dossiers.push(dossier.clone());
            named.children.push(c.child.clone());
            named.subjects.push(subject.clone());
        }
        orders.push((dossier, subject, letter(month, kind, children)));
    }
    (orders, named)
}

/// Each notice keeps the sequence of the letter that names its child (only those: an earlier
/// start may have noted, and written about, others of the same dossier and month).
async fn keep_sequences(
    conn: &mut sqlx::PgConnection,
    month: YearMonth,
    named: &Named,
    sequences: &HashMap<String, i64>,
) -> ServiceResult<()> {
    let seqs: Vec<Option<i64>> = named
        .subjects
        .iter()
        .map(|s| sequences.get(s).copied())
        .collect();
    sqlx::query(
        "UPDATE advance_notices n SET letter_sequence = u.seq
           FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(d, c, seq)
          WHERE n.dossier_number = u.d AND n.child = u.c AND n.month = $1",
    )
    .bind(month.first_day())
    .bind(&named.dossiers)
    .bind(&named.children)
    .bind(&seqs)
    .execute(conn)
    .await?;
    Ok(())
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
