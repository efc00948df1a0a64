-- A statement line returned to its sender is paid back by a payout to the account the bank
-- line came from: a payout with no dossier, creditor or payout account, whose payee is the
-- sender as the bank statement named it.
ALTER TABLE payouts
    ALTER COLUMN payout_account_id DROP NOT NULL,
    ADD COLUMN refund_of_line uuid REFERENCES statement_lines (public_id),
    ADD COLUMN payee_iban text NOT NULL DEFAULT '',
    ADD COLUMN payee_name text NOT NULL DEFAULT '',
    ADD CONSTRAINT payout_to_account_or_sender CHECK (
        (payout_account_id IS NOT NULL AND refund_of_line IS NULL)
        OR (payout_account_id IS NULL AND refund_of_line IS NOT NULL AND payee_iban <> ''));
-- One refund of a line at a time: another only after the bank returned it (state 3).
CREATE UNIQUE INDEX payouts_one_refund_per_line ON payouts (refund_of_line)
    WHERE refund_of_line IS NOT NULL AND state <> 3;
