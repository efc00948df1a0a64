-- Three more CPI months (base 2013 = 100) from a second search for the months migration 0012
-- lacks (issue 18), each read in a page that prints the month and year and reproduces
-- Statbel's release; left out: figures from single press articles, those whose year the page
-- does not print, and one page that contradicts itself (June 2021).
INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT 'cpi', m, to_date(m || '-01', 'YYYY-MM-DD'),
       (to_date(m || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, v, src,
       'migration'
FROM (VALUES
    ('2020-03', 109.53, 'Statbel, "Inflatie daalt voor de tweede maand op rij en bedraagt 0,62%" (consumer price index of March 2020), http://statbel.fgov.be/nl/nieuws/inflatie-daalt-voor-de-tweede-maand-op-rij-en-bedraagt-062'),
    ('2021-05', 111.05, 'Pelckmans Portaal Actua reproducing Statbel, "De inflatie stijgt van 1,23% naar 1,46% in mei" (consumer price index of May 2021), https://actua.pelckmansportaal.be/economie/2021/06/de-inflatie-stijgt-van-123-naar-146-in-mei/'),
    ('2021-08', 112.83, 'Agoria, "Nouvelle accélération de l''inflation en août", 30 August 2021 (consumer price index of August 2021; the same figure in DH.be and RTL.be), https://www.agoria.be/fr/developpement-de-marches/conjoncture/nouvelle-acceleration-de-linflation-en-aout')
) AS p (m, v, src)
ORDER BY m;

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published price index figures (issue 18 research, second pass)',
       v.kind || ' ' || v.key || ' ' || v.value
FROM reference_values v
WHERE v.kind = 'cpi' AND v.recorded_by = 'migration'
    AND NOT EXISTS (SELECT 1 FROM reference_audit a WHERE a.value_id = v.id)
ORDER BY v.id;
