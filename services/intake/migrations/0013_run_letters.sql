-- The letters the periodic runs cause: advances granted and ended (payments' advances run),
-- a payment plan's breach (payments' missed-instalment detection), the yearly statement; and
-- the cancellation of a tax-refund offset its pre-offset notice announced.
ALTER TABLE letters DROP CONSTRAINT letters_kind_check;
ALTER TABLE letters ADD CONSTRAINT letters_kind_check CHECK (kind IN (
    'DEBTOR_NOTICE', 'DECISION_ACCEPTED', 'DECISION_REFUSED', 'MANDATE_PROPOSAL',
    'PRE_OFFSET_NOTICE', 'POST_OFFSET_NOTICE', 'PAYMENT_PLAN', 'SUSPENSION',
    'DEBTOR_STATEMENT', 'CREDITOR_STATEMENT', 'ADVANCES_GRANTED', 'ADVANCES_ENDED',
    'PAYMENT_PLAN_BREACH', 'YEARLY_STATEMENT', 'OFFSET_CANCELLED'));

-- One yearly statement per dossier, recipient and year: the debtor's ('DEBTOR'), and the
-- applicant's for each creditor (the creditor's person public id). A run issues what is not
-- here yet, each in the transaction that stores its letter.
CREATE TABLE yearly_statements (
    year       integer NOT NULL CHECK (year >= 2004),
    dossier_id bigint  NOT NULL REFERENCES dossiers (id),
    statement_of text  NOT NULL,
    letter_id  bigint  NOT NULL UNIQUE REFERENCES letters (id),
    PRIMARY KEY (year, dossier_id, statement_of)
);
