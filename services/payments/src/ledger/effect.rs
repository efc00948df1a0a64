//! What a ledger transfer does to a dossier's debt: the one reading of a transfer's code, its
//! two account kinds and whether it names a month, which every reader of the debt maps to its
//! own figures — the open debts an allocation pays (`booking::open_debts`), the figures the
//! claim account booked (`claims::booked`), the statements' columns (`claims::statements`) and
//! the month's open part the advances run pays on (`advances::dues`, in SQL, tied to this by a
//! test). Before, each had its own match over the same conventions, kept in step by tests only.
//!
//! The conventions read here are `booking`'s (the module header): a booking credits the
//! creditor's claim or debits a debtor account, and a `CORRECTION` is the transfer it adjusts
//! with its two accounts swapped.

use secal_proto::v1::TransferCode;

use super::AccountKind as K;

/// Which of a transfer's two accounts is the creditor's (names the party it concerns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Debit,
    Credit,
}

impl Side {
    /// The one of a transfer's two values (its accounts' parties) on this side.
    pub(crate) fn pick<T>(self, debit: T, credit: T) -> T {
        match self {
            Side::Debit => debit,
            Side::Credit => credit,
        }
    }
}

/// Whether a transfer books a figure or a correction takes (part of) one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Booked,
    Reversed,
}

impl Sign {
    /// The factor a reader adds the transfer's amount with.
    pub(crate) fn factor(self) -> i64 {
        match self {
            Sign::Booked => 1,
            Sign::Reversed => -1,
        }
    }
}

/// What a transfer does to the debt; `creditor` is the side whose account names the creditor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// The debtor owes the creditor the month (`DEBT_RECOGNITION` onto the creditor's claim),
    /// or a correction lowers it.
    Due { creditor: Side, sign: Sign },
    /// SECAL advanced the month and stepped into the creditor's claim (`ADVANCE` off the
    /// claim; the other leg, funding -> payable, is no debt).
    Advanced { creditor: Side },
    /// The debtor's money paid SECAL back its advance (`ALLOCATION` off the service-advance
    /// claim).
    Recovered { creditor: Side },
    /// The creditor's share of the debtor's money (`ALLOCATION` off the creditor's claim, to
    /// payable or to the fee kept from it): a month's maintenance when it names the month,
    /// else interest (`booking::allocation_transfers` gives interest lines no month).
    PaidToCreditor { creditor: Side, month: bool },
    /// Interest owed to the creditor (`INTEREST` onto the claim), or a correction lowering it.
    Interest { creditor: Side, sign: Sign },
    /// SECAL's fee charged to the debtor (`SURCHARGE` off the debtor's surcharge), or a
    /// correction lowering it. The fee is SECAL's: it names no creditor.
    Fee { sign: Sign },
    /// The debtor's money paid the fee (`ALLOCATION` onto the debtor's surcharge).
    FeePaid,
    /// Part of a month moved off the enforceable principal (`WRITE_OFF` to the time-barred
    /// account), or a correction bringing it back.
    TimeBarred { creditor: Side, sign: Sign },
    /// Nothing a reader of the debt counts: receipts, the debtor's side of an allocation,
    /// payouts, SECAL's own funding.
    None,
}

impl Effect {
    /// The side whose account names the creditor; `None` for the fee and what is no debt.
    pub(crate) fn creditor(self) -> Option<Side> {
        match self {
            Effect::Due { creditor, .. }
            | Effect::Advanced { creditor }
            | Effect::Recovered { creditor }
            | Effect::PaidToCreditor { creditor, .. }
            | Effect::Interest { creditor, .. }
            | Effect::TimeBarred { creditor, .. } => Some(creditor),
            Effect::Fee { .. } | Effect::FeePaid | Effect::None => None,
        }
    }

    /// The creditor a transfer concerns, from its accounts' parties.
    pub(crate) fn party<'a>(
        self,
        debit: &'a Option<String>,
        credit: &'a Option<String>,
    ) -> Option<&'a str> {
        self.creditor()
            .and_then(|side| side.pick(debit, credit).as_deref())
    }
}

/// What a transfer of `code` from a `debit` account to a `credit` account does to the debt;
/// `for_month`: the transfer names the month it is for.
pub(crate) fn classify(code: TransferCode, debit: K, credit: K, for_month: bool) -> Effect {
    use Side::{Credit, Debit};
    use Sign::Booked;
    match code {
        TransferCode::DebtRecognition if credit == K::CreditorClaim => Effect::Due {
            creditor: Credit,
            sign: Booked,
        },
        TransferCode::Advance if debit == K::CreditorClaim => Effect::Advanced { creditor: Debit },
        TransferCode::Allocation => allocation(debit, credit, for_month),
        TransferCode::Interest if credit == K::CreditorClaim => Effect::Interest {
            creditor: Credit,
            sign: Booked,
        },
        TransferCode::Surcharge if debit == K::DebtorSurcharge => Effect::Fee { sign: Booked },
        TransferCode::WriteOff if debit == K::DebtorTimeBarred => Effect::TimeBarred {
            creditor: Debit,
            sign: Booked,
        },
        TransferCode::Correction => correction(debit, credit),
        _ => Effect::None,
    }
}

/// [`classify`] of a transfer as the database stores its accounts' kinds (`None` for a kind
/// this build does not know, which the table's check rules out).
pub(crate) fn classify_stored(
    code: TransferCode,
    debit_kind: i16,
    credit_kind: i16,
    for_month: bool,
) -> Effect {
    match (K::from_i16(debit_kind), K::from_i16(credit_kind)) {
        (Some(debit), Some(credit)) => classify(code, debit, credit, for_month),
        _ => Effect::None,
    }
}

/// An allocation line's legs (`booking::allocation_transfers`): the debtor's (money received
/// -> a debt account) is none but for the fee, whose account names no creditor; SECAL's
/// share and the creditor's share come off their claims.
fn allocation(debit: K, credit: K, for_month: bool) -> Effect {
    match (debit, credit) {
        (K::ServiceAdvanceClaim, _) => Effect::Recovered {
            creditor: Side::Debit,
        },
        (K::CreditorClaim, _) => Effect::PaidToCreditor {
            creditor: Side::Debit,
            month: for_month,
        },
        (_, K::DebtorSurcharge) => Effect::FeePaid,
        _ => Effect::None,
    }
}

/// A correction reverses a debt recognition (claim -> principal), an interest booking
/// (claim -> interest), a fee (fee income -> surcharge) or a write-off (principal ->
/// time-barred): the booking's accounts swapped, so the creditor is on the other side.
fn correction(debit: K, credit: K) -> Effect {
    use Side::{Credit, Debit};
    use Sign::Reversed;
    match (debit, credit) {
        (K::CreditorClaim, K::DebtorPrincipal) => Effect::Due {
            creditor: Debit,
            sign: Reversed,
        },
        (K::CreditorClaim, K::DebtorInterest) => Effect::Interest {
            creditor: Debit,
            sign: Reversed,
        },
        (K::FeeIncome, K::DebtorSurcharge) => Effect::Fee { sign: Reversed },
        (K::DebtorPrincipal, K::DebtorTimeBarred) => Effect::TimeBarred {
            creditor: Credit,
            sign: Reversed,
        },
        _ => Effect::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Side::{Credit, Debit};
    use Sign::{Booked, Reversed};
    use TransferCode as T;

    fn all_kinds() -> impl Iterator<Item = K> {
        (1..=14).filter_map(K::from_i16)
    }

    fn all_codes() -> impl Iterator<Item = T> {
        (0..=12).filter_map(|c| T::try_from(c).ok())
    }

    #[test]
    fn bookings_of_the_claim_account() {
        assert_eq!(
            classify(
                T::DebtRecognition,
                K::DebtorPrincipal,
                K::CreditorClaim,
                true
            ),
            Effect::Due {
                creditor: Credit,
                sign: Booked
            }
        );
        assert_eq!(
            classify(T::Interest, K::DebtorInterest, K::CreditorClaim, false),
            Effect::Interest {
                creditor: Credit,
                sign: Booked
            }
        );
        assert_eq!(
            classify(T::Surcharge, K::DebtorSurcharge, K::FeeIncome, true),
            Effect::Fee { sign: Booked }
        );
        assert_eq!(
            classify(T::WriteOff, K::DebtorTimeBarred, K::DebtorPrincipal, true),
            Effect::TimeBarred {
                creditor: Debit,
                sign: Booked
            }
        );
    }

    #[test]
    fn corrections_reverse_each_booking_with_the_creditor_on_the_other_side() {
        let bookings = [
            (T::DebtRecognition, K::DebtorPrincipal, K::CreditorClaim),
            (T::Interest, K::DebtorInterest, K::CreditorClaim),
            (T::Surcharge, K::DebtorSurcharge, K::FeeIncome),
            (T::WriteOff, K::DebtorTimeBarred, K::DebtorPrincipal),
        ];
        for (code, debit, credit) in bookings {
            let booked = classify(code, debit, credit, true);
            let reversed = classify(T::Correction, credit, debit, true);
            let expected = match booked {
                Effect::Due { creditor, .. } => Effect::Due {
                    creditor: flip(creditor),
                    sign: Reversed,
                },
                Effect::Interest { creditor, .. } => Effect::Interest {
                    creditor: flip(creditor),
                    sign: Reversed,
                },
                Effect::Fee { .. } => Effect::Fee { sign: Reversed },
                Effect::TimeBarred { creditor, .. } => Effect::TimeBarred {
                    creditor: flip(creditor),
                    sign: Reversed,
                },
                other => panic!("{code:?} is no booking: {other:?}"),
            };
            assert_eq!(reversed, expected, "{code:?} {debit:?} -> {credit:?}");
        }
    }

    fn flip(side: Side) -> Side {
        side.pick(Credit, Debit)
    }

    #[test]
    fn a_correction_of_anything_else_is_none() {
        for (debit, credit) in [
            (K::Payable, K::CreditorClaim),
            (K::DebtorPrincipal, K::CreditorClaim),
            (K::CreditorClaim, K::DebtorSurcharge),
        ] {
            assert_eq!(classify(T::Correction, debit, credit, true), Effect::None);
        }
    }

    #[test]
    fn an_advance_counts_by_its_leg_off_the_creditors_claim() {
        assert_eq!(
            classify(T::Advance, K::CreditorClaim, K::ServiceAdvanceClaim, true),
            Effect::Advanced { creditor: Debit }
        );
        assert_eq!(
            classify(T::Advance, K::AdvancesFunding, K::Payable, true),
            Effect::None
        );
    }

    #[test]
    fn allocation_legs() {
        let alloc = |debit, credit, month| classify(T::Allocation, debit, credit, month);
        assert_eq!(
            alloc(K::ServiceAdvanceClaim, K::AdvancesFunding, true),
            Effect::Recovered { creditor: Debit }
        );
        for month in [true, false] {
            assert_eq!(
                alloc(K::CreditorClaim, K::Payable, month),
                Effect::PaidToCreditor {
                    creditor: Debit,
                    month
                }
            );
        }
        // The fee kept from the creditor's share (a regime before 2015) is taken off the claim.
        assert_eq!(
            alloc(K::CreditorClaim, K::FeeIncome, true),
            Effect::PaidToCreditor {
                creditor: Debit,
                month: true
            }
        );
        assert_eq!(
            alloc(K::MoneyReceived, K::DebtorSurcharge, false),
            Effect::FeePaid
        );
        assert_eq!(
            alloc(K::MoneyReceived, K::DebtorPrincipal, true),
            Effect::None
        );
        assert_eq!(
            alloc(K::MoneyReceived, K::DebtorInterest, false),
            Effect::None
        );
    }

    #[test]
    fn money_movements_and_wrong_accounts_are_none() {
        let none = [
            (T::DebtorPayment, K::Bank, K::MoneyReceived),
            (T::TaxRefundOffset, K::TaxOffsetClearing, K::MoneyReceived),
            (T::Payout, K::Payable, K::PaidOut),
            (T::PayoutReturn, K::PaidOut, K::Payable),
            (T::UnmatchedReceipt, K::Bank, K::Suspense),
            (T::Unspecified, K::DebtorPrincipal, K::CreditorClaim),
            (T::DebtRecognition, K::DebtorPrincipal, K::Payable),
            (T::Interest, K::DebtorInterest, K::FeeIncome),
            (T::Surcharge, K::FeeIncome, K::DebtorSurcharge),
            (T::WriteOff, K::DebtorPrincipal, K::DebtorTimeBarred),
        ];
        for (code, debit, credit) in none {
            assert_eq!(
                classify(code, debit, credit, true),
                Effect::None,
                "{code:?}"
            );
        }
    }

    #[test]
    fn the_creditor_side_always_names_a_party() {
        for code in all_codes() {
            for debit in all_kinds() {
                for credit in all_kinds() {
                    for month in [true, false] {
                        let e = classify(code, debit, credit, month);
                        if let Some(side) = e.creditor() {
                            let kind = side.pick(debit, credit);
                            assert_eq!(kind.scope(), crate::ledger::Scope::DossierParty, "{e:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_party_is_read_from_the_creditors_side() {
        let (debit, credit) = (Some("debit".to_owned()), Some("credit".to_owned()));
        let party = |e: Effect| e.party(&debit, &credit);
        assert_eq!(party(Effect::Advanced { creditor: Debit }), Some("debit"));
        assert_eq!(
            party(Effect::Due {
                creditor: Credit,
                sign: Booked
            }),
            Some("credit")
        );
        assert_eq!(party(Effect::Fee { sign: Booked }), None);
        assert_eq!(party(Effect::FeePaid), None);
        assert_eq!(party(Effect::None), None);
    }

    #[test]
    fn stored_kinds_are_read_and_unknown_ones_are_none() {
        assert_eq!(
            classify_stored(
                T::DebtRecognition,
                K::DebtorPrincipal as i16,
                K::CreditorClaim as i16,
                true
            ),
            Effect::Due {
                creditor: Credit,
                sign: Booked
            }
        );
        assert_eq!(
            classify_stored(T::DebtRecognition, 3, 99, true),
            Effect::None
        );
        assert_eq!(Booked.factor() + Reversed.factor(), 0);
    }
}
