-- RecordDebtorPayment took a channel, a structured reference, a bank reference and a note and
-- kept none of them: what the operator said about the money was lost after the call. They are
-- kept with the payment now (immutable, like the rest of it). Payments imported from a bank
-- statement take their references from their statement line (joined when read), so older
-- rows need no back-fill.
ALTER TABLE debtor_payments
    ADD COLUMN channel              smallint NOT NULL DEFAULT 0
        CONSTRAINT debtor_payments_channel_known CHECK (channel BETWEEN 0 AND 6),
    ADD COLUMN structured_reference text     NOT NULL DEFAULT ''
        CONSTRAINT debtor_payments_structured_reference_length
        CHECK (char_length(structured_reference) <= 20),
    ADD COLUMN bank_reference       text     NOT NULL DEFAULT ''
        CONSTRAINT debtor_payments_bank_reference_length CHECK (char_length(bank_reference) <= 35),
    ADD COLUMN note                 text     NOT NULL DEFAULT ''
        CONSTRAINT debtor_payments_note_length CHECK (char_length(note) <= 1000);

-- A dossier's payments are listed with the statement line each came from.
CREATE INDEX statement_lines_by_debtor_payment ON statement_lines (debtor_payment_id)
    WHERE debtor_payment_id IS NOT NULL;
