-- The payments process's conditions in the one work queue: their task kinds, their subjects
-- (named by payments, e.g. 'payments:statement-line:<uuid>'), and where the pump that pulls
-- payments' case-work feed has read to (kept in the transaction of the tasks it applies, so
-- each event is applied once).
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN (
    'DECISION_DEADLINE', 'ADMISSIBILITY_NOT_ASSESSED', 'DEBTOR_NOTICE_TRACKING',
    'DEBTOR_NOTICE_RETURNED', 'DEBTOR_WINDOW_ENDED',
    'UNMATCHED_BANK_LINE', 'RETURNED_PAYOUT', 'PAYOUT_ACCOUNT_AWAITING_SECOND_AGENT',
    'MISSED_PLAN_INSTALMENT', 'SUSPENSION_REVIEW', 'ADULT_CHILD_RENEWAL'));

-- The letters payments' steps require (its feed's LETTER_REQUESTED events).
ALTER TABLE letters DROP CONSTRAINT letters_kind_check;
ALTER TABLE letters ADD CONSTRAINT letters_kind_check CHECK (kind IN (
    'DEBTOR_NOTICE', 'DECISION_ACCEPTED', 'DECISION_REFUSED', 'MANDATE_PROPOSAL',
    'PRE_OFFSET_NOTICE', 'POST_OFFSET_NOTICE'));

CREATE TABLE casework_feed_cursors (
    source        text   PRIMARY KEY,
    last_sequence bigint NOT NULL CHECK (last_sequence >= 0)
);
INSERT INTO casework_feed_cursors (source, last_sequence) VALUES ('payments', 0);
