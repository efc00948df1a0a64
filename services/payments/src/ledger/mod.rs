//! The double-entry ledger: accounts, immutable transfers, two-phase pending transfers.
//!
//! Account ids are self-describing (`payable/SEC-2024-000001-xx/<creditor>`), so a caller (and
//! the services' own flows) name an account without looking it up; an account opens on its
//! first transfer. Balance invariants live in the database (migration 0003).

pub(crate) mod booking;
pub(crate) mod dossier_events;
pub(crate) mod effect;
mod error;
mod query;
pub(crate) mod rpcs;
mod store;

pub use error::LedgerError;
pub(crate) use query::DOSSIER_TRANSFER_IDS;
pub use query::{
    AccountBalance, account_balance, account_history, dossier_accounts, dossier_history,
};
pub use store::{
    Settle, create_new, create_transfers, create_unreturned, expire_due, settle_pending,
};

use chrono::{DateTime, NaiveDate, Utc};
use secal_proto::v1 as pb;

/// The kinds of accounts (values as in `secal.v1.LedgerAccountKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKind {
    CreditorClaim = 1,
    ServiceAdvanceClaim = 2,
    DebtorPrincipal = 3,
    DebtorInterest = 4,
    DebtorSurcharge = 5,
    MoneyReceived = 6,
    Payable = 7,
    PaidOut = 8,
    AdvancesFunding = 9,
    Bank = 10,
    Suspense = 11,
    FeeIncome = 12,
    TaxOffsetClearing = 13,
    DebtorTimeBarred = 14,
}

/// Where an account lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Service,
    Dossier,
    DossierParty,
}

const KINDS: [(AccountKind, &str); 14] = [
    (AccountKind::CreditorClaim, "creditor-claim"),
    (AccountKind::ServiceAdvanceClaim, "service-advance-claim"),
    (AccountKind::DebtorPrincipal, "debtor-principal"),
    (AccountKind::DebtorInterest, "debtor-interest"),
    (AccountKind::DebtorSurcharge, "debtor-surcharge"),
    (AccountKind::MoneyReceived, "money-received"),
    (AccountKind::Payable, "payable"),
    (AccountKind::PaidOut, "paid-out"),
    (AccountKind::AdvancesFunding, "advances-funding"),
    (AccountKind::Bank, "bank"),
    (AccountKind::Suspense, "suspense"),
    (AccountKind::FeeIncome, "fee-income"),
    (AccountKind::TaxOffsetClearing, "tax-offset-clearing"),
    (AccountKind::DebtorTimeBarred, "debtor-time-barred"),
];

impl AccountKind {
    pub fn slug(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("", |(_, s)| s)
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        KINDS.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }

    pub fn from_i16(v: i16) -> Option<Self> {
        KINDS
            .get(usize::try_from(v).ok()?.checked_sub(1)?)
            .map(|(k, _)| *k)
    }

    pub fn scope(self) -> Scope {
        use AccountKind::*;
        match self {
            CreditorClaim | ServiceAdvanceClaim | Payable | PaidOut | DebtorTimeBarred => {
                Scope::DossierParty
            }
            DebtorPrincipal | DebtorInterest | DebtorSurcharge | MoneyReceived => Scope::Dossier,
            AdvancesFunding | Bank | Suspense | FeeIncome | TaxOffsetClearing => Scope::Service,
        }
    }

    /// Debit-normal accounts (what is owed to SECAL, money SECAL holds or spent); the others
    /// are credit-normal.
    pub fn debit_normal(self) -> bool {
        use AccountKind::*;
        matches!(
            self,
            DebtorPrincipal
                | DebtorInterest
                | DebtorSurcharge
                | DebtorTimeBarred
                | AdvancesFunding
                | Bank
                | TaxOffsetClearing
        )
    }

    /// The balance rule the database enforces (`secal.v1.BalanceConstraint`): a debt is never
    /// paid beyond what is owed, a claim never settled beyond itself, money never allocated or
    /// paid out beyond what was received or is payable.
    pub fn balance_rule(self) -> i16 {
        use AccountKind::*;
        match self {
            CreditorClaim | ServiceAdvanceClaim | MoneyReceived | Payable => 2,
            DebtorPrincipal | DebtorInterest | DebtorSurcharge | DebtorTimeBarred => 3,
            PaidOut | AdvancesFunding | Bank | Suspense | FeeIncome | TaxOffsetClearing => 1,
        }
    }
}

/// One account, by what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey {
    pub kind: AccountKind,
    pub dossier: Option<String>,
    pub party: Option<String>,
}

impl AccountKey {
    pub fn service(kind: AccountKind) -> Self {
        Self {
            kind,
            dossier: None,
            party: None,
        }
    }

    pub fn dossier(kind: AccountKind, dossier: &str) -> Self {
        Self {
            kind,
            dossier: Some(dossier.to_owned()),
            party: None,
        }
    }

    pub fn party(kind: AccountKind, dossier: &str, party: &str) -> Self {
        Self {
            kind,
            dossier: Some(dossier.to_owned()),
            party: Some(party.to_owned()),
        }
    }

    pub fn code(&self) -> String {
        let mut s = self.kind.slug().to_owned();
        for part in [&self.dossier, &self.party].into_iter().flatten() {
            s.push('/');
            s.push_str(part);
        }
        s
    }

    /// Parses a public account id; the dossier number must be valid, a party id non-empty.
    pub fn parse(code: &str) -> Result<Self, String> {
        let mut parts = code.trim().split('/');
        let kind = parts
            .next()
            .and_then(AccountKind::from_slug)
            .ok_or("unknown account kind (e.g. payable/<dossier>/<creditor>, bank)")?;
        let dossier = parts.next().map(str::to_owned);
        let party = parts.next().map(str::to_owned);
        if parts.next().is_some() {
            return Err("too many parts".into());
        }
        if let Some(d) = &dossier {
            d.parse::<secal_domain::DossierNumber>()
                .map_err(|e| e.to_string())?;
        }
        if party
            .as_deref()
            .is_some_and(|p| p.is_empty() || p.len() > 64)
        {
            return Err("the party id must be 1 to 64 characters".into());
        }
        let shape_ok = match kind.scope() {
            Scope::Service => dossier.is_none(),
            Scope::Dossier => dossier.is_some() && party.is_none(),
            Scope::DossierParty => dossier.is_some() && party.is_some(),
        };
        if !shape_ok {
            return Err(format!(
                "a {} account is written {}",
                kind.slug(),
                match kind.scope() {
                    Scope::Service => "<kind>",
                    Scope::Dossier => "<kind>/<dossier>",
                    Scope::DossierParty => "<kind>/<dossier>/<party>",
                }
            ));
        }
        Ok(Self {
            kind,
            dossier,
            party,
        })
    }
}

/// Transfer state (`secal.v1.TransferState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending = 1,
    Posted = 2,
    Voided = 3,
    Expired = 4,
}

/// A transfer to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransfer {
    pub id: String,
    pub debit: AccountKey,
    pub credit: AccountKey,
    pub cents: i64,
    /// `secal.v1.TransferCode`.
    pub code: pb::TransferCode,
    pub value_date: NaiveDate,
    /// Pending with this timeout in seconds; `None`: posted at once.
    pub pending_timeout_secs: Option<i64>,
    pub corrects: Option<String>,
    pub for_month: Option<NaiveDate>,
    pub reference: String,
    pub description: String,
}

impl NewTransfer {
    /// A posted transfer; adjust the other fields with struct update syntax.
    pub fn posted(
        id: impl Into<String>,
        debit: AccountKey,
        credit: AccountKey,
        cents: i64,
        code: pb::TransferCode,
        value_date: NaiveDate,
    ) -> Self {
        Self {
            id: id.into(),
            debit,
            credit,
            cents,
            code,
            value_date,
            pending_timeout_secs: None,
            corrects: None,
            for_month: None,
            reference: String::new(),
            description: String::new(),
        }
    }

    fn dossier(&self) -> Option<&str> {
        self.debit
            .dossier
            .as_deref()
            .or(self.credit.dossier.as_deref())
    }
}

/// A transfer as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Transfer {
    pub id: i64,
    pub transfer_id: String,
    pub debit_code: String,
    pub credit_code: String,
    pub amount: i64,
    pub code: i16,
    pub value_date: NaiveDate,
    pub state: i16,
    pub pending_transfer_id: Option<String>,
    pub linked_group: uuid::Uuid,
    pub expires_at: Option<DateTime<Utc>>,
    pub corrects_transfer_id: Option<String>,
    pub for_month: Option<NaiveDate>,
    pub reference: String,
    pub description: String,
    pub dossier_number: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl Transfer {
    /// Whether `spec` asks for exactly this transfer (a retry).
    fn same_as(&self, spec: &NewTransfer) -> bool {
        self.debit_code == spec.debit.code()
            && self.credit_code == spec.credit.code()
            && self.amount == spec.cents
            && self.code == spec.code as i16
            && self.value_date == spec.value_date
            && (self.state == State::Pending as i16) == spec.pending_timeout_secs.is_some()
            && self.corrects_transfer_id == spec.corrects
            && self.for_month == spec.for_month
            && self.reference == spec.reference
            && self.description == spec.description
    }

    pub fn to_pb(&self, running_balance: Option<i64>) -> pb::LedgerTransfer {
        pb::LedgerTransfer {
            transfer_id: self.transfer_id.clone(),
            debit_account_id: self.debit_code.clone(),
            credit_account_id: self.credit_code.clone(),
            amount: Some(cents_pb(self.amount)),
            code: i32::from(self.code),
            value_date: Some(secal_runtime::wire::date_to_pb(self.value_date)),
            state: i32::from(self.state),
            pending_transfer_id: self.pending_transfer_id.clone().unwrap_or_default(),
            linked_group_id: self.linked_group.to_string(),
            expires_at: self
                .expires_at
                .map(secal_runtime::wire::timestamp)
                .unwrap_or_default(),
            corrects_transfer_id: self.corrects_transfer_id.clone().unwrap_or_default(),
            reference: self.reference.clone(),
            description: self.description.clone(),
            dossier_number: self.dossier_number.clone().unwrap_or_default(),
            recorded: Some(pb::AuditStamp {
                actor: self.recorded_by.clone(),
                at: secal_runtime::wire::timestamp(self.recorded_at),
                via: String::new(),
            }),
            running_balance: running_balance.map(cents_pb),
            for_month: self.for_month.map(month_pb),
        }
    }
}

pub fn month_pb(d: NaiveDate) -> pb::YearMonth {
    use chrono::Datelike;
    pb::YearMonth {
        year: d.year(),
        month: i32::try_from(d.month()).unwrap_or_default(),
    }
}

pub fn cents_pb(cents: i64) -> pb::Money {
    secal_runtime::wire::money_to_pb(secal_domain::Money::from_cents(cents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_round_trip_and_reject_wrong_shapes() {
        let dossier = secal_domain::DossierNumber::new(2024, 1).map(|d| d.to_string());
        let key = AccountKey::party(AccountKind::Payable, &dossier.unwrap_or_default(), "c-1");
        assert_eq!(AccountKey::parse(&key.code()), Ok(key.clone()));
        assert_eq!(
            AccountKey::parse("bank"),
            Ok(AccountKey::service(AccountKind::Bank))
        );
        assert!(AccountKey::parse("payable").is_err());
        assert!(AccountKey::parse("nonsense/x").is_err());
        for v in 1..=14 {
            let kind = AccountKind::from_i16(v).map(|k| k as i16);
            assert_eq!(kind, Some(v));
        }
    }
}
