-- Two more CPI months (base 2013 = 100) from a third search for the months the series lacks
-- (issue 18): May and June 2024, read in one Wolters Kluwer news item that prints both months
-- with their year and the base. Left out as in 0014: figures whose year the page does not
-- print (June 2019, February 2020) and a page that contradicts itself (January and February
-- 2025). Every other month this search met was loaded already, with the same figure.
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT 'cpi', m, to_date(m || '-01', 'YYYY-MM-DD'),
       (to_date(m || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, v, src,
       'migration'
FROM (VALUES
    ('2024-05', 131.58, 'Wolters Kluwer Immospector news of 2 July 2024 reproducing Statbel: "in juni 2024 ... gestegen tot 131,87 punten, tegenover 131,58 punten in mei 2024 (2013=100)", https://immospector.kluwer.be/NewsView.aspx?id=kl2843955'),
    ('2024-06', 131.87, 'Wolters Kluwer Immospector news of 2 July 2024 reproducing Statbel: "De consumptieprijsindex is in juni 2024 met 0,29 punt of 0,22% gestegen tot 131,87 punten" (2013=100), https://immospector.kluwer.be/NewsView.aspx?id=kl2843955')
) AS p (m, v, src)
WHERE NOT EXISTS (SELECT 1 FROM reference_values r WHERE r.kind = 'cpi' AND r.key = p.m)
ORDER BY m;

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published price index figures (issue 18 research, third pass)',
       v.kind || ' ' || v.key || ' ' || v.value
FROM reference_values v
WHERE v.kind = 'cpi' AND v.recorded_by = 'migration'
    AND NOT EXISTS (SELECT 1 FROM reference_audit a WHERE a.value_id = v.id)
ORDER BY v.id;
