//! The letters payments' steps require (its feed's LETTER_REQUESTED events), issued like the
//! intake steps' letters: to the dossier's party as the registry names them on the issue
//! date, in the dossier's language, the figures payments states worded here.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_letters::{Figure, Language, LetterKind};
use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;

use super::{
    letters::{self, Dispatch, Order},
    recipient::{self, Party},
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
    let Some(pb::letter_request::Content::Offset(offset)) = &request.content else {
        return Err(corrupt(e, "an offset notice without its offset"));
    };
    let (facts, figures) = offset_content(offset, kind, lang);
    let planned = date_of(offset.planned_on.as_ref()).filter(|d| *d > issued_on);
    let order = Order {
        kind,
        party,
        issued_on,
        dispatch,
        facts,
        figures,
        reasons: Vec::new(),
        payment_reference: Some(offset.payment_reference.clone()).filter(|r| !r.is_empty()),
        // The debtor objects before the refund is paid.
        respond_by: (kind == LetterKind::PreOffsetNotice)
            .then_some(planned)
            .flatten(),
        step: if kind == LetterKind::PreOffsetNotice {
            "ProposeTaxRefundOffset"
        } else {
            "ConfirmTaxRefundOffset"
        },
    };
    letters::issue_by(conn, &row, order, by).await?;
    Ok(())
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
    let figures = lines
        .into_iter()
        .filter_map(|(label, amount)| {
            Some(Figure {
                label: wording::label(label, lang),
                amount: amount?,
                explanation: wording::offset_explanation(label, lang),
            })
        })
        .collect();
    (facts, figures)
}
