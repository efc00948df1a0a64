-- Price indices on every base the publisher used, the health index, and the publisher's
-- linking coefficients between bases (issue 18).
--
-- Keys:
--   cpi, health_index   "YYYY-MM" for the base 2013 = 100 (the reference base in force from
--                       January 2014, as every stored CPI key has always meant), or
--                       "YYYY-MM/BBBB" for another base year BBBB (e.g. "2009-05/2004").
--                       A value covers exactly its month.
--   price_index_link    "<series>:<from base>:<to base>", e.g. "cpi:2004:2013": the factor that
--                       converts a monthly index on the first base into the second, as the
--                       publisher lists it. A coefficient is a constant: it is stored valid from
--                       1920-01-01 (the first month of the Belgian CPI), open-ended.
ALTER TABLE reference_values DROP CONSTRAINT reference_values_kind_check;
ALTER TABLE reference_values ADD CONSTRAINT reference_values_kind_check CHECK (kind IN (
    'cpi', 'health_index', 'price_index_link', 'legal_interest_rate', 'advance_cap',
    'applicant_income_ceiling', 'applicant_income_ceiling_child_increment', 'seizure_brackets',
    'debtor_surcharge'));

-- (CASE, not AND: to_date must never see a malformed key.)
ALTER TABLE reference_values DROP CONSTRAINT key_matches_kind;
ALTER TABLE reference_values ADD CONSTRAINT key_matches_kind CHECK (CASE
    WHEN kind = 'price_index_link' THEN
        key ~ '^(cpi|health_index):[0-9]{4}:[0-9]{4}$'
        AND split_part(key, ':', 2) <> split_part(key, ':', 3)
    WHEN kind NOT IN ('cpi', 'health_index') THEN key = ''
    WHEN key !~ '^[0-9]{4}-(0[1-9]|1[0-2])(/[0-9]{4})?$' THEN false
    -- Base 2013 is spelled without suffix: one key per month and base.
    WHEN key ~ '/2013$' THEN false
    ELSE valid_from = to_date(left(key, 7) || '-01', 'YYYY-MM-DD')
        AND valid_to = (to_date(left(key, 7) || '-01', 'YYYY-MM-DD')
                        + interval '1 month - 1 day')::date
    END);

ALTER TABLE reference_values DROP CONSTRAINT cpi_positive;
ALTER TABLE reference_values ADD CONSTRAINT cpi_positive
    CHECK (kind NOT IN ('cpi', 'health_index', 'price_index_link') OR value > 0);
