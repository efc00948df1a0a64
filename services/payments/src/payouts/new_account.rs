//! A payout account before it is stored: the checks every account passes, whether an agent
//! types it in or it comes with intake's dossier event, and the holder rule (DOMAIN.md,
//! frame 5): money goes only to an account in the applicant's name, alone or jointly, or in
//! the name of the lawyer the applicant authorised.

use secal_domain::Iban;
use secal_proto::v1 as pb;
use secal_rules::payout_holder::{self, Holding, Refusal};
use secal_runtime::{ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use tonic_prost::prost::Message;

use super::accounts::{ACTIVE, AccountRow, BLOCKED, PENDING, awaiting_second_agent};
use super::{own_iban, store};
use crate::casework;

/// A required one-line text of at most 140 characters (pain.001's Max140Text), read by the
/// one text parser: a NUL or a line break is refused naming the field, never stored.
pub(super) fn required(field: &str, v: &str) -> ServiceResult<String> {
    const TEXT: wire::TextLimit = wire::TextLimit {
        max_chars: 140,
        multiline: false,
    };
    wire::required_text(field, v, TEXT).map_err(|e| ServiceError::invalid(vec![e]))
}

/// An account that passed [`check`]; the holder rule needs the dossier (see [`refusal`]).
pub(super) struct NewAccount {
    pub iban: Iban,
    pub bic: String,
    pub holder: String,
    pub bank_name: String,
    pub holding: pb::AccountHolding,
    pub lawyer: pb::LawyerAuthorisation,
}

/// The checks of an account on its own; errors name the offending field.
pub(super) fn check(
    account: Option<&pb::BankAccount>,
    holding: i32,
    lawyer: Option<&pb::LawyerAuthorisation>,
) -> ServiceResult<NewAccount> {
    let mut v = Violations::new();
    let account = read(account, holding, lawyer, &mut v);
    v.finish(|| account)
}

/// The same, every violation collected into `v` (the caller's request may have more).
pub(super) fn read(
    account: Option<&pb::BankAccount>,
    holding: i32,
    lawyer: Option<&pb::LawyerAuthorisation>,
    v: &mut Violations,
) -> Option<NewAccount> {
    let parts = match account {
        None => {
            v.add("account", "required");
            None
        }
        Some(account) => bank_account(account, v),
    };
    let holding = match pb::AccountHolding::try_from(holding) {
        Ok(
            h @ (pb::AccountHolding::Sole | pb::AccountHolding::Joint | pb::AccountHolding::Lawyer),
        ) => Some(h),
        _ => {
            v.add("holding", "sole, joint or lawyer");
            None
        }
    };
    match (holding, lawyer) {
        (Some(pb::AccountHolding::Lawyer), None) => {
            // One missing authorisation is one violation, named by its first required part.
            v.add("lawyer_authorisation.lawyer_name", REQUIRED);
        }
        (Some(pb::AccountHolding::Lawyer), Some(l)) => {
            v.take_all(required("lawyer_authorisation.lawyer_name", &l.lawyer_name));
            v.take_all(required(
                "lawyer_authorisation.document_key",
                &l.document_key,
            ));
        }
        (Some(_), Some(_)) => v.add("lawyer_authorisation", "only with a lawyer's account"),
        // No holding (already named): nothing to check the authorisation against.
        (Some(_), None) | (None, _) => {}
    }
    let (iban, bic, holder, bank_name) = parts?;
    Some(NewAccount {
        iban,
        bic,
        holder,
        bank_name,
        holding: holding?,
        // Optional by the contract: only a lawyer's account has an authorisation (checked
        // above), the others keep an empty one.
        lawyer: lawyer.cloned().unwrap_or_default(),
    })
}

const REQUIRED: &str = "1 to 140 characters required";

/// The bank account's IBAN, BIC, holder and bank name, each violation collected.
fn bank_account(
    account: &pb::BankAccount,
    v: &mut Violations,
) -> Option<(Iban, String, String, String)> {
    let iban = match account.iban.as_ref().map(|i| i.value.parse::<Iban>()) {
        None => {
            v.add("account.iban", "required");
            None
        }
        Some(Err(_)) => {
            v.add("account.iban", "not a valid IBAN");
            None
        }
        Some(Ok(iban)) => Some(iban),
    };
    let bic = account.bic.trim().to_uppercase();
    if !bic.is_empty() && bic.parse::<secal_iso20022::Bic>().is_err() {
        v.add("account.bic", "not a valid BIC");
    }
    let holder = v.take_all(required("account.holder_name", &account.holder_name));
    // The pain.001 creditor name holds 70 characters once transliterated: a longer one
    // would fail every batch it is in.
    let holder = holder.and_then(|holder| {
        if secal_iso20022::to_sepa_text(&holder).chars().count() > 70 {
            v.add(
                "account.holder_name",
                "at most 70 characters as the bank will show it (accents transliterated)",
            );
            return None;
        }
        Some(holder)
    });
    let bank_name = v
        .take(wire::optional_text(
            "account.bank_name",
            &account.bank_name,
            wire::LINE,
        ))
        .flatten()
        .unwrap_or_default();
    Some((iban?, bic, holder?, bank_name))
}

/// Why an account held by `holder` may not be paid to for `applicant` (family name); `None`
/// when it may.
pub(super) fn refusal(
    holder: &str,
    holding: pb::AccountHolding,
    lawyer_name: &str,
    applicant: &str,
) -> Option<&'static str> {
    let holding = match holding {
        pb::AccountHolding::Lawyer => Holding::Lawyer,
        pb::AccountHolding::Joint => Holding::Joint,
        // A new account's holding is checked by [`read`], a stored one by [`stored_holding`].
        pb::AccountHolding::Sole | pb::AccountHolding::Unspecified => Holding::Sole,
    };
    payout_holder::refusal(holder, holding, lawyer_name, applicant).map(Refusal::reason)
}

/// A stored account's holding; anything but sole, joint or lawyer is corrupt data.
fn stored_holding(account: &AccountRow) -> ServiceResult<pb::AccountHolding> {
    match pb::AccountHolding::try_from(i32::from(account.holding)) {
        Ok(
            h @ (pb::AccountHolding::Sole | pb::AccountHolding::Joint | pb::AccountHolding::Lawyer),
        ) => Ok(h),
        _ => Err(ServiceError::internal(std::io::Error::other(format!(
            "payout account {}: stored holding {} is not sole, joint or lawyer",
            account.id, account.holding
        )))),
    }
}

/// The applicant's family name in the dossier's last snapshot from intake; `None` when
/// payments has never heard of the dossier.
pub(super) async fn applicant_family_name(
    conn: &mut PgConnection,
    dossier: &str,
) -> ServiceResult<Option<String>> {
    let snapshot: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT snapshot FROM dossier_states WHERE dossier_number = $1")
            .bind(dossier)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(bytes) = snapshot else {
        return Ok(None);
    };
    let s = pb::DossierSnapshot::decode(bytes.as_slice()).map_err(ServiceError::internal)?;
    // No applicant in the snapshot yet: an empty name, which no holder matches (the holder
    // rule refuses then, it never lets money through).
    Ok(Some(s.applicant.map(|a| a.family_name).unwrap_or_default()))
}

/// Whether `account` may still be paid to: the applicant named in the dossier's latest
/// snapshot may have changed since the account was confirmed.
pub(super) async fn holder_allowed(
    conn: &mut PgConnection,
    account: &AccountRow,
) -> ServiceResult<bool> {
    // A dossier payments never heard of: an empty name, which no holder matches.
    let applicant = applicant_family_name(conn, &account.dossier_number)
        .await?
        .unwrap_or_default();
    Ok(refusal(
        &account.holder_name,
        stored_holding(account)?,
        &account.lawyer_name,
        &applicant,
    )
    .is_none())
}

/// Why the service's own account is never a payout account: a payout to it would leave the
/// payable account as paid out while the money never left the service.
pub(super) const OWN_ACCOUNT: &str = "the service's own account: payouts go to a creditor";

impl NewAccount {
    /// The account is the service's own (the pain.001 debtor account).
    pub(super) fn is_own(&self) -> ServiceResult<bool> {
        Ok(self.iban == own_iban()?)
    }

    pub(super) fn refusal(&self, applicant: &str) -> Option<&'static str> {
        let lawyer = self.lawyer.lawyer_name.trim();
        refusal(&self.holder, self.holding, lawyer, applicant)
    }

    /// The dossier already has this account awaiting confirmation, in use or blocked.
    async fn known(&self, conn: &mut PgConnection, dossier: &str) -> ServiceResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM payout_accounts WHERE dossier_number = $1 AND iban = $2 \
             AND holder_name = $3 AND holding = $4 AND status IN ($5, $6, $7))",
        )
        .bind(dossier)
        .bind(self.iban.electronic())
        .bind(&self.holder)
        .bind(self.holding as i16)
        .bind(PENDING)
        .bind(ACTIVE)
        .bind(BLOCKED)
        .fetch_one(conn)
        .await?)
    }
}

/// The account the applicant gave intake (frame 5), proposed for confirmation when a dossier
/// event brings one payments does not hold: it is not paid to until an agent confirms it, as
/// for any change. An account intake could not have accepted is not proposed; the event is
/// still applied. Returns the case work of the account proposed, if one was, for the caller
/// to write once its other writes are done (`casework::write`).
pub(crate) async fn propose_from_intake(
    conn: &mut PgConnection,
    dossier: &str,
    snapshot: &pb::DossierSnapshot,
    source: &str,
    requested_by: &str,
) -> ServiceResult<Option<casework::Event>> {
    let Some(frame) = &snapshot.payout else {
        return Ok(None);
    };
    let applicant = snapshot.applicant.as_ref();
    // No applicant: an empty name, which no holder matches (nothing is proposed).
    let applicant = applicant.map(|a| a.family_name.as_str()).unwrap_or("");
    let checked = check(
        frame.account.as_ref(),
        frame.holding,
        frame.lawyer_authorisation.as_ref(),
    );
    let account = match checked {
        Ok(a) if a.refusal(applicant).is_none() => a,
        _ => {
            tracing::warn!("the payout account in intake's event is not usable: not proposed");
            return Ok(None);
        }
    };
    if account.is_own()? {
        tracing::warn!("the payout account in intake's event is the service's own: not proposed");
        return Ok(None);
    }
    if account.known(conn, dossier).await? {
        return Ok(None);
    }
    let row = store::insert_pending_account(conn, &account, dossier, source, requested_by).await?;
    let opening = awaiting_second_agent(&row, "The payout account given at intake");
    Ok(Some(casework::Event::Opened(opening)))
}
