-- Seizure brackets (Judicial Code art. 1409) for a year still missing after migration 0010:
-- 2026, in force from 1 January 2026 (the yearly indexation; no temporary increase is known
-- for 2026). Same shape and conventions as 0010: one row per period, each citing its act and
-- where its figures were read, added beside the others (nothing is superseded) and audited.
--
-- 2026 was read at one publisher only (Securex, in its French page and in its English page,
-- which give the same figures); no second, independent source and not the act itself (the
-- royal decree implementing art. 1409 §2 for 2026, published in the Moniteur belge) could be
-- read, so its date, page and numac are not given. The same Securex page lists the 2025 set as
-- the "current" one: 1,388 / 1,492 / 1,646 / 1,800 in English, agreeing with 0010; its French
-- page prints 1,495 for the 20 % limit, a slip contradicted by its own English page and by the
-- two sources 0010 cites, so the stored 2025 row is left as it is.
--
-- Still not found with a citable source, so still not loaded (a month of those years has no
-- brackets in force and the rule fails naming it): 2004, 2005, 2007, 2009, 2010 and 2011.
-- 2010's four limits were read in two independent sources (dhnet.be; renatedeadvocate.be:
-- 978 / 1,050 / 1,159 / 1,268) but its per-child amount only in a cut-off excerpt ("60 ..."),
-- and a set without its child increment cannot be loaded. 2011's per-child amount (62 EUR,
-- royal decree of 8 Dec 2010, Moniteur belge 16 Dec 2010, as reported by Randstad) was found,
-- its four limits were not. 2009's act (royal decree of 8 Dec 2008, Moniteur belge 12 Dec 2008,
-- numac 2008009980) was found, its figures were not.
CREATE TABLE brackets_0011 (
    ord        int     PRIMARY KEY,
    valid_from date    NOT NULL,
    valid_to   date    NOT NULL,
    a          numeric NOT NULL,
    b          numeric NOT NULL,
    c          numeric NOT NULL,
    d          numeric NOT NULL,
    child      numeric NOT NULL,
    source     text    NOT NULL
);

INSERT INTO brackets_0011 VALUES
    (1, DATE '2026-01-01', DATE '2026-12-31', 1419, 1524, 1682, 1839, 88,
     'Art. 1409 thresholds 2026: yearly royal decree implementing art. 1409 §2 Judicial Code, published in the Moniteur belge (the act itself not read: date, page and numac not given); figures 1,419/1,524/1,682/1,839 EUR and 88 EUR per dependent child as listed by Securex, "Les seuils pour la saisie sur salaire à partir du 1er janvier 2026" (securex.be, same figures in its English page); one publisher only');

INSERT INTO reference_values (kind, valid_from, valid_to, threshold_a, threshold_b, threshold_c,
                              threshold_d, child_increment, source, reason, recorded_by)
SELECT 'seizure_brackets', n.valid_from, n.valid_to, n.a, n.b, n.c, n.d, n.child, n.source,
       'seizure brackets of a year not loaded before (0011), with where their figures were read',
       'migration'
FROM brackets_0011 n
ORDER BY n.ord;

INSERT INTO reference_audit (actor, action, value_id, affected_value_id, reason, detail)
SELECT 'migration', 'add', v.id, NULL, v.reason,
       'seizure_brackets ' || v.threshold_a || '/' || v.threshold_b || '/' || v.threshold_c || '/'
       || v.threshold_d || ' +' || v.child_increment || ' per child ('
       || v.valid_from || '..' || v.valid_to || ')'
FROM reference_values v
WHERE v.kind = 'seizure_brackets' AND v.recorded_by = 'migration'
    AND v.reason = 'seizure brackets of a year not loaded before (0011), with where their figures were read'
ORDER BY v.id;

DROP TABLE brackets_0011;
