-- The payment plan and the suspension of recovery, letters payments' steps request.
ALTER TABLE letters DROP CONSTRAINT letters_kind_check;
ALTER TABLE letters ADD CONSTRAINT letters_kind_check CHECK (kind IN (
    'DEBTOR_NOTICE', 'DECISION_ACCEPTED', 'DECISION_REFUSED', 'MANDATE_PROPOSAL',
    'PRE_OFFSET_NOTICE', 'POST_OFFSET_NOTICE', 'PAYMENT_PLAN', 'SUSPENSION',
    'DEBTOR_STATEMENT', 'CREDITOR_STATEMENT'));
