//! The stored numbers of the contract's enums, named once for SQL text.
//!
//! Tables keep a `secal.v1` enum as its proto number (smallint). Where a query compares or
//! sets one in its text, it names the value with [`sql_enum!`], which expands to a string
//! literal for `concat!`: the statement stays `&'static str` and its text is the one the
//! partial indexes were written against (`WHERE state = 1`, `WHERE status IN (2, 5)`, …), so
//! the planner can still prove a query's predicate implies the index's. The tests below tie
//! every arm to the proto enum, so a renumbering fails them instead of the data.

/// The SQL literal of a stored `secal.v1` enum value: `sql_enum!(TransferState::Posted)` is
/// `"2"`. Only the values a query compares with have an arm: a value a statement writes is
/// bound from the proto enum instead (`pb::X::Y as i16`).
macro_rules! sql_enum {
    (TransferState::Pending) => {
        "1"
    };
    (TransferState::Posted) => {
        "2"
    };
    (LedgerAccountKind::DebtorPrincipal) => {
        "3"
    };
    (LedgerAccountKind::DebtorInterest) => {
        "4"
    };
    (LedgerAccountKind::DebtorSurcharge) => {
        "5"
    };
    (AdvancesRunItemStatus::Paid) => {
        "1"
    };
    (AdvancesRunItemStatus::NotEligible) => {
        "2"
    };
    (AdvancesRunItemStatus::Failed) => {
        "3"
    };
    (PayoutState::Pending) => {
        "1"
    };
    (PayoutState::Returned) => {
        "3"
    };
    (PayoutAccountStatus::Active) => {
        "2"
    };
    (PayoutAccountStatus::Blocked) => {
        "5"
    };
    (StatementLineStatus::Unmatched) => {
        "2"
    };
    (PaymentPlanStatus::Active) => {
        "1"
    };
    (TaxRefundOffsetState::Proposed) => {
        "1"
    };
}
pub(crate) use sql_enum;

/// The debtor's own debt (principal, interest, surcharge): `kind IN (…)` of what a debtor
/// owes, in the form `IN` takes.
macro_rules! debtor_debt_kinds {
    () => {
        concat!(
            "(",
            $crate::db_enum::sql_enum!(LedgerAccountKind::DebtorPrincipal),
            ", ",
            $crate::db_enum::sql_enum!(LedgerAccountKind::DebtorInterest),
            ", ",
            $crate::db_enum::sql_enum!(LedgerAccountKind::DebtorSurcharge),
            ")"
        )
    };
}
pub(crate) use debtor_debt_kinds;

/// The payout accounts in use (active or blocked), as `status IN (…)`; the partial unique
/// index `payout_accounts_one_current` (migration 0006) has this very predicate.
macro_rules! payout_accounts_in_use {
    () => {
        concat!(
            "(",
            $crate::db_enum::sql_enum!(PayoutAccountStatus::Active),
            ", ",
            $crate::db_enum::sql_enum!(PayoutAccountStatus::Blocked),
            ")"
        )
    };
}
pub(crate) use payout_accounts_in_use;

#[cfg(test)]
mod tests {
    use secal_proto::v1 as pb;

    fn n(v: i32) -> String {
        v.to_string()
    }

    #[test]
    fn every_literal_is_the_proto_number() {
        use pb::{
            AdvancesRunItemStatus as Item, LedgerAccountKind as Kind, PaymentPlanStatus as Plan,
            PayoutAccountStatus as Account, PayoutState as Payout, StatementLineStatus as Line,
            TaxRefundOffsetState as Offset, TransferState as T,
        };
        let pairs: [(&str, i32); 15] = [
            (sql_enum!(TransferState::Pending), T::Pending as i32),
            (sql_enum!(TransferState::Posted), T::Posted as i32),
            (
                sql_enum!(LedgerAccountKind::DebtorPrincipal),
                Kind::DebtorPrincipal as i32,
            ),
            (
                sql_enum!(LedgerAccountKind::DebtorInterest),
                Kind::DebtorInterest as i32,
            ),
            (
                sql_enum!(LedgerAccountKind::DebtorSurcharge),
                Kind::DebtorSurcharge as i32,
            ),
            (sql_enum!(AdvancesRunItemStatus::Paid), Item::Paid as i32),
            (
                sql_enum!(AdvancesRunItemStatus::NotEligible),
                Item::NotEligible as i32,
            ),
            (
                sql_enum!(AdvancesRunItemStatus::Failed),
                Item::Failed as i32,
            ),
            (sql_enum!(PayoutState::Pending), Payout::Pending as i32),
            (sql_enum!(PayoutState::Returned), Payout::Returned as i32),
            (
                sql_enum!(PayoutAccountStatus::Active),
                Account::Active as i32,
            ),
            (
                sql_enum!(PayoutAccountStatus::Blocked),
                Account::Blocked as i32,
            ),
            (
                sql_enum!(StatementLineStatus::Unmatched),
                Line::Unmatched as i32,
            ),
            (sql_enum!(PaymentPlanStatus::Active), Plan::Active as i32),
            (
                sql_enum!(TaxRefundOffsetState::Proposed),
                Offset::Proposed as i32,
            ),
        ];
        for (literal, number) in pairs {
            assert_eq!(literal, n(number));
        }
    }

    #[test]
    fn the_lists_are_the_index_predicates() {
        assert_eq!(debtor_debt_kinds!(), "(3, 4, 5)");
        assert_eq!(payout_accounts_in_use!(), "(2, 5)");
    }
}
