//! The wording of the letters the periodic runs cause — advances granted and ended (the
//! advances run), a payment plan's breach (the missed-instalment detection), the yearly
//! statement — in the letter's language. Like `wording`, a change here changes what a letter
//! says; it is stored with each letter's data.

use chrono::NaiveDate;
use secal_letters::{Language, format_date};
use secal_proto::v1 as pb;

/// A label these letters use.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RunLabel {
    AdvancesFrom,
    AdvancesEndFrom,
    Year,
    YearDue,
    YearPaid,
    YearAdvanced,
    YearInterest,
    YearFee,
    OwedAtYearEnd,
}

pub(crate) fn label(l: RunLabel, lang: Language) -> String {
    use Language::{De, Fr, Nl};
    use RunLabel as L;
    let text = match (l, lang) {
        (L::AdvancesFrom, Fr) => "Avances payées à partir de",
        (L::AdvancesFrom, Nl) => "Voorschotten betaald vanaf",
        (L::AdvancesFrom, De) => "Vorschüsse gezahlt ab",
        (L::AdvancesEndFrom, Fr) => "Plus d'avance à partir de",
        (L::AdvancesEndFrom, Nl) => "Geen voorschot meer vanaf",
        (L::AdvancesEndFrom, De) => "Kein Vorschuss mehr ab",
        (L::Year, Fr) => "Année",
        (L::Year, Nl) => "Jaar",
        (L::Year, De) => "Jahr",
        (L::YearDue, Fr) => "Pensions échues dans l'année",
        (L::YearDue, Nl) => "In het jaar vervallen onderhoudsgeld",
        (L::YearDue, De) => "Im Jahr fällige Unterhaltsbeiträge",
        (L::YearPaid, Fr) => "Payé ou recouvré pour ces mois",
        (L::YearPaid, Nl) => "Betaald of ingevorderd voor deze maanden",
        (L::YearPaid, De) => "Für diese Monate bezahlt oder beigetrieben",
        (L::YearAdvanced, Fr) => "Avances versées pour ces mois",
        (L::YearAdvanced, Nl) => "Voorschotten betaald voor deze maanden",
        (L::YearAdvanced, De) => "Für diese Monate gezahlte Vorschüsse",
        (L::YearInterest, Fr) => "Intérêts de ces mois",
        (L::YearInterest, Nl) => "Interesten van deze maanden",
        (L::YearInterest, De) => "Zinsen dieser Monate",
        (L::YearFee, Fr) => "Frais de recouvrement de ces mois",
        (L::YearFee, Nl) => "Invorderingskosten van deze maanden",
        (L::YearFee, De) => "Beitreibungskosten dieser Monate",
        (L::OwedAtYearEnd, Fr) => "Solde restant dû au 31 décembre",
        (L::OwedAtYearEnd, Nl) => "Nog verschuldigd saldo op 31 december",
        (L::OwedAtYearEnd, De) => "Restbetrag am 31. Dezember",
    };
    text.to_owned()
}

/// The label of a child's advance: "Avance mensuelle pour Léa".
pub(crate) fn advance_for(name: &str, lang: Language) -> String {
    match lang {
        Language::Fr => format!("Avance mensuelle pour {name}"),
        Language::Nl => format!("Maandelijks voorschot voor {name}"),
        Language::De => format!("Monatlicher Vorschuss für {name}"),
    }
}

/// How a child's advance is set, for the month it starts.
pub(crate) fn advance_explanation(month: NaiveDate, lang: Language) -> String {
    let from = format_date(month, lang);
    match lang {
        Language::Fr => format!(
            "La pension due pour l'enfant pour le mois commençant le {from}, dans la limite \
             du montant maximal par enfant en vigueur ce mois."
        ),
        Language::Nl => format!(
            "Het onderhoudsgeld verschuldigd voor het kind voor de maand die begint op {from}, \
             binnen het maximumbedrag per kind dat die maand geldt."
        ),
        Language::De => format!(
            "Der für das Kind geschuldete Unterhalt für den Monat ab dem {from}, begrenzt auf \
             den in diesem Monat geltenden Höchstbetrag je Kind."
        ),
    }
}

/// Why a child's advances end, as the letter states it: "Léa : ...".
pub(crate) fn advances_end_reason(
    name: &str,
    r: pb::AdvanceIneligibilityReason,
    lang: Language,
) -> String {
    use Language::{De, Fr, Nl};
    use pb::AdvanceIneligibilityReason as R;
    let why = match (r, lang) {
        (R::AdultWithoutFamilyAllowance, Fr) => {
            "l'enfant est majeur et n'a plus droit aux allocations familiales."
        }
        (R::AdultWithoutFamilyAllowance, Nl) => {
            "het kind is meerderjarig en heeft geen recht meer op kinderbijslag."
        }
        (R::AdultWithoutFamilyAllowance, De) => {
            "das Kind ist volljährig und hat keinen Anspruch mehr auf Kindergeld."
        }
        (R::AdultRenewalLapsed, Fr) => {
            "l'enfant est majeur et la preuve semestrielle de son droit (attestation de \
             scolarité ou d'allocations familiales) ne nous est pas parvenue à temps."
        }
        (R::AdultRenewalLapsed, Nl) => {
            "het kind is meerderjarig en het halfjaarlijkse bewijs van zijn recht \
             (schoolattest of attest van kinderbijslag) is niet tijdig ontvangen."
        }
        (R::AdultRenewalLapsed, De) => {
            "das Kind ist volljährig und der halbjährliche Nachweis seines Anspruchs \
             (Schulbescheinigung oder Kindergeldbescheinigung) ist nicht rechtzeitig eingegangen."
        }
        (R::IncomeAboveCeiling, Fr) => {
            "vos revenus mensuels nets dépassent le plafond en vigueur, majoré par enfant à \
             charge."
        }
        (R::IncomeAboveCeiling, Nl) => {
            "uw netto maandinkomen overschrijdt het geldende plafond, verhoogd per kind ten \
             laste."
        }
        (R::IncomeAboveCeiling, De) => {
            "Ihr monatliches Nettoeinkommen übersteigt die geltende Obergrenze, erhöht je \
             unterhaltsberechtigtes Kind."
        }
        (R::ChildAged26OrOver, Fr) => "l'enfant a atteint l'âge de 26 ans.",
        (R::ChildAged26OrOver, Nl) => "het kind heeft de leeftijd van 26 jaar bereikt.",
        (R::ChildAged26OrOver, De) => "das Kind hat das 26. Lebensjahr vollendet.",
        (R::ApplicantNotInBelgium, Fr) => "vous n'êtes plus domicilié(e) en Belgique.",
        (R::ApplicantNotInBelgium, Nl) => "u hebt uw woonplaats niet meer in België.",
        (R::ApplicantNotInBelgium, De) => "Sie haben Ihren Wohnsitz nicht mehr in Belgien.",
        (_, Fr) => "les conditions des avances ne sont plus remplies.",
        (_, Nl) => "de voorwaarden voor voorschotten zijn niet meer vervuld.",
        (_, De) => "die Voraussetzungen für Vorschüsse sind nicht mehr erfüllt.",
    };
    format!("{name} : {why}")
}

/// The label of a missed instalment: "Mensualité n° 2 échue le 5 mars 2026".
pub(crate) fn missed_instalment(number: i32, due: NaiveDate, lang: Language) -> String {
    let due = format_date(due, lang);
    match lang {
        Language::Fr => format!("Mensualité n° {number} échue le {due}"),
        Language::Nl => format!("Maandelijkse termijn nr. {number} vervallen op {due}"),
        Language::De => format!("Monatsrate Nr. {number}, fällig am {due}"),
    }
}

/// What a missed instalment's amount is.
pub(crate) fn missed_explanation(lang: Language) -> String {
    let text = match lang {
        Language::Fr => "Partie de la mensualité que vos paiements n'ont pas couverte.",
        Language::Nl => "Deel van de termijn dat uw betalingen niet gedekt hebben.",
        Language::De => "Teil der Monatsrate, den Ihre Zahlungen nicht gedeckt haben.",
    };
    text.to_owned()
}

/// The breach reason: the plan's instalments missed.
pub(crate) fn breach_reason(count: usize, lang: Language) -> String {
    match lang {
        Language::Fr => format!(
            "{count} mensualité(s) du plan n'ont pas été payées à leur échéance, délai de grâce \
             compris."
        ),
        Language::Nl => format!(
            "{count} termijn(en) van het plan werden niet betaald op de vervaldag, \
             respijttermijn inbegrepen."
        ),
        Language::De => format!(
            "{count} Monatsrate(n) des Plans wurden nicht bei Fälligkeit bezahlt, Nachfrist \
             eingeschlossen."
        ),
    }
}

/// What a yearly statement's figure counts.
pub(crate) fn year_explanation(l: RunLabel, year: i32, lang: Language) -> String {
    match (l, lang) {
        (RunLabel::OwedAtYearEnd, Language::Fr) => format!(
            "Tout ce qui restait dû au 31 décembre {year}, toutes années confondues \
             (principal, intérêts et frais ouverts)."
        ),
        (RunLabel::OwedAtYearEnd, Language::Nl) => format!(
            "Alles wat op 31 december {year} nog verschuldigd was, alle jaren samen (open \
             hoofdsom, interesten en kosten)."
        ),
        (RunLabel::OwedAtYearEnd, Language::De) => format!(
            "Alles, was am 31. Dezember {year} noch geschuldet war, alle Jahre zusammen \
             (offene Hauptsumme, Zinsen und Kosten)."
        ),
        (_, Language::Fr) => format!(
            "Somme des mois de janvier à décembre {year}, selon le compte du dossier au 31 \
             décembre {year}."
        ),
        (_, Language::Nl) => format!(
            "Som van de maanden januari tot december {year}, volgens de rekening van het \
             dossier op 31 december {year}."
        ),
        (_, Language::De) => format!(
            "Summe der Monate Januar bis Dezember {year}, nach dem Konto der Akte am 31. \
             Dezember {year}."
        ),
    }
}
