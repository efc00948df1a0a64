//! Issuing a letter: the recipient and language resolved on the issue date, the PDF rendered
//! from the versioned template (`secal-letters`), and the whole stored immutably in the
//! transaction of the step that issues it. No other module writes `letters` or
//! `letter_deliveries`.

use chrono::NaiveDate;
use secal_letters::{Channel, Fact, Figure, LetterInput, LetterKind};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sha2::Digest;
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::{
    recipient::{self, Party},
    tasks::Stamp,
};
use crate::store::{self, DossierRow};

/// How a step's letter is sent, as the request gives it once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dispatch {
    RegisteredPost { tracking_number: String },
    Post,
    EBox,
    Email,
}

impl Dispatch {
    fn db(&self) -> &'static str {
        match self {
            Dispatch::RegisteredPost { .. } => "REGISTERED_POST",
            Dispatch::Post => "POST",
            Dispatch::EBox => "EBOX",
            Dispatch::Email => "EMAIL",
        }
    }

    fn tracking_number(&self) -> Option<&str> {
        match self {
            Dispatch::RegisteredPost { tracking_number } => Some(tracking_number),
            _ => None,
        }
    }

    fn channel(&self) -> Channel {
        match self {
            Dispatch::RegisteredPost { tracking_number } => Channel::RegisteredPost {
                tracking_number: tracking_number.clone(),
            },
            Dispatch::Post => Channel::Post,
            Dispatch::EBox => Channel::EBox,
            Dispatch::Email => Channel::Email,
        }
    }

    /// The one parser of a step's `dispatch`: absent is ordinary post; registered post needs
    /// the post's tracking number, and only registered post has one.
    pub(crate) fn parse(
        v: &mut Violations,
        field: &str,
        d: Option<&pb::LetterDispatch>,
    ) -> Option<Self> {
        let Some(d) = d else {
            return Some(Dispatch::Post);
        };
        let channel = v.take(wire::optional_enum::<pb::LetterChannel>(
            &format!("{field}.channel"),
            d.channel,
        ))?;
        let tracking_field = format!("{field}.tracking_number");
        let tracking = v.take(wire::optional_text(
            &tracking_field,
            &d.tracking_number,
            wire::ID,
        ))?;
        use pb::LetterChannel as C;
        match (channel.unwrap_or(C::Post), tracking) {
            (C::RegisteredPost, Some(t)) => Some(Dispatch::RegisteredPost { tracking_number: t }),
            (C::RegisteredPost, None) => {
                v.add(
                    tracking_field,
                    "REQUIRED: registered post has a tracking number",
                );
                None
            }
            (_, Some(_)) => {
                v.add(tracking_field, "only registered post has a tracking number");
                None
            }
            (C::Ebox, None) => Some(Dispatch::EBox),
            (C::Email, None) => Some(Dispatch::Email),
            (C::Post | C::Unspecified, None) => Some(Dispatch::Post),
        }
    }
}

/// A letter a step issues: what it says, to whom, how it is sent.
pub(crate) struct Order {
    pub kind: LetterKind,
    pub party: Party,
    pub issued_on: NaiveDate,
    pub dispatch: Dispatch,
    pub facts: Vec<Fact>,
    pub figures: Vec<Figure>,
    pub reasons: Vec<String>,
    pub payment_reference: Option<String>,
    pub respond_by: Option<NaiveDate>,
    /// The step that issues it.
    pub step: &'static str,
}

/// The stored letter's ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Issued {
    pub id: i64,
    pub public_id: Uuid,
}

pub(crate) fn kind_db(kind: LetterKind) -> ServiceResult<&'static str> {
    Ok(match kind {
        LetterKind::DebtorNotice => "DEBTOR_NOTICE",
        LetterKind::DecisionAccepted => "DECISION_ACCEPTED",
        LetterKind::DecisionRefused => "DECISION_REFUSED",
        LetterKind::MandateProposal => "MANDATE_PROPOSAL",
        LetterKind::PreOffsetNotice => "PRE_OFFSET_NOTICE",
        LetterKind::PostOffsetNotice => "POST_OFFSET_NOTICE",
        LetterKind::PaymentPlan => "PAYMENT_PLAN",
        LetterKind::Suspension => "SUSPENSION",
        LetterKind::DebtorStatement => "DEBTOR_STATEMENT",
        LetterKind::CreditorStatement => "CREDITOR_STATEMENT",
        LetterKind::AdvancesGranted => "ADVANCES_GRANTED",
        LetterKind::AdvancesEnded => "ADVANCES_ENDED",
        LetterKind::PaymentPlanBreach => "PAYMENT_PLAN_BREACH",
        LetterKind::YearlyStatement => "YEARLY_STATEMENT",
        LetterKind::OffsetCancelled => "OFFSET_CANCELLED",
    })
}

/// Renders and stores a step's letter, in the step's transaction.
#[tracing::instrument(skip_all, fields(kind = ?order.kind))]
pub(crate) async fn issue(
    conn: &mut PgConnection,
    row: &DossierRow,
    order: Order,
    caller: &Caller,
) -> ServiceResult<Issued> {
    issue_by(conn, row, order, caller.into()).await
}

/// [`issue`], for whoever a feed event names.
pub(crate) async fn issue_by(
    conn: &mut PgConnection,
    row: &DossierRow,
    order: Order,
    by: Stamp<'_>,
) -> ServiceResult<Issued> {
    let form = store::current_form(conn, row.id).await?;
    let to = recipient::resolve(conn, row, &form, order.party, order.issued_on).await?;
    if order.dispatch == Dispatch::Email && email_of(&form, order.party).is_none() {
        return Err(ServiceError::failed_precondition(
            "NO_EMAIL_ADDRESS",
            "the application form gives no e-mail address for this recipient",
        ));
    }
    let reference = row.application_id.to_string();
    let input = LetterInput {
        kind: order.kind,
        language: recipient::language(&form),
        issued_on: order.issued_on,
        recipient: secal_letters::Recipient {
            name: to.name.clone(),
            address_lines: to.address_lines.clone(),
        },
        dossier_number: row.dossier_number.clone().unwrap_or_default(),
        reference,
        payment_reference: order.payment_reference,
        respond_by: order.respond_by,
        channel: order.dispatch.channel(),
        facts: order.facts,
        figures: order.figures,
        reasons: order.reasons,
    };
    let rendered = secal_letters::render(&input)
        .map_err(|e| ServiceError::internal(format!("letter not rendered: {e}")))?;
    let digest = sha2::Sha256::digest(&rendered.pdf).to_vec();
    let json = serde_json::to_value(&input).map_err(ServiceError::internal)?;
    let public_id = Uuid::new_v4();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO letters (public_id, dossier_id, kind, language, issued_on,
                              recipient_person_id, recipient_role, recipient_name,
                              recipient_address, address_source, channel, tracking_number,
                              template_version, rendered_from, pdf, sha256, issued_by_step,
                              issued_by, issued_via)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19)
         RETURNING id",
    )
    .bind(public_id)
    .bind(row.id)
    .bind(kind_db(input.kind)?)
    .bind(input.language.code())
    .bind(input.issued_on)
    .bind(to.person_id)
    .bind(to.party.db())
    .bind(&to.name)
    .bind(&to.address_lines)
    .bind(&to.address_source)
    .bind(order.dispatch.db())
    .bind(order.dispatch.tracking_number())
    .bind(&rendered.template_version)
    .bind(Json(json))
    .bind(&rendered.pdf)
    .bind(digest)
    .bind(order.step)
    .bind(by.actor)
    .bind(by.via)
    .fetch_one(&mut *conn)
    .await?;
    let note = format!(
        "letter {} ({}) to the {} by {}",
        kind_db(input.kind)?,
        rendered.template_version,
        to.party.db().to_lowercase(),
        order.dispatch.db().to_lowercase().replace('_', " ")
    );
    let entry =
        store::Entry::other_by(by.actor, by.via, pb::DossierHistoryKind::LetterIssued, note);
    store::append_history(conn, row.id, entry).await?;
    Ok(Issued { id, public_id })
}

fn email_of(form: &pb::ApplicationForm, party: Party) -> Option<&str> {
    match party {
        Party::Applicant => form
            .applicant
            .as_ref()
            .map(|a| a.email.trim())
            .filter(|e| !e.is_empty()),
        Party::Debtor => None,
    }
}

/// A fact line of a letter.
pub(crate) fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.to_owned(),
        value: value.into(),
    }
}
