-- More figures the rules need, each read in a page named in its source (issue 18):
--   * art. 1409 seizure thresholds and child increment for 2007 and 2010;
--   * the applicant income ceiling for advances (and its per-child increment) from 2006 to
--     2014 where found: until the law of 12 May 2014 (1,800 EUR from 2015) the law of
--     21 February 2003, art. 4 § 1 (as replaced on 22 December 2003), set it at the amount of
--     art. 1409 § 1 al. 1 of the Judicial Code — the top seizure threshold, with its per-child
--     amount — so a year's ceiling is that year's threshold, read in a SECAL page or, where no
--     SECAL page was found (2007, 2010), in the year's thresholds by that legal link;
--   * the legal interest rate in civil matters before 2003: 8 % to 31 August 1996, 7 % from
--     1 September 1996 (royal decrees of 16 July 1986 and 4 August 1996).
-- Still missing (the rules name them): seizure thresholds 2004, 2005, 2009, 2011; the ceiling
-- for October-December 2005 (only a budget announcement was found), 2009 and 2011; interest
-- before 1990.

INSERT INTO reference_values (kind, valid_from, valid_to, threshold_a, threshold_b, threshold_c,
                              threshold_d, child_increment, source, recorded_by)
VALUES
    ('seizure_brackets', DATE '2007-01-01', DATE '2007-12-31', 923.00, 992.00, 1094.00, 1197.00, 57.00,
     'Art. 1409 thresholds 2007: royal decree of 5 December 2006 implementing art. 1409 § 2 Judicial Code (Moniteur belge 14 December 2006, per the doczz.fr copy of "Quotités des revenus insaisissables et incessibles", https://doczz.fr/doc/4230763/quotit%C3%A9s-des-revenus-insaisissables-et-incessibles); figures read in Zians-Haas Rechtsanwälte, news 29.12.2006 "Lohnpfändungsgrenzen ab 1.1.2007", http://www.zians-haas.be/de/news/2006/Lohnpfaendungsgrenzen_2007.php (one publisher)',
     'migration'),
    ('seizure_brackets', DATE '2010-01-01', DATE '2010-12-31', 978.00, 1050.00, 1159.00, 1268.00, 60.00,
     'Art. 1409 thresholds from 1 January 2010 (the royal decree of December 2009 not identified): La Dernière Heure, "Saisies et cessions", https://www.dhnet.be/conso/travail/saisies-et-cessions-51b7a475e4b0de6db98574f4 and "Saisies lorsqu''il y a des enfants à charge" (60 EUR per child), https://www.dhnet.be/conso/travail/saisies-lorsqu-il-y-a-des-enfants-a-charge-51b7a159e4b0de6db984e7a4; the same amounts on 1 January 2010 in Renate De Advocate, http://renatedeadvocate.be/Page.aspx?item=95',
     'migration');

INSERT INTO reference_values (kind, valid_from, valid_to, value, abolished, source, recorded_by)
SELECT k, f, t, v, false, src, 'migration'
FROM (VALUES
    ('applicant_income_ceiling', DATE '2006-01-01', DATE '2006-12-31', 1175.00,
     'Ceiling = the amount of art. 1409 § 1 al. 1 Judicial Code (law of 21 February 2003 art. 4 § 1 as replaced by the law of 22 December 2003, quoted in the law of 12 May 2014 art. 2, https://vlex.be/vid/cra-ant-spf-assurer-recouvrement-515347146); for 2006 royal decree of 7 December 2005 implementing art. 1409 § 2, art. 3: 1,175 EUR, https://lisloi.be/laws/2005009951'),
    ('applicant_income_ceiling_child_increment', DATE '2006-01-01', DATE '2006-12-31', 56.00,
     'Per-child amount of art. 1409 § 1 al. 4 Judicial Code for 2006 (the ceiling''s increment by the same legal link): royal decree of 7 December 2005, art. 3: 56 EUR, https://lisloi.be/laws/2005009951'),
    ('applicant_income_ceiling', DATE '2007-01-01', DATE '2007-12-31', 1197.00,
     'Ceiling = the amount of art. 1409 § 1 al. 1 Judicial Code (law of 21 February 2003 art. 4 § 1, see the 2006 row); for 2007 the top threshold of the royal decree of 5 December 2006 (the seizure_brackets row of 2007, Zians-Haas, http://www.zians-haas.be/de/news/2006/Lohnpfaendungsgrenzen_2007.php); no SECAL page found'),
    ('applicant_income_ceiling_child_increment', DATE '2007-01-01', DATE '2007-12-31', 57.00,
     'Per-child amount of art. 1409 § 1 al. 4 for 2007 by the same legal link (Zians-Haas, http://www.zians-haas.be/de/news/2006/Lohnpfaendungsgrenzen_2007.php); no SECAL page found'),
    ('applicant_income_ceiling', DATE '2008-01-01', DATE '2008-12-31', 1224.00,
     'leerwiki.nl "Hoe is de alimentatie in België geregeld": DAVO advances only if the income is not above 1.224 euro + 58 euro per child (figures of 2008), https://www.leerwiki.nl/financieel/kosten/woonlasten/alimentatie/3562/hoe-is-de-alimentatie-in-belgie-geregeld/; the same top amount of art. 1409 in 2008 (royal decree of 11 December 2007), http://www.2747.com/2747/law/employment/seizure/2008/belgie1409.html'),
    ('applicant_income_ceiling_child_increment', DATE '2008-01-01', DATE '2008-12-31', 58.00,
     'leerwiki.nl (see the 2008 ceiling): 58 euro per dependent child, https://www.leerwiki.nl/financieel/kosten/woonlasten/alimentatie/3562/hoe-is-de-alimentatie-in-belgie-geregeld/'),
    ('applicant_income_ceiling', DATE '2010-01-01', DATE '2010-12-31', 1268.00,
     'Ceiling = the amount of art. 1409 § 1 al. 1 (law of 21 February 2003 art. 4 § 1, see the 2006 row); for 2010 the top threshold "au-delà de 1.268,01 EUR tout peut être saisi", https://www.dhnet.be/conso/travail/saisies-et-cessions-51b7a475e4b0de6db98574f4; no SECAL page found'),
    ('applicant_income_ceiling_child_increment', DATE '2010-01-01', DATE '2010-12-31', 60.00,
     'Per-child amount of art. 1409 for 2010 by the same legal link: 60 EUR, https://www.dhnet.be/conso/travail/saisies-lorsqu-il-y-a-des-enfants-a-charge-51b7a159e4b0de6db984e7a4'),
    ('applicant_income_ceiling', DATE '2012-01-01', DATE '2012-12-31', 1344.00,
     'SECAL presentation at the GILS round table of 16 February 2012: the creditor''s income limited to 1.344,00 euros net per month plus 64,00 euros per dependent child, http://cdr-gils.be/index.php/themes/21-themes-rcd/34-creances-alimentaires; the same amounts in the royal decree of 12 December 2011 (Moniteur belge 16 December 2011) per https://zians-haas.be/nl/news/2011/Loonbeslag_Loonoverdracht_2012_Belgie_advocaat.php'),
    ('applicant_income_ceiling_child_increment', DATE '2012-01-01', DATE '2012-12-31', 64.00,
     'SECAL presentation at the GILS round table of 16 February 2012 (see the 2012 ceiling), http://cdr-gils.be/index.php/themes/21-themes-rcd/34-creances-alimentaires'),
    ('applicant_income_ceiling', DATE '2013-01-01', DATE '2013-12-31', 1373.00,
     'Belga via Moneytalk/Knack "DAVO betaalt alimentatiegeld uit": for 2013 maximum net income 1.373 euro plus 65 euro per dependent child, https://moneytalk.knack.be/geld-en-beurs/davo-betaalt-alimentatiegeld-uit/article-normal-333925.html; the same in the royal decree of 13 December 2012 (Moniteur belge 19 December 2012) per https://avolink.be/blog/drempels-voor-loonbeslag-en-loonoverdracht-vanaf-1-januari-2013/'),
    ('applicant_income_ceiling_child_increment', DATE '2013-01-01', DATE '2013-12-31', 65.00,
     'Belga via Moneytalk/Knack (see the 2013 ceiling), https://moneytalk.knack.be/geld-en-beurs/davo-betaalt-alimentatiegeld-uit/article-normal-333925.html'),
    ('applicant_income_ceiling', DATE '2014-01-01', DATE '2014-12-31', 1386.00,
     'Zians-Haas avocats 14.07.2014 "Avances alimentaires plus accessibles": before the reform the ceiling was the wage-garnishment ceiling, for 2014 1386 euros, https://zians-haas.be/fr/news/2014/Pensions_alimentaire_defaut_paiement_secal_Belgique_2014.php; raised from 1386 to 1800 EUR from January 2015, http://sophiewilmes.be/?page=855&ln=FR'),
    ('applicant_income_ceiling_child_increment', DATE '2014-01-01', DATE '2014-12-31', 66.00,
     'Zians-Haas avocats 14.07.2014 (see the 2014 ceiling): majoration 66 euros en 2014, https://zians-haas.be/fr/news/2014/Pensions_alimentaire_defaut_paiement_secal_Belgique_2014.php')
) AS c (k, f, t, v, src)
ORDER BY k, f;

INSERT INTO reference_values (kind, valid_from, valid_to, value, source, recorded_by)
VALUES
    ('legal_interest_rate', DATE '1990-01-01', DATE '1996-08-31', 8.00,
     'Legal interest 8 % from 1 Aug 1986 to 31 Aug 1996: royal decree of 16 July 1986 (MB 30 July 1986), changed by royal decree of 4 Aug 1996 (acts listed in the coordination of the law of 5 May 1865, numac 2011000565, http://www.etaamb.be/fr/loi-du-05-mai-1865_n2011000565.html); rate and dates read in the bailiffs'' table http://www.gerechtsdeurwaardersvynck-leys.be/nl/IntrestenGer.html (stored from 1990)',
     'migration'),
    ('legal_interest_rate', DATE '1996-09-01', DATE '2002-12-31', 7.00,
     'Legal interest 7 % from 1 Sep 1996 to 31 Dec 2006: royal decree of 4 Aug 1996 (MB 15 Aug 1996, listed in http://www.etaamb.be/fr/loi-du-05-mai-1865_n2011000565.html); rate and dates read in the bailiffs'' tables http://www.gerechtsdeurwaardersvynck-leys.be/nl/IntrestenGer.html and https://fdocuments.nl/document/wettelijke-interesten-interestpdfvanaf-01012017-bs-27012017-11012018.html (2003 on stored earlier)',
     'migration');

INSERT INTO reference_audit (actor, action, value_id, reason, detail)
SELECT 'migration', 'load', v.id, 'published figures (issue 18 research)', v.kind || ' from ' || v.valid_from
FROM reference_values v
WHERE v.recorded_by = 'migration'
    AND NOT EXISTS (SELECT 1 FROM reference_audit a WHERE a.value_id = v.id)
ORDER BY v.id;
