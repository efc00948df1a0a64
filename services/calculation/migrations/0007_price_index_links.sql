-- Statbel's conversion coefficients between the bases of the consumer price index and of the
-- health index, as its page lists them: a monthly index on the row's base × the coefficient =
-- the same month on the column's base. Only direct coefficients, exactly as published: the
-- rules never chain or invert them, so a pair the page does not list stays missing (named in
-- the error). The page lists none for the base 2025 = 100 nor for the health index on base
-- 1981 (it has none).
--
-- Source: Statbel (Statistics Belgium, FPS Economy), "Coëfficiënten", consumer price indices,
-- statbel.fgov.be/nl/statistieken/cijfers/economie/consumptieprijzen/consumptieprijsindexen/coefficienten/
-- A coefficient is a constant: stored valid from 1920-01-01, open-ended (Statbel's CPI page:
-- "Sinds 1920 wordt maandelijks een indexcijfer van de consumptieprijzen berekend").
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT 'price_index_link', k, DATE '1920-01-01', NULL, c,
       'Statbel (FPS Economy), conversion coefficients between index bases ("Coëfficiënten", '
       || CASE WHEN k LIKE 'cpi:%' THEN 'Consumptieprijsindex' ELSE 'Gezondheidsindex' END
       || ' row ' || split_part(k, ':', 2) || '=100, column ' || split_part(k, ':', 3)
       || '), statbel.fgov.be/nl/statistieken/cijfers/economie/consumptieprijzen/consumptieprijsindexen/coefficienten/',
       'migration'
FROM (VALUES
    ('cpi:2013:2004', 1.2240),
    ('cpi:2013:1996', 1.4067),
    ('cpi:2013:1988', 1.7265),
    ('cpi:2013:1981', 2.3356),
    ('cpi:2004:2013', 0.8170),
    ('cpi:2004:1996', 1.1493),
    ('cpi:2004:1988', 1.4105),
    ('cpi:2004:1981', 1.9082),
    ('cpi:1996:2013', 0.7109),
    ('cpi:1996:2004', 0.8701),
    ('cpi:1996:1988', 1.2273),
    ('cpi:1996:1981', 1.6603),
    ('cpi:1988:2013', 0.5793),
    ('cpi:1988:2004', 0.7090),
    ('cpi:1988:1996', 0.8148),
    ('cpi:1988:1981', 1.3528),
    ('cpi:1981:2013', 0.4282),
    ('cpi:1981:2004', 0.5241),
    ('cpi:1981:1996', 0.6023),
    ('cpi:1981:1988', 0.7392),
    ('health_index:2013:2004', 1.2077),
    ('health_index:2013:1996', 1.3740),
    ('health_index:2013:1988', 1.6566),
    ('health_index:2004:2013', 0.8280),
    ('health_index:2004:1996', 1.1377),
    ('health_index:2004:1988', 1.3717),
    ('health_index:1996:2013', 0.7278),
    ('health_index:1996:2004', 0.8790),
    ('health_index:1996:1988', 1.2057),
    ('health_index:1988:2013', 0.6036),
    ('health_index:1988:2004', 0.7290),
    ('health_index:1988:1996', 0.8294)
) AS l (k, c)
ORDER BY k;

-- Health index values (2013 = 100) read in the FPS Economy's monthly notices in the Moniteur
-- belge, the same notices migration 0003 took the CPI of those months from.
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT 'health_index', m, to_date(m || '-01', 'YYYY-MM-DD'),
       (to_date(m || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, v, src,
       'migration'
FROM (VALUES
    ('2016-12', 104.05, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand december 2016", Moniteur belge 30 Dec 2016, numac 2016040312 (health index of the law of 23 April 2015)'),
    ('2019-03', 109.04, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand maart 2019", Moniteur belge 29 Mar 2019 (health index of the law of 23 April 2015)')
) AS h (m, v, src)
ORDER BY m;

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published linking coefficients and health index figures',
       v.kind || ' ' || v.key || ' ' || v.value
FROM reference_values v
WHERE v.kind IN ('price_index_link', 'health_index') AND v.recorded_by = 'migration'
ORDER BY v.id;
