-- More published price-index figures, each with where it was read. The bulk of the series is
-- loaded from Statbel's own file with ImportPriceIndexFile (README, "Reference data: the yearly
-- update"); these are the figures found in publications meanwhile.

-- CPI and health index on base 2004 = 100 (the base in force in 2012) and the health index of
-- November 2023 (2013 = 100), from the FPS Economy's monthly notices in the Moniteur belge.
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT k, m, to_date(left(m, 7) || '-01', 'YYYY-MM-DD'),
       (to_date(left(m, 7) || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, v, src,
       'migration'
FROM (VALUES
    ('cpi', '2012-03/2004', 120.85, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand april 2012" (base 2004 = 100), Moniteur belge 30 Apr 2012, numac 2012040304 (as the month before)'),
    ('cpi', '2012-04/2004', 120.93, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand april 2012" (base 2004 = 100), Moniteur belge 30 Apr 2012, numac 2012040304'),
    ('health_index', '2012-04/2004', 118.99, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand april 2012" (health index of the Royal Decree of 24 December 1993, base 2004 = 100), Moniteur belge 30 Apr 2012, numac 2012040304'),
    ('health_index', '2023-11', 128.55, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand november 2023" (health index of the law of 23 April 2015), Moniteur belge 30 Nov 2023')
) AS p (k, m, v, src)
ORDER BY k, m;

-- Health index November 2016 to November 2017 on the bases 2013, 2004 and 1996 = 100, Statbel's
-- figures as tabled by Febed ("Index", febed.be/nl/nieuws/index-1, 30 Nov 2017: "De
-- gezondheidsindex, volgens basisjaar, laatste 13 maanden"). December 2016 on base 2013 is
-- already stored from the Moniteur belge notice (migration 0007) and agrees (104.05).
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT 'health_index', m, to_date(left(m, 7) || '-01', 'YYYY-MM-DD'),
       (to_date(left(m, 7) || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, v,
       'Statbel health index, base ' || coalesce(nullif(split_part(m, '/', 2), ''), '2013')
       || ' = 100, as tabled by Febed, "Index" (febed.be/nl/nieuws/index-1), 30 Nov 2017',
       'migration'
FROM (VALUES
    ('2016-11', 103.97),
    ('2016-11/2004', 125.56),
    ('2016-11/1996', 142.85),
    ('2016-12/2004', 125.66),
    ('2016-12/1996', 142.96),
    ('2017-01', 104.65),
    ('2017-01/2004', 126.39),
    ('2017-01/1996', 143.76),
    ('2017-02', 105.06),
    ('2017-02/2004', 126.88),
    ('2017-02/1996', 144.35),
    ('2017-03', 105.32),
    ('2017-03/2004', 127.19),
    ('2017-03/1996', 144.70),
    ('2017-04', 105.46),
    ('2017-04/2004', 127.36),
    ('2017-04/1996', 144.90),
    ('2017-05', 105.42),
    ('2017-05/2004', 127.32),
    ('2017-05/1996', 144.85),
    ('2017-06', 105.29),
    ('2017-06/2004', 127.16),
    ('2017-06/1996', 144.67),
    ('2017-07', 105.63),
    ('2017-07/2004', 127.57),
    ('2017-07/1996', 145.14),
    ('2017-08', 105.68),
    ('2017-08/2004', 127.63),
    ('2017-08/1996', 145.20),
    ('2017-09', 105.51),
    ('2017-09/2004', 127.42),
    ('2017-09/1996', 144.97),
    ('2017-10', 105.84),
    ('2017-10/2004', 127.82),
    ('2017-10/1996', 145.42),
    ('2017-11', 105.85),
    ('2017-11/2004', 127.84),
    ('2017-11/1996', 145.44)
) AS h (m, v)
ORDER BY m;

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published price index figures',
       v.kind || ' ' || v.key || ' ' || v.value
FROM reference_values v
WHERE v.kind IN ('cpi', 'health_index') AND v.recorded_by = 'migration'
    AND NOT EXISTS (SELECT 1 FROM reference_audit a WHERE a.value_id = v.id)
ORDER BY v.id;
