-- Consumer price index (base 2013 = 100, Belgium's reference base since January 2014), for
-- the months whose official figure was retrieved from the FPS Economy's monthly notice in
-- the Moniteur belge (each notice gives its month and the month before). Only those: other
-- months are added through AddReferenceValue with their own source. A month missing here is
-- an error for the rules, never a guess.
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT 'cpi', m, to_date(m || '-01', 'YYYY-MM-DD'),
       (to_date(m || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, cpi, src,
       'migration'
FROM (VALUES
    ('2016-11', 103.41, 'FPS Economy notice "Indice des prix à la consommation du mois de décembre 2016", Moniteur belge 30 Dec 2016, numac 2016040312 (as the month before)'),
    ('2016-12', 103.54, 'FPS Economy notice "Indice des prix à la consommation du mois de décembre 2016", Moniteur belge 30 Dec 2016, numac 2016040312; also Statbel CPI page, December 2016'),
    ('2019-02', 108.52, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand maart 2019", Moniteur belge 29 Mar 2019 (as the month before)'),
    ('2019-03', 108.85, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand maart 2019", Moniteur belge 29 Mar 2019'),
    ('2021-11', 115.63, 'FPS Economy notice "Indice des prix à la consommation du mois de décembre 2021", Moniteur belge, numac 2021090312 (as the month before)'),
    ('2021-12', 115.74, 'FPS Economy notice "Indice des prix à la consommation du mois de décembre 2021", Moniteur belge, numac 2021090312'),
    ('2023-07', 128.14, 'FPS Economy notice "Indice des prix à la consommation du mois d''août 2023" (2013 = 100), Moniteur belge 31 Aug 2023, numac 2023090308 (as the month before)'),
    ('2023-08', 129.12, 'FPS Economy notice "Indice des prix à la consommation du mois d''août 2023" (2013 = 100), Moniteur belge 31 Aug 2023, numac 2023090308'),
    ('2023-09', 128.23, 'FPS Economy notice "Indice des prix à la consommation du mois d''octobre 2023" (2013 = 100), Moniteur belge 31 Oct 2023 (as the month before)'),
    ('2023-10', 128.67, 'FPS Economy notice "Indice des prix à la consommation du mois d''octobre 2023" (2013 = 100), Moniteur belge 31 Oct 2023; confirmed by the November 2023 notice'),
    ('2023-11', 128.89, 'FPS Economy notice "Indexcijfer van de consumptieprijzen van de maand november 2023", Moniteur belge 30 Nov 2023'),
    ('2023-12', 129.45, 'FPS Economy notice "Indice des prix à la consommation du mois de janvier 2024", Moniteur belge 31 Jan 2024, numac 2024090301 (as the month before)'),
    ('2024-01', 130.08, 'FPS Economy notice "Indice des prix à la consommation du mois de janvier 2024", Moniteur belge 31 Jan 2024, numac 2024090301')
) AS c (m, cpi, src)
ORDER BY m;

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published CPI figures', v.kind || ' ' || v.key || ' ' || v.value
FROM reference_values v
WHERE v.kind = 'cpi' AND v.recorded_by = 'migration'
ORDER BY v.id;
