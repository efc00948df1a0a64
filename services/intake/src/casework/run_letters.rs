//! What the letters payments' runs request say: advances granted or ended (to the applicant,
//! each child named by its given names as the registry holds them) and a payment plan's
//! breach (to the debtor: the instalments missed and the date to pay them by).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_letters::{Fact, Figure, Language, LetterKind};
use secal_proto::v1 as pb;
use secal_runtime::{ServiceResult, wire};
use sqlx::PgConnection;

use super::{
    letters,
    wording_runs::{self as w, RunLabel},
};

/// A dossier's creditors' given names, by the ids payments knows them by (the person's public
/// id, and the creditor key of the form).
pub(crate) async fn child_names(
    conn: &mut PgConnection,
    dossier_id: i64,
) -> ServiceResult<HashMap<String, String>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.public_id::text, dp.creditor_key, p.given_names
           FROM dossier_parties dp JOIN persons p ON p.id = dp.person_id
          WHERE dp.dossier_id = $1 AND dp.role = 'CREDITOR'",
    )
    .bind(dossier_id)
    .fetch_all(conn)
    .await?;
    let mut names = HashMap::new();
    for (id, key, given) in rows {
        // The first given name: how the family calls the child in a letter.
        let first = given.split_whitespace().next().unwrap_or(&given).to_owned();
        names.insert(id, first.clone());
        names.insert(key, first);
    }
    Ok(names)
}

fn money(m: Option<&pb::Money>) -> Option<Decimal> {
    m.and_then(|m| m.amount.trim().parse().ok())
}

/// What an advances letter says.
pub(crate) struct AdvancesContent {
    pub facts: Vec<Fact>,
    pub figures: Vec<Figure>,
    pub reasons: Vec<String>,
}

/// Granted: a figure per child (its first month's advance); ended: a reason per child.
pub(crate) fn advances(
    kind: LetterKind,
    n: &pb::AdvancesNotice,
    names: &HashMap<String, String>,
    lang: Language,
) -> Option<AdvancesContent> {
    let month = wire::year_month_from_pb("month", n.month.as_ref()).ok()?;
    let first = month.first_day();
    let name = |c: &pb::ChildAdvance| names.get(&c.child).cloned().unwrap_or_default();
    let granted = kind == LetterKind::AdvancesGranted;
    let from = if granted {
        RunLabel::AdvancesFrom
    } else {
        RunLabel::AdvancesEndFrom
    };
    let facts = vec![letters::fact(
        &w::label(from, lang),
        secal_letters::format_date(first, lang),
    )];
    if granted {
        let figures = n
            .children
            .iter()
            .filter_map(|c| {
                Some(Figure {
                    label: w::advance_for(&name(c), lang),
                    amount: money(c.amount.as_ref())?,
                    explanation: w::advance_explanation(first, lang),
                })
            })
            .collect();
        return Some(AdvancesContent {
            facts,
            figures,
            reasons: Vec::new(),
        });
    }
    let reasons = n
        .children
        .iter()
        .flat_map(|c| {
            c.reasons()
                .map(|r| w::advances_end_reason(&name(c), r, lang))
                .collect::<Vec<_>>()
        })
        .collect();
    Some(AdvancesContent {
        facts,
        figures: Vec::new(),
        reasons,
    })
}

/// What a breach letter says: the plan, the instalments missed, and the reason.
pub(crate) struct BreachContent {
    pub facts: Vec<Fact>,
    pub figures: Vec<Figure>,
    pub reasons: Vec<String>,
    pub pay_by: Option<NaiveDate>,
}

pub(crate) fn breach(b: &pb::PlanBreachNotice, plan_label: &str, lang: Language) -> BreachContent {
    let figures: Vec<Figure> = b
        .missed
        .iter()
        .filter_map(|m| {
            let due = wire::optional_date_from_pb("due_date", m.due_date.as_ref()).ok()??;
            Some(Figure {
                label: w::missed_instalment(m.number, due, lang),
                amount: money(m.unpaid.as_ref())?,
                explanation: w::missed_explanation(lang),
            })
        })
        .collect();
    BreachContent {
        facts: vec![letters::fact(plan_label, &b.plan_id)],
        reasons: vec![w::breach_reason(b.missed.len(), lang)],
        figures,
        pay_by: wire::optional_date_from_pb("pay_by", b.pay_by.as_ref())
            .ok()
            .flatten(),
    }
}
