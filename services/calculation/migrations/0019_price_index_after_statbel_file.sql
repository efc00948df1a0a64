-- The CPI and the health index on base 2013 = 100 after the last month of Statbel's file that
-- migration 0018 loads (November 2023), to July 2026 (CPI) and June 2026 (health index), from
-- a compiled table: a public repository whose monthly series name their sources (Statbel's
-- be.STAT, the Federal Planning Bureau, index tables of social secretariats and publishers; at
-- least two a month, its notes say). It is not the publisher's file, so it was checked before
-- use: its 214 figures of 2015-01..2023-11 are each equal to Statbel's file, and every figure of
-- it already stored here (read in other publications) is equal to it. Statbel keeps publishing
-- the base 2013 beside the base 2025 = 100 introduced in January 2026.
--
-- Only months not stored are added: a figure already stored is not overwritten by a secondary
-- table. Statbel's own file, imported with ImportPriceIndexFile, supersedes any of these that
-- it publishes differently (README, "Price indices, monthly or yearly").
CREATE TABLE compiled_0019 (
    kind  text    NOT NULL,
    key   text    NOT NULL,
    value numeric NOT NULL,
    PRIMARY KEY (kind, key)
);

INSERT INTO compiled_0019 (kind, key, value) VALUES
    ('cpi', '2023-12', 129.45),
    ('cpi', '2024-01', 130.08),
    ('cpi', '2024-02', 131.01),
    ('cpi', '2024-03', 131.73),
    ('cpi', '2024-04', 131.10),
    ('cpi', '2024-05', 131.58),
    ('cpi', '2024-06', 131.87),
    ('cpi', '2024-07', 132.81),
    ('cpi', '2024-08', 132.81),
    ('cpi', '2024-09', 132.15),
    ('cpi', '2024-10', 132.79),
    ('cpi', '2024-11', 133.01),
    ('cpi', '2024-12', 133.54),
    ('cpi', '2025-01', 135.39),
    ('cpi', '2025-02', 135.66),
    ('cpi', '2025-03', 135.56),
    ('cpi', '2025-04', 134.44),
    ('cpi', '2025-05', 134.23),
    ('cpi', '2025-06', 134.70),
    ('cpi', '2025-07', 135.36),
    ('cpi', '2025-08', 135.35),
    ('cpi', '2025-09', 134.95),
    ('cpi', '2025-10', 135.44),
    ('cpi', '2025-11', 136.20),
    ('cpi', '2025-12', 136.29),
    ('cpi', '2026-01', 136.88),
    ('cpi', '2026-02', 137.63),
    ('cpi', '2026-03', 137.79),
    ('cpi', '2026-04', 139.82),
    ('cpi', '2026-05', 139.71),
    ('cpi', '2026-06', 139.29),
    ('cpi', '2026-07', 140.17),
    ('health_index', '2023-12', 129.53),
    ('health_index', '2024-01', 130.19),
    ('health_index', '2024-02', 130.95),
    ('health_index', '2024-03', 131.75),
    ('health_index', '2024-04', 130.85),
    ('health_index', '2024-05', 131.42),
    ('health_index', '2024-06', 131.92),
    ('health_index', '2024-07', 132.84),
    ('health_index', '2024-08', 132.94),
    ('health_index', '2024-09', 132.41),
    ('health_index', '2024-10', 132.96),
    ('health_index', '2024-11', 133.22),
    ('health_index', '2024-12', 133.73),
    ('health_index', '2025-01', 135.52),
    ('health_index', '2025-02', 135.79),
    ('health_index', '2025-03', 135.91),
    ('health_index', '2025-04', 134.77),
    ('health_index', '2025-05', 134.54),
    ('health_index', '2025-06', 135.04),
    ('health_index', '2025-07', 135.60),
    ('health_index', '2025-08', 135.64),
    ('health_index', '2025-09', 135.26),
    ('health_index', '2025-10', 135.76),
    ('health_index', '2025-11', 136.49),
    ('health_index', '2025-12', 136.69),
    ('health_index', '2026-01', 137.37),
    ('health_index', '2026-02', 138.06),
    ('health_index', '2026-03', 137.78),
    ('health_index', '2026-04', 139.33),
    ('health_index', '2026-05', 139.22),
    ('health_index', '2026-06', 139.08);

INSERT INTO reference_values (kind, key, valid_from, valid_to, value, source, recorded_by)
SELECT c.kind, c.key, to_date(c.key || '-01', 'YYYY-MM-DD'),
       (to_date(c.key || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date, c.value,
       CASE c.kind
           WHEN 'cpi' THEN 'Monthly CPI (2013 = 100) as compiled from Statbel (be.STAT), the Federal Planning Bureau and index tables (Securex, Kluwer ImmoSpector, indexatwork.be, essenscia), two sources a month, in github.com/timverschot/financieel-kompas-rebuild commit 1d287bfa919ecc85e452ac947127c4cd6db1d69c, src/data/consumptieprijsindex.ts; equal to Statbel''s file on each of its 107 months 2015-01..2023-11'
           ELSE 'Monthly health index (2013 = 100) as compiled from Statbel (be.STAT), the Federal Planning Bureau and index tables, in github.com/timverschot/financieel-kompas-rebuild commit 09ce1135dd2eefb2c3584f7d93cdf080cd9aa904, src/data/gezondheidsindex.ts; equal to Statbel''s file on each of its 107 months 2015-01..2023-11'
       END,
       'migration'
FROM compiled_0019 c
WHERE NOT EXISTS (
    SELECT 1 FROM reference_values r JOIN reference_live l ON l.value_id = r.id
    WHERE r.kind = c.kind AND r.key = c.key)
ORDER BY c.kind, c.key;

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id,
       'compiled CPI and health index after Statbel''s file (2023-12 to 2026-07)',
       v.kind || ' ' || v.key || ' ' || v.value
FROM reference_values v
WHERE v.kind IN ('cpi', 'health_index') AND v.recorded_by = 'migration'
    AND NOT EXISTS (SELECT 1 FROM reference_audit a WHERE a.value_id = v.id)
ORDER BY v.id;

DROP TABLE compiled_0019;
