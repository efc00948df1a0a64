-- The legal interest rates of migration 0002 cited only the design notes. Each rate found in a
-- publication is superseded here by the same figure citing it (history keeps the old row);
-- 2026 was flagged unverified and is now checked. Rates not found stay as they were: 2003-2006,
-- 2014-2017, 2019-2020, 2022-2023, 2025.
--
-- Law of 5 May 1865, art. 2 §1: the FPS Finance (Treasury) publishes the year's rate in the
-- Moniteur belge in January.
CREATE TABLE interest_0008 (
    y      int  PRIMARY KEY,
    rate   numeric NOT NULL,
    source text NOT NULL
);

INSERT INTO interest_0008 VALUES
    (2007, 6.00, 'Legal interest rate 2007: 6 %, yearly FPS Finance notice in the Moniteur belge (law of 5 May 1865 art. 2), as listed with the 2013 notice by G. Carnoy, "Intérêt légal", gillescarnoy.be, 19 Jan 2013'),
    (2008, 7.00, 'Legal interest rate 2008: 7 %, yearly FPS Finance notice in the Moniteur belge (law of 5 May 1865 art. 2), as listed with the 2013 notice by G. Carnoy, "Intérêt légal", gillescarnoy.be, 19 Jan 2013'),
    (2009, 5.50, 'Legal interest rate 2009: 5.5 %, yearly FPS Finance notice in the Moniteur belge (law of 5 May 1865 art. 2), as listed with the 2013 notice by G. Carnoy, "Intérêt légal", gillescarnoy.be, 19 Jan 2013'),
    (2010, 3.25, 'Legal interest rate 2010: 3.25 %, yearly FPS Finance notice in the Moniteur belge (law of 5 May 1865 art. 2), as listed with the 2013 notice by G. Carnoy, "Intérêt légal", gillescarnoy.be, 19 Jan 2013'),
    (2011, 3.75, 'Legal interest rate 2011: 3.75 %, yearly FPS Finance notice in the Moniteur belge (law of 5 May 1865 art. 2), as listed with the 2013 notice by G. Carnoy, "Intérêt légal", gillescarnoy.be, 19 Jan 2013'),
    (2012, 4.25, 'Legal interest rate 2012: 4.25 %, yearly FPS Finance notice in the Moniteur belge (law of 5 May 1865 art. 2), as listed with the 2013 notice by G. Carnoy, "Intérêt légal", gillescarnoy.be, 19 Jan 2013'),
    (2013, 2.75, 'Legal interest rate 2013: 2.75 %, FPS Finance notice, Moniteur belge 9 Jan 2013 (reported by G. Carnoy, "Intérêt légal", gillescarnoy.be, 19 Jan 2013)'),
    (2018, 2.00, 'Legal interest rate 2018: 2.0 %, notice in the Moniteur belge of 11 Jan 2018 (reported by aquo.be, "Taux d''intérêt")'),
    (2021, 1.75, 'Legal interest rate 2021: 1.75 %, notice in the Moniteur belge of 12 Feb 2021 (reported in "Fiche intérêts légaux", 123dok.net)'),
    (2024, 5.75, 'Legal interest rate 2024: 5.75 %, notice in the Moniteur belge of 23 Feb 2024 (reported by vjn-legal.be, "A propos du taux d''intérêt légal")'),
    (2026, 4.50, 'Legal interest rate 2026: 4.5 %, unchanged, published in the Moniteur belge (reported by Embuild, "Le retard de paiement : le taux d''intérêt applicable en 2026", embuild.be)');

-- Only where the stored figure is the published one: a different figure would be a finding to
-- check, not something to overwrite here.
INSERT INTO reference_values (kind, valid_from, valid_to, value, source, supersedes_id, reason,
                              recorded_by)
SELECT 'legal_interest_rate', v.valid_from, v.valid_to, v.value, i.source, v.id,
       'the publication of the rate was found and is cited', 'migration'
FROM interest_0008 i
JOIN reference_values v ON v.kind = 'legal_interest_rate'
    AND v.valid_from = make_date(i.y, 1, 1) AND v.value = i.rate
JOIN reference_live l ON l.value_id = v.id
ORDER BY i.y;

INSERT INTO reference_audit (actor, action, value_id, affected_value_id, reason, detail)
SELECT 'migration', 'correct', v.id, v.supersedes_id, v.reason,
       'legal_interest_rate ' || v.value || ' (' || v.valid_from || '..' || v.valid_to || ')'
FROM reference_values v
WHERE v.kind = 'legal_interest_rate' AND v.supersedes_id IS NOT NULL
    AND v.recorded_by = 'migration'
    AND v.reason = 'the publication of the rate was found and is cited'
ORDER BY v.id;

DROP TABLE interest_0008;
