-- Seizure brackets (Judicial Code art. 1409) are in force from a date, not for a calendar year:
-- the yearly indexation applies from 1 January, but temporary increases began and ended inside
-- a year (COVID-19 in 2020-2021, the energy crisis in 2022-2023). Migration 0002 loaded one set
-- per calendar year citing only the design notes. Here each year a temporary increase touched
-- is split: its yearly row is superseded by the same figures over the part of the year they
-- really applied (history keeps the old row), and the temporary sets are added for their own
-- periods; 2006, 2008, 2012, 2013 and 2025 are added. Every row cites its act in the
-- Moniteur belge and where its figures were read. The rule looks brackets up on the first day
-- of the asked month.
--
-- Not found with a citable source, so not loaded: 2004, 2005, 2007, 2009, 2010, 2011 and 2026
-- (a month of those years still has no brackets in force). 2010's figures were found in a
-- newspaper only, its per-child amount in a cut-off excerpt: not enough to load them.
CREATE TABLE brackets_0010 (
    ord        int     PRIMARY KEY,
    -- The yearly row of 0002 (valid_from = 1 January of this year) that this row supersedes;
    -- NULL for a row added beside the others.
    supersedes int,
    valid_from date    NOT NULL,
    valid_to   date    NOT NULL,
    a          numeric NOT NULL,
    b          numeric NOT NULL,
    c          numeric NOT NULL,
    d          numeric NOT NULL,
    child      numeric NOT NULL,
    source     text    NOT NULL
);

-- The rows that supersede come first (each takes its year's row out of the live values before
-- the periods that now share that year are added).
INSERT INTO brackets_0010 VALUES
    (1, 2020, DATE '2020-01-01', DATE '2020-06-19', 1138, 1222, 1349, 1475, 70,
     'Art. 1409 thresholds 2020: royal decree of 9 Dec 2019 implementing art. 1409 §2 Judicial Code, Moniteur belge 13 Dec 2019 (ardent.be, "Drempels loonbeslag en loonoverdracht vanaf 1 januari 2020"); figures as listed by Attentia, "Corona: tijdelijke aanpassing grenzen loonbeslag" (attentia.be); until the temporary increase of 20 June 2020'),
    (2, 2021, DATE '2021-10-01', DATE '2021-12-31', 1149, 1235, 1362, 1490, 71,
     'Art. 1409 thresholds 2021: royal decree of 10 Dec 2020 implementing art. 1409 §2 Judicial Code, Moniteur belge 17 Dec 2020; in force again from 1 Oct 2021 when the COVID-19 increase ended (Sodalis, "Loonbeslag: gewijzigde grensbedragen van toepassing vanaf 1 oktober 2021", sodalis.be)'),
    (3, 2022, DATE '2022-01-01', DATE '2022-11-02', 1186, 1274, 1406, 1538, 73,
     'Art. 1409 thresholds 2022: royal decree of 17 Dec 2021 implementing art. 1409 §2 Judicial Code, Moniteur belge 24 Dec 2021 (numac 2021043295; Etude Tintin, "Indexation des montants insaisissables 2022", etude-tintin.be); the same figures restated in art. 2 of the royal decree of 21 Dec 2022 (vlex.be); until the energy-crisis increase of 3 Nov 2022'),
    (4, 2023, DATE '2023-04-01', DATE '2023-12-31', 1316, 1414, 1560, 1706, 81,
     'Art. 1409 thresholds 2023: royal decree of 11 Dec 2022 implementing art. 1409 §2 Judicial Code and notice on the per-child amount, Moniteur belge 19 Dec 2022; in force from 1 Apr 2023 when the energy-crisis increase ended (Sodalis, "Nieuwe grensbedragen voor loonbeslag vanaf 1 april 2023", sodalis.be)'),
    (5, NULL, DATE '2020-06-20', DATE '2020-08-31', 1366, 1467, 1619, 1770, 84,
     'Temporary COVID-19 increase of the art. 1409 thresholds, 20 Jun-31 Aug 2020: law of 19 June 2020 temporarily raising the seizure thresholds of art. 1409 Judicial Code, Moniteur belge (Attentia, "Corona: tijdelijke aanpassing grenzen loonbeslag", attentia.be; Wolters Kluwer Legalworld)'),
    (6, NULL, DATE '2020-09-01', DATE '2020-12-23', 1138, 1222, 1349, 1475, 70,
     'Art. 1409 thresholds 2020 (royal decree of 9 Dec 2019, Moniteur belge 13 Dec 2019) in force again from 1 Sep 2020: the COVID-19 increase was not extended (Besox, "Corona: geen verlenging voor de tijdelijke verhoging van de grenzen van het loonbeslag", besox.be, 14 Sep 2020; Modero, modero.be)'),
    (7, NULL, DATE '2020-12-24', DATE '2021-03-31', 1366, 1467, 1619, 1770, 84,
     'Temporary COVID-19 increase of the art. 1409 thresholds, 24 Dec 2020-31 Mar 2021: law of 20 Dec 2020 on temporary and structural provisions in justice matters (COVID-19), Moniteur belge 24 Dec 2020 (Easypay Group, "Augmentation temporaire des plafonds pour les saisies et cessions", easypay-group.com)'),
    (8, NULL, DATE '2021-04-01', DATE '2021-06-30', 1366, 1467, 1619, 1770, 84,
     'Temporary COVID-19 increase of the art. 1409 thresholds extended to 30 Jun 2021: royal decree of 29 March 2021, Moniteur belge 31 Mar 2021 (Attentia, "Corona: verlenging verhoging loondrempels tot 30 juni 2021", attentia.be; Easypay Group)'),
    (9, NULL, DATE '2021-07-01', DATE '2021-09-30', 1366, 1467, 1619, 1770, 84,
     'Temporary COVID-19 increase of the art. 1409 thresholds extended to 30 Sep 2021: royal decree of 24 June 2021, Moniteur belge 30 Jun 2021 (Sodalis, "Loonbeslag: tijdelijke verhoogde grenzen zijn van toepassing tot 30 september 2021", sodalis.be)'),
    (10, NULL, DATE '2022-11-03', DATE '2022-12-31', 1424, 1529, 1688, 1846, 88,
     'Temporary energy-crisis increase of the art. 1409 thresholds, 3 Nov-31 Dec 2022: law of 30 October 2022 on temporary support measures (energy crisis), arts. 66-74, Moniteur belge 3 Nov 2022 (Sodalis, "Tijdelijke verhoging grenzen loonbeslag n.a.v. de energiecrisis", sodalis.be)'),
    (11, NULL, DATE '2023-01-01', DATE '2023-03-31', 1542, 1657, 1828, 2000, 95,
     'Energy-crisis increase of the art. 1409 thresholds extended to 31 Mar 2023 and raised: royal decree of 21 December 2022 amending the amounts of art. 66 of the law of 30 Oct 2022, Moniteur belge 30 Dec 2022 (text on vlex.be; UCM, "Saisies-cessions : majoration temporaire des seuils", ucm.be)'),
    (12, NULL, DATE '2006-01-01', DATE '2006-12-31', 907, 974, 1075, 1175, 56,
     'Art. 1409 thresholds 2006: royal decree of 7 December 2005 implementing art. 1409 §2 Judicial Code, art. 3 (amounts rounded up: 907, 974, 1,075, 1,175, 56 EUR), Moniteur belge, numac 2005009951 (text on lisloi.be)'),
    (13, NULL, DATE '2025-01-01', DATE '2025-12-31', 1388, 1492, 1646, 1800, 86,
     'Art. 1409 thresholds 2025: royal decree of 5 December 2024 implementing art. 1409 §2 Judicial Code, Moniteur belge 13 Dec 2024 (numac 2024011345; figures as listed by the Brussels bar, "Les seuils de saisie a partir du 1er janvier 2025", latribune.avocats.be, and Easypay Group)'),
    (14, NULL, DATE '2008-01-01', DATE '2008-12-31', 944, 1014, 1119, 1224, 58,
     'Art. 1409 thresholds 2008: royal decree of 11 December 2007 implementing art. 1409 §2 Judicial Code, Moniteur belge, numac 2007010039 (text on lisloi.be: 943.72/1,013.62/1,118.48/1,223.34 EUR before rounding up); figures 944/1,014/1,119/1,224 and 58 per child as listed in "Saisies sur salaires limitees", linsolent.skynetblogs.be, 1 Feb 2008'),
    (15, NULL, DATE '2012-01-01', DATE '2012-12-31', 1037, 1113, 1228, 1344, 64,
     'Art. 1409 thresholds 2012: royal decree of 12 December 2011 implementing art. 1409 §2 Judicial Code, Moniteur belge 16 Dec 2011 (numac 2011009790; figures as listed by Zians-Haas Advocaten, "Drempels voor loonbeslag en loonoverdracht vanaf 1 januari 2012", zians-haas.be, 27 Dec 2011)'),
    (16, NULL, DATE '2013-01-01', DATE '2013-12-31', 1059, 1138, 1255, 1373, 65,
     'Art. 1409 thresholds 2013: royal decree of 13 December 2012 implementing art. 1409 §2 Judicial Code, Moniteur belge 19 Dec 2012 (figures as listed by Zians-Haas Advocaten, "Neue Lohnpfandungsgrenzen ab dem 1.1.2013", zians-haas.be, 22 Dec 2012, and avolink.be)');

-- Superseding rows: only where the live row of that year still holds the figures 0002 loaded
-- (a value changed since would be a finding to check, not something to overwrite here).
INSERT INTO reference_values (kind, valid_from, valid_to, threshold_a, threshold_b, threshold_c,
                              threshold_d, child_increment, source, supersedes_id, reason,
                              recorded_by)
SELECT 'seizure_brackets', n.valid_from, n.valid_to, n.a, n.b, n.c, n.d, n.child, n.source, v.id,
       'brackets are in force from a date: the year is split around a temporary increase, and the publication is cited',
       'migration'
FROM brackets_0010 n
JOIN reference_values v ON v.kind = 'seizure_brackets'
    AND v.valid_from = make_date(n.supersedes, 1, 1)
    AND v.valid_to = make_date(n.supersedes, 12, 31)
JOIN reference_live l ON l.value_id = v.id
WHERE n.supersedes IS NOT NULL
ORDER BY n.ord;

INSERT INTO reference_values (kind, valid_from, valid_to, threshold_a, threshold_b, threshold_c,
                              threshold_d, child_increment, source, reason, recorded_by)
SELECT 'seizure_brackets', n.valid_from, n.valid_to, n.a, n.b, n.c, n.d, n.child, n.source,
       'seizure brackets of a period not loaded before, with their publication', 'migration'
FROM brackets_0010 n
WHERE n.supersedes IS NULL
ORDER BY n.ord;

INSERT INTO reference_audit (actor, action, value_id, affected_value_id, reason, detail)
SELECT 'migration', CASE WHEN v.supersedes_id IS NULL THEN 'add' ELSE 'correct' END, v.id,
       v.supersedes_id, v.reason,
       'seizure_brackets ' || v.threshold_a || '/' || v.threshold_b || '/' || v.threshold_c || '/'
       || v.threshold_d || ' +' || v.child_increment || ' per child ('
       || v.valid_from || '..' || v.valid_to || ')'
FROM reference_values v
WHERE v.kind = 'seizure_brackets' AND v.recorded_by = 'migration'
    AND v.reason IN (
        'brackets are in force from a date: the year is split around a temporary increase, and the publication is cited',
        'seizure brackets of a period not loaded before, with their publication')
ORDER BY v.id;

DROP TABLE brackets_0010;
