-- Four more CPI months (base 2013 = 100) from a fourth search (issue 18), each read with its
-- month and year: April and May 2020 (a Wolters Kluwer item reproducing Statbel gives May and
-- the drop from April; L'Avenir prints both figures), February and March 2024 (a Wolters
-- Kluwer item printing both with the base). Left out: June 2021, which its page gives as
-- 111.30 and as 111.31.
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT 'cpi', m, to_date(m || '-01', 'YYYY-MM-DD'),
       (to_date(m || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, v, src,
       'migration'
FROM (VALUES
    ('2020-04', 109.53, 'L''Avenir, "L''inflation diminue pour le quatrième mois consécutif" (28 May 2020): "109,45 points contre 109,53 points en avril 2020", https://www.lavenir.net/cnt/dmf20200528_01478517/l-inflation-diminue-pour-le-quatrieme-mois-consecutif-et-s-eleve-a-0-48pct; agrees with the May 2020 source (0,08 point lower in May)'),
    ('2020-05', 109.45, 'Wolters Kluwer Legalworld reproducing Statbel, "L''inflation est toujours en baisse en mai 2020": "En mai 2020, l''indice des prix à la consommation ... se fixe à 109,45 points", https://legalworld.wolterskluwer.be/fr/nouvelles/moniteur/l-inflation-est-toujours-en-baisse-en-mai-2020/'),
    ('2024-02', 131.01, 'Wolters Kluwer Immospector reproducing Statbel: "131,73 points, contre 131,01 points en février 2024 (2013 = 100)", https://immospector.kluwer.be/NewsView.aspx?contentdomains=IMMOPRO,IMMORES,IMMONEW,IMMOMOD&id=kl2821344&lang=fr'),
    ('2024-03', 131.73, 'Wolters Kluwer Immospector reproducing Statbel: "En mars 2024, l''indice des prix à la consommation ... pour s''établir à 131,73 points ... (2013 = 100)", https://immospector.kluwer.be/NewsView.aspx?contentdomains=IMMOPRO,IMMORES,IMMONEW,IMMOMOD&id=kl2821344&lang=fr')
) AS p (m, v, src)
WHERE NOT EXISTS (SELECT 1 FROM reference_values r WHERE r.kind = 'cpi' AND r.key = p.m)
ORDER BY m;

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published price index figures (issue 18 research, fourth pass)',
       v.kind || ' ' || v.key || ' ' || v.value
FROM reference_values v
WHERE v.kind = 'cpi' AND v.recorded_by = 'migration'
    AND NOT EXISTS (SELECT 1 FROM reference_audit a WHERE a.value_id = v.id)
ORDER BY v.id;
