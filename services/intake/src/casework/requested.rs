//! The letters payments' steps require (its feed's LETTER_REQUESTED events), issued like the
//! intake steps' letters: to the dossier's party as the registry names them on the issue
//! date, in the dossier's language, the figures payments states worded here (those of the
//! runs' letters in `run_letters`).

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_letters::{Figure, Language, LetterKind};
use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;

use super::{
    letters::{self, Dispatch, Order},
    recipient::{self, Party},
    run_letters,
    tasks::Stamp,
    wording::{self, Label},
};
use crate::store::{self, DossierKey};

fn corrupt(e: &pb::CaseworkEvent, why: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(format!("casework event {}: {why}", e.sequence))
}

fn money(m: Option<&pb::Money>) -> Option<Decimal> {
    m.and_then(|m| m.amount.trim().parse().ok())
}

fn date_of(d: Option<&pb::Date>) -> Option<NaiveDate> {
    wire::optional_date_from_pb("date", d).ok().flatten()
}

/// Issues the letter an event requests.
pub(crate) async fn issue(
    conn: &mut PgConnection,
    e: &pb::CaseworkEvent,
    by: Stamp<'_>,
) -> ServiceResult<()> {
    let request = e.letter.as_ref().ok_or_else(|| corrupt(e, "no letter"))?;
    let kind = match request.kind() {
        pb::LetterKind::PreOffsetNotice => LetterKind::PreOffsetNotice,
        pb::LetterKind::PostOffsetNotice => LetterKind::PostOffsetNotice,
        pb::LetterKind::OffsetCancelled => LetterKind::OffsetCancelled,
        pb::LetterKind::PaymentPlan => LetterKind::PaymentPlan,
        pb::LetterKind::Suspension => LetterKind::Suspension,
        pb::LetterKind::AdvancesGranted => LetterKind::AdvancesGranted,
        pb::LetterKind::AdvancesEnded => LetterKind::AdvancesEnded,
        pb::LetterKind::PaymentPlanBreach => LetterKind::PaymentPlanBreach,
        other => return Err(corrupt(e, format!("payments cannot request {other:?}"))),
    };
    let party = match request.recipient() {
        pb::DossierRole::Applicant => Party::Applicant,
        pb::DossierRole::Debtor => Party::Debtor,
        other => return Err(corrupt(e, format!("no letter to {other:?}"))),
    };
    let key = DossierKey::Number(e.dossier_number.trim().to_owned());
    let row = store::find(conn, &key, false).await?;
    let form = store::current_form(conn, row.id).await?;
    let lang = recipient::language(&form);
    let mut v = Violations::new();
    let dispatch = Dispatch::parse(&mut v, "letter.dispatch", request.dispatch.as_ref());
    let dispatch = v
        .finish(|| dispatch)
        .map_err(|err| corrupt(e, err.message().to_owned()))?;
    let issued_on = date_of(request.issued_on.as_ref()).unwrap_or_else(|| Utc::now().date_naive());
    let names = match kind {
        LetterKind::AdvancesGranted | LetterKind::AdvancesEnded => {
            run_letters::child_names(conn, row.id).await?
        }
        _ => Default::default(),
    };
    let content = Content::of(e, kind, request.content.as_ref(), issued_on, lang, &names)?;
    let order = Order {
        kind,
        party,
        issued_on,
        dispatch,
        facts: content.facts,
        figures: content.figures,
        reasons: content.reasons,
        payment_reference: Some(content.payment_reference).filter(|r| !r.is_empty()),
        respond_by: content.respond_by,
        step: content.step,
    };
    letters::issue_by(conn, &row, order, by).await?;
    Ok(())
}

/// What a requested letter says, worded in its language.
struct Content {
    facts: Vec<secal_letters::Fact>,
    figures: Vec<Figure>,
    reasons: Vec<String>,
    payment_reference: String,
    respond_by: Option<NaiveDate>,
    step: &'static str,
}

impl Content {
    fn of(
        e: &pb::CaseworkEvent,
        kind: LetterKind,
        content: Option<&pb::letter_request::Content>,
        issued_on: NaiveDate,
        lang: Language,
        names: &HashMap<String, String>,
    ) -> ServiceResult<Self> {
        use pb::letter_request::Content as C;
        Ok(match (kind, content) {
            (LetterKind::OffsetCancelled, Some(C::Offset(o))) => Content {
                facts: offset_content(o, kind, lang).0,
                figures: cancelled_figures(o, lang),
                reasons: Vec::new(),
                payment_reference: o.payment_reference.clone(),
                respond_by: None,
                step: "CancelTaxRefundOffset",
            },
            (LetterKind::PreOffsetNotice | LetterKind::PostOffsetNotice, Some(C::Offset(o))) => {
                let (facts, figures) = offset_content(o, kind, lang);
                let pre = kind == LetterKind::PreOffsetNotice;
                let planned = date_of(o.planned_on.as_ref()).filter(|d| *d > issued_on);
                Content {
                    facts,
                    figures,
                    reasons: Vec::new(),
                    payment_reference: o.payment_reference.clone(),
                    // The debtor objects before the refund is paid.
                    respond_by: planned.filter(|_| pre),
                    step: if pre {
                        "ProposeTaxRefundOffset"
                    } else {
                        "ConfirmTaxRefundOffset"
                    },
                }
            }
            (LetterKind::PaymentPlan, Some(C::Plan(p))) => Content {
                facts: plan_facts(p, lang),
                figures: plan_figures(p, lang),
                reasons: Vec::new(),
                payment_reference: p.payment_reference.clone(),
                respond_by: None,
                step: "CreatePaymentPlan",
            },
            (LetterKind::Suspension, Some(C::Suspension(s))) => Content {
                facts: suspension_facts(s, lang),
                figures: Vec::new(),
                reasons: Vec::new(),
                payment_reference: String::new(),
                respond_by: None,
                step: "GrantSuspension",
            },
            (LetterKind::AdvancesGranted | LetterKind::AdvancesEnded, Some(C::Advances(a))) => {
                let c = run_letters::advances(kind, a, names, lang)
                    .ok_or_else(|| corrupt(e, "an advances notice without its month"))?;
                Content {
                    facts: c.facts,
                    figures: c.figures,
                    reasons: c.reasons,
                    payment_reference: String::new(),
                    respond_by: None,
                    step: "RunMonthlyAdvances",
                }
            }
            (LetterKind::PaymentPlanBreach, Some(C::Breach(b))) => {
                let c = run_letters::breach(b, &wording::label(Label::PlanId, lang), lang);
                Content {
                    facts: c.facts,
                    figures: c.figures,
                    reasons: c.reasons,
                    payment_reference: b.payment_reference.clone(),
                    respond_by: c.pay_by.filter(|d| *d > issued_on),
                    step: "DetectMissedPlanInstalments",
                }
            }
            _ => return Err(corrupt(e, format!("a {kind:?} letter without its content"))),
        })
    }
}

fn dated_fact(label: Label, d: Option<&pb::Date>, lang: Language) -> Option<secal_letters::Fact> {
    let d = date_of(d)?;
    Some(letters::fact(
        &wording::label(label, lang),
        secal_letters::format_date(d, lang),
    ))
}

fn plan_facts(p: &pb::PlanNotice, lang: Language) -> Vec<secal_letters::Fact> {
    let count = match p.instalment_count {
        0 => wording::label(Label::UntilSettled, lang),
        n => n.to_string(),
    };
    [
        Some(letters::fact(
            &wording::label(Label::PlanId, lang),
            &p.plan_id,
        )),
        dated_fact(Label::FirstInstalment, p.start_date.as_ref(), lang),
        Some(letters::fact(
            &wording::label(Label::DueDay, lang),
            p.due_day.to_string(),
        )),
        Some(letters::fact(
            &wording::label(Label::InstalmentCount, lang),
            count,
        )),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn plan_figures(p: &pb::PlanNotice, lang: Language) -> Vec<Figure> {
    [
        (Label::SizedDebt, p.sized_debt.as_ref()),
        (Label::SeizableAmount, p.seizable_amount.as_ref()),
        (Label::Instalment, p.instalment_amount.as_ref()),
    ]
    .into_iter()
    .filter_map(|(label, m)| {
        Some(Figure {
            label: wording::label(label, lang),
            amount: money(m)?,
            explanation: wording::plan_explanation(label, lang),
        })
    })
    .collect()
}

fn suspension_facts(s: &pb::SuspensionNotice, lang: Language) -> Vec<secal_letters::Fact> {
    let mut facts: Vec<secal_letters::Fact> = [
        dated_fact(Label::EffectiveFrom, s.effective_from.as_ref(), lang),
        dated_fact(Label::ReviewOn, s.review_on.as_ref(), lang),
    ]
    .into_iter()
    .flatten()
    .collect();
    if s.ended_plans > 0 {
        let label = wording::label(Label::EndedPlans, lang);
        facts.push(letters::fact(&label, s.ended_plans.to_string()));
    }
    facts
}

fn offset_content(
    o: &pb::OffsetNotice,
    kind: LetterKind,
    lang: Language,
) -> (Vec<secal_letters::Fact>, Vec<Figure>) {
    let mut facts = vec![
        letters::fact(&wording::label(Label::RefundId, lang), &o.refund_id),
        letters::fact(
            &wording::label(Label::AssessmentYear, lang),
            o.assessment_year.to_string(),
        ),
    ];
    let dated = match kind {
        LetterKind::PreOffsetNotice => (Label::PlannedOn, o.planned_on.as_ref()),
        _ => (Label::PaidOn, o.paid_on.as_ref()),
    };
    if let Some(d) = date_of(dated.1) {
        let label = wording::label(dated.0, lang);
        facts.push(letters::fact(&label, secal_letters::format_date(d, lang)));
    }
    let before = money(o.debt_before.as_ref());
    let offset = money(o.offset_amount.as_ref());
    let mut lines = vec![
        (Label::RefundAmount, money(o.refund_amount.as_ref())),
        (Label::DebtBefore, before),
        (Label::OffsetAmount, offset),
    ];
    if kind == LetterKind::PostOffsetNotice {
        let after = before.zip(offset).map(|(b, x)| (b - x).max(Decimal::ZERO));
        lines.push((Label::DebtAfter, after));
    }
    (facts, offset_figures(lines, lang))
}

/// An offset letter's figures, each explained; an amount the notice lacks is left out.
fn offset_figures(lines: Vec<(Label, Option<Decimal>)>, lang: Language) -> Vec<Figure> {
    lines
        .into_iter()
        .filter_map(|(label, amount)| {
            Some(Figure {
                label: wording::label(label, lang),
                amount: amount?,
                explanation: wording::offset_explanation(label, lang),
            })
        })
        .collect()
}

/// A cancelled offset's figures: the refund, the part announced and not taken, the debt on
/// the day (unchanged).
fn cancelled_figures(o: &pb::OffsetNotice, lang: Language) -> Vec<Figure> {
    let lines = vec![
        (Label::RefundAmount, money(o.refund_amount.as_ref())),
        (Label::AnnouncedOffset, money(o.offset_amount.as_ref())),
        (Label::DebtNow, money(o.debt_before.as_ref())),
    ];
    offset_figures(lines, lang)
}
