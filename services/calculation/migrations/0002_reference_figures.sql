-- The reference figures of design/DOMAIN.md as dated values. Later figures are added through
-- AddReferenceValue (or a later migration), never by editing this one.
--
-- No CPI figures are loaded: the design gives none, and a figure is only stored with the
-- publication it was taken from; they are added through AddReferenceValue.

-- Legal interest rate in civil matters, percent, one value per calendar year.
INSERT INTO reference_values (kind, valid_from, valid_to, value, source, recorded_by)
SELECT 'legal_interest_rate', make_date(y, 1, 1), make_date(y, 12, 31), rate,
       'Legal interest rate in civil matters for ' || y
       || ', yearly notice in the Moniteur belge (law of 5 May 1865); as listed in SECAL design DOMAIN.md',
       'migration'
FROM (VALUES (2003, 7.00), (2004, 7.00), (2005, 7.00), (2006, 7.00), (2007, 6.00),
             (2008, 7.00), (2009, 5.50), (2010, 3.25), (2011, 3.75), (2012, 4.25),
             (2013, 2.75), (2014, 2.75), (2015, 2.50), (2016, 2.25), (2017, 2.00),
             (2018, 2.00), (2019, 2.00), (2020, 1.75), (2021, 1.75), (2022, 1.50),
             (2023, 5.25), (2024, 5.75), (2025, 4.50), (2026, 4.50)) AS r (y, rate)
ORDER BY y;

-- Maximum advance per child per month; SECAL pays advances since October 2005.
INSERT INTO reference_values (kind, valid_from, valid_to, value, source, recorded_by)
VALUES ('advance_cap', DATE '2005-10-01', NULL, 175.00,
        'Maximum monthly advance per child, EUR 175 (SPF Finances press release, SECAL 20 years, seed 001); as listed in SECAL design DOMAIN.md',
        'migration');

-- Applicant income ceiling for advances, EUR net per month; abolished from 1 June 2020, which
-- is stored as data so that a missing value stays an error.
INSERT INTO reference_values (kind, valid_from, valid_to, value, abolished, source, recorded_by)
VALUES ('applicant_income_ceiling', DATE '2015-01-01', DATE '2019-12-31', 1800.00, false,
        'Applicant net monthly income ceiling for advances 2015-2019; as listed in SECAL design DOMAIN.md',
        'migration'),
       ('applicant_income_ceiling', DATE '2020-01-01', DATE '2020-05-31', 2200.00, false,
        'Applicant net monthly income ceiling for advances, 1 January to 31 May 2020; as listed in SECAL design DOMAIN.md',
        'migration'),
       ('applicant_income_ceiling', DATE '2020-06-01', NULL, NULL, true,
        'Income ceiling for advances abolished from 1 June 2020; as listed in SECAL design DOMAIN.md',
        'migration');

-- Its increment per dependent child, over the same periods as the ceiling.
INSERT INTO reference_values (kind, valid_from, valid_to, value, abolished, source, recorded_by)
SELECT 'applicant_income_ceiling_child_increment', f, t, v, v IS NULL,
       CASE WHEN v IS NULL
            THEN 'Income ceiling for advances (and its per-child increment) abolished from 1 June 2020; as listed in SECAL design DOMAIN.md'
            ELSE 'Increment of the applicant income ceiling per dependent child, ' || f || ' to ' || t
                 || '; as listed in SECAL design DOMAIN.md'
       END,
       'migration'
FROM (VALUES (DATE '2015-01-01', DATE '2016-12-31', 66.00),
             (DATE '2017-01-01', DATE '2017-12-31', 67.00),
             (DATE '2018-01-01', DATE '2018-12-31', 68.00),
             (DATE '2019-01-01', DATE '2019-12-31', 70.00),
             (DATE '2020-01-01', DATE '2020-05-31', 70.00),
             (DATE '2020-06-01', NULL, NULL)) AS c (f, t, v)
ORDER BY f;

-- Judicial Code art. 1409 thresholds A/B/C/D and the per-child increment, EUR net per month,
-- one set per calendar year.
INSERT INTO reference_values (kind, valid_from, valid_to, threshold_a, threshold_b, threshold_c,
                              threshold_d, child_increment, source, recorded_by)
SELECT 'seizure_brackets', make_date(y, 1, 1), make_date(y, 12, 31), a, b, c, d, child,
       'Judicial Code art. 1409 seizure thresholds for ' || y
       || ' (yearly indexation notice, Moniteur belge); as listed in SECAL design DOMAIN.md',
       'migration'
FROM (VALUES (2014, 1069, 1149, 1267, 1386, 66),
             (2015, 1069, 1148, 1267, 1386, 66),
             (2016, 1073, 1153, 1272, 1391, 66),
             (2017, 1085, 1166, 1286, 1407, 67),
             (2018, 1105, 1187, 1309, 1432, 68),
             (2019, 1128, 1212, 1337, 1462, 70),
             (2020, 1138, 1222, 1349, 1475, 70),
             (2021, 1149, 1235, 1362, 1490, 71),
             (2022, 1186, 1274, 1406, 1538, 73),
             (2023, 1316, 1414, 1560, 1706, 81),
             (2024, 1341, 1440, 1589, 1738, 83)) AS s (y, a, b, c, d, child)
ORDER BY y;

-- Fees on recovered maintenance, by application date: before 2015 the creditor had 5% kept
-- and the debtor 10% charged; from 1 January 2015 the debtor owes 13% and the creditor nothing.
INSERT INTO reference_values (kind, valid_from, valid_to, debtor_percent, creditor_percent,
                              source, recorded_by)
VALUES ('debtor_surcharge', DATE '2004-01-01', DATE '2014-12-31', 10, 5,
        'Fees on recovered maintenance for applications before 2015 (from SECAL''s start in 2004): debtor 10%, creditor 5%; as listed in SECAL design DOMAIN.md',
        'migration'),
       ('debtor_surcharge', DATE '2015-01-01', NULL, 13, 0,
        'Fees on recovered maintenance for applications from 1 January 2015: debtor 13%, creditor 0%; as listed in SECAL design DOMAIN.md',
        'migration');

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', id, 'initial reference figures',
       kind || ' ' || valid_from || '..' || coalesce(valid_to::text, '')
FROM reference_values
ORDER BY id;
