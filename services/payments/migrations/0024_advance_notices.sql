-- Advances granted and ended, child by child: the advances run notes the first month it pays a
-- child (granted) and the first month it refuses, for a reason that ends the right, a child
-- it paid before (ended), and requests the applicant's letter in the same transaction. One
-- notice per child and month; a child's notices alternate (granted, ended, granted, ...).
CREATE TABLE advance_notices (
    dossier_number text     NOT NULL,
    child          text     NOT NULL,
    month          date     NOT NULL,
    -- 1 granted, 2 ended.
    kind           smallint NOT NULL CHECK (kind IN (1, 2)),
    amount_cents   bigint   NOT NULL CHECK (amount_cents >= 0),
    -- secal.v1.AdvanceIneligibilityReason values (ended).
    reasons        smallint[] NOT NULL DEFAULT '{}',
    -- The case-work feed's LETTER_REQUESTED event; NULL for the notices noted when this table
    -- was created (advances paid before: their letters were not the system's to send).
    letter_sequence bigint,
    noted_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_number, child, month)
);

-- Children already paid are granted as of their latest paid month, without a letter: the
-- first run after this migration does not write to every family again.
INSERT INTO advance_notices (dossier_number, child, month, kind, amount_cents)
SELECT DISTINCT ON (dossier_number, child) dossier_number, child, month, 1, amount_cents
  FROM advances_run_items
 WHERE status = 1
 ORDER BY dossier_number, child, month DESC;
