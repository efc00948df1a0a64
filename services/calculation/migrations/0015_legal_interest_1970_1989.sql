-- The legal interest rate in civil matters (law of 5 May 1865) from 1970 to 1989 (issue 18):
-- the periods of the consolidated text of the law (Justel notes, as reproduced by lisloi.be),
-- each with the act that set it, checked against two published tables (a bailiffs' table of
-- legal interest since 1970 and a law firm's FAQ); the 8 % of 1 August 1986 continues in the
-- row of 1990 (migration 0013). The 4.5 % before 1 July 1970 (royal decree n° 147 of
-- 18 March 1935) is loaded from 1 January 1970 only: the date it took effect was not read,
-- so earlier dates stay missing and the rule names them. One table (19avocats) ends the 8 %
-- of 1974 on 30 July 1981; the law's text and the bailiffs' table start the 12 % on
-- 1 August 1981, which is kept.
INSERT INTO reference_values (kind, valid_from, valid_to, value, source, recorded_by)
VALUES
    ('legal_interest_rate', DATE '1970-01-01', DATE '1970-06-30', 4.50,
     'Legal interest in civil matters 4.5 % until 30 June 1970 (royal decree n° 147 of 18 March 1935): law of 5 May 1865 as consolidated, https://lisloi.be/laws/1865050550 ("jusqu''au 30 juin 1970, à 4,5 %. en matière civile"); same in https://fdocuments.nl/document/wettelijke-interesten-interestpdfvanaf-01012017-bs-27012017-11012018.html',
     'migration'),
    ('legal_interest_rate', DATE '1970-07-01', DATE '1974-10-31', 6.50,
     'Legal interest 6.5 % from 1 July 1970: law of 30 June 1970 (Moniteur belge 24 July 1970), https://lisloi.be/laws/1865050550 ("du 1er juillet 1970 : 6,5 %"); to 31 Oct 1974 per https://fdocuments.nl/document/wettelijke-interesten-interestpdfvanaf-01012017-bs-27012017-11012018.html',
     'migration'),
    ('legal_interest_rate', DATE '1974-11-01', DATE '1981-07-31', 8.00,
     'Legal interest 8 % from 1 November 1974: royal decree of 14 October 1974 (Moniteur belge 19 October 1974), https://lisloi.be/laws/1865050550 ("du 1er novembre 1974 : 8 %"); acts listed in http://www.etaamb.be/fr/loi-du-05-mai-1865_n2011000565.html',
     'migration'),
    ('legal_interest_rate', DATE '1981-08-01', DATE '1985-07-31', 12.00,
     'Legal interest 12 % from 1 August 1981: royal decree of 28 July 1981 (Moniteur belge 8 August 1981), https://lisloi.be/laws/1865050550 ("du 1er août 1981 : 12 %"); to 31 July 1985 per https://fdocuments.nl/document/wettelijke-interesten-interestpdfvanaf-01012017-bs-27012017-11012018.html',
     'migration'),
    ('legal_interest_rate', DATE '1985-08-01', DATE '1986-07-31', 10.00,
     'Legal interest 10 % from 1 August 1985: royal decree of 17 July 1985 (Moniteur belge 23 July 1985), https://lisloi.be/laws/1865050550 ("du 1er août 1985 : 10 %"); to 31 July 1986 per https://19avocats.org/faqs/generalites/',
     'migration'),
    ('legal_interest_rate', DATE '1986-08-01', DATE '1989-12-31', 8.00,
     'Legal interest 8 % from 1 August 1986 (continued in the 1990 row): royal decree of 16 July 1986 (Moniteur belge 30 July 1986), https://fdocuments.nl/document/wettelijke-interesten-interestpdfvanaf-01012017-bs-27012017-11012018.html ("van 01.08.1986 tot 31.08.1996: 8,00 %"); https://19avocats.org/faqs/generalites/',
     'migration');

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published figures (issue 18 research)', v.kind || ' from ' || v.valid_from
FROM reference_values v
WHERE v.recorded_by = 'migration'
    AND NOT EXISTS (SELECT 1 FROM reference_audit a WHERE a.value_id = v.id)
ORDER BY v.id;
