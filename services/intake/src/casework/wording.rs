//! The labels of the facts and figures the intake steps put in their letters, and the
//! refusal reasons, in the letter's language. The templates (`secal-letters`) hold the rest
//! of the wording; a change here changes what a letter says, so it is versioned with the data
//! the letter is stored with (the labels are part of the stored input).

use rust_decimal::Decimal;
use secal_letters::Language;
use secal_proto::v1 as pb;

/// A label the steps use.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Label {
    ApplicationReceived,
    Title,
    CreditorCount,
    DeclaredArrears,
    DecidedOn,
    Motivation,
    ProposedOn,
    ArrearsClaimable,
    InterestToDate,
    RefundId,
    AssessmentYear,
    RefundAmount,
    OffsetAmount,
    DebtBefore,
    DebtAfter,
    AnnouncedOffset,
    DebtNow,
    PlannedOn,
    PaidOn,
    PlanId,
    FirstInstalment,
    DueDay,
    InstalmentCount,
    UntilSettled,
    Instalment,
    SizedDebt,
    SeizableAmount,
    EffectiveFrom,
    ReviewOn,
    EndedPlans,
    AsOf,
    TotalDue,
    TotalPaid,
    TotalInterest,
    TotalFee,
    TotalAdvanced,
    Outstanding,
}

pub(crate) fn label(l: Label, lang: Language) -> String {
    use Label as L;
    use Language::{De, Fr, Nl};
    let text = match (l, lang) {
        (L::ApplicationReceived, Fr) => "Demande reçue le",
        (L::ApplicationReceived, Nl) => "Aanvraag ontvangen op",
        (L::ApplicationReceived, De) => "Antrag eingegangen am",
        (L::Title, Fr) => "Titre exécutoire",
        (L::Title, Nl) => "Uitvoerbare titel",
        (L::Title, De) => "Vollstreckbarer Titel",
        (L::CreditorCount, Fr) => "Nombre de créanciers",
        (L::CreditorCount, Nl) => "Aantal schuldeisers",
        (L::CreditorCount, De) => "Anzahl der Gläubiger",
        (L::DeclaredArrears, Fr) => "Arriérés déclarés par le demandeur",
        (L::DeclaredArrears, Nl) => "Door de aanvrager aangegeven achterstallen",
        (L::DeclaredArrears, De) => "Vom Antragsteller angegebene Rückstände",
        (L::DecidedOn, Fr) => "Date de la décision",
        (L::DecidedOn, Nl) => "Datum van de beslissing",
        (L::DecidedOn, De) => "Datum der Entscheidung",
        (L::Motivation, Fr) => "Motivation",
        (L::Motivation, Nl) => "Motivering",
        (L::Motivation, De) => "Begründung",
        (L::ProposedOn, Fr) => "Mandat proposé le",
        (L::ProposedOn, Nl) => "Mandaat voorgesteld op",
        (L::ProposedOn, De) => "Mandat vorgeschlagen am",
        (L::ArrearsClaimable, Fr) => "Arriérés non prescrits",
        (L::ArrearsClaimable, Nl) => "Niet-verjaarde achterstallen",
        (L::ArrearsClaimable, De) => "Nicht verjährte Rückstände",
        (L::InterestToDate, Fr) => "Intérêts à ce jour",
        (L::InterestToDate, Nl) => "Interesten tot heden",
        (L::InterestToDate, De) => "Zinsen bis heute",
        (L::RefundId, Fr) => "Remboursement d'impôt",
        (L::RefundId, Nl) => "Belastingteruggave",
        (L::RefundId, De) => "Steuererstattung",
        (L::AssessmentYear, Fr) => "Exercice d'imposition",
        (L::AssessmentYear, Nl) => "Aanslagjaar",
        (L::AssessmentYear, De) => "Steuerjahr",
        (L::RefundAmount, Fr) => "Montant du remboursement",
        (L::RefundAmount, Nl) => "Bedrag van de teruggave",
        (L::RefundAmount, De) => "Betrag der Erstattung",
        (L::OffsetAmount, Fr) => "Montant compensé",
        (L::OffsetAmount, Nl) => "Gecompenseerd bedrag",
        (L::OffsetAmount, De) => "Verrechneter Betrag",
        (L::DebtBefore, Fr) => "Dette exigible avant la compensation",
        (L::DebtBefore, Nl) => "Opeisbare schuld vóór de compensatie",
        (L::DebtBefore, De) => "Fällige Schuld vor der Verrechnung",
        (L::DebtAfter, Fr) => "Solde de la dette après la compensation",
        (L::DebtAfter, Nl) => "Saldo van de schuld na de compensatie",
        (L::DebtAfter, De) => "Restschuld nach der Verrechnung",
        (L::AnnouncedOffset, Fr) => "Compensation annoncée, annulée",
        (L::AnnouncedOffset, Nl) => "Aangekondigde verrekening, geannuleerd",
        (L::AnnouncedOffset, De) => "Angekündigte Verrechnung, aufgehoben",
        (L::DebtNow, Fr) => "Votre dette exigible ce jour, inchangée",
        (L::DebtNow, Nl) => "Uw opeisbare schuld vandaag, ongewijzigd",
        (L::DebtNow, De) => "Ihre heute fällige Schuld, unverändert",
        (L::PlannedOn, Fr) => "Date prévue du remboursement",
        (L::PlannedOn, Nl) => "Geplande datum van de teruggave",
        (L::PlannedOn, De) => "Geplantes Datum der Erstattung",
        (L::PaidOn, Fr) => "Remboursement versé le",
        (L::PaidOn, Nl) => "Teruggave betaald op",
        (L::PaidOn, De) => "Erstattung gezahlt am",
        (L::PlanId, Fr) => "Plan de paiement",
        (L::PlanId, Nl) => "Afbetalingsplan",
        (L::PlanId, De) => "Zahlungsplan",
        (L::FirstInstalment, Fr) => "Première mensualité le",
        (L::FirstInstalment, Nl) => "Eerste maandelijkse termijn op",
        (L::FirstInstalment, De) => "Erste Monatsrate am",
        (L::DueDay, Fr) => "Jour d'échéance",
        (L::DueDay, Nl) => "Vervaldag",
        (L::DueDay, De) => "Fälligkeitstag",
        (L::InstalmentCount, Fr) => "Nombre de mensualités",
        (L::InstalmentCount, Nl) => "Aantal maandelijkse termijnen",
        (L::InstalmentCount, De) => "Anzahl der Monatsraten",
        (L::UntilSettled, Fr) => "jusqu'à l'apurement de la dette",
        (L::UntilSettled, Nl) => "tot de schuld is aangezuiverd",
        (L::UntilSettled, De) => "bis zur Tilgung der Schuld",
        (L::Instalment, Fr) => "Mensualité",
        (L::Instalment, Nl) => "Maandelijkse termijn",
        (L::Instalment, De) => "Monatsrate",
        (L::SizedDebt, Fr) => "Dette exigible à la date du plan",
        (L::SizedDebt, Nl) => "Opeisbare schuld op de datum van het plan",
        (L::SizedDebt, De) => "Fällige Schuld am Datum des Plans",
        (L::SeizableAmount, Fr) => "Part saisissable de vos revenus mensuels",
        (L::SeizableAmount, Nl) => "Voor beslag vatbaar deel van uw maandinkomen",
        (L::SeizableAmount, De) => "Pfändbarer Teil Ihres Monatseinkommens",
        (L::EffectiveFrom, Fr) => "Surséance à partir du",
        (L::EffectiveFrom, Nl) => "Uitstel vanaf",
        (L::EffectiveFrom, De) => "Aussetzung ab dem",
        (L::ReviewOn, Fr) => "Réexamen de votre solvabilité le",
        (L::ReviewOn, Nl) => "Herbeoordeling van uw solvabiliteit op",
        (L::ReviewOn, De) => "Überprüfung Ihrer Zahlungsfähigkeit am",
        (L::EndedPlans, Fr) => "Plans de paiement clôturés",
        (L::EndedPlans, Nl) => "Beëindigde afbetalingsplannen",
        (L::EndedPlans, De) => "Beendete Zahlungspläne",
        (L::AsOf, Fr) => "Situation au",
        (L::AsOf, Nl) => "Toestand op",
        (L::AsOf, De) => "Stand am",
        (L::TotalDue, Fr) => "Total des pensions échues",
        (L::TotalDue, Nl) => "Totaal vervallen onderhoudsgeld",
        (L::TotalDue, De) => "Summe der fälligen Unterhaltsbeiträge",
        (L::TotalPaid, Fr) => "Total payé",
        (L::TotalPaid, Nl) => "Totaal betaald",
        (L::TotalPaid, De) => "Summe bezahlt",
        (L::TotalInterest, Fr) => "Intérêts",
        (L::TotalInterest, Nl) => "Interesten",
        (L::TotalInterest, De) => "Zinsen",
        (L::TotalFee, Fr) => "Frais de recouvrement",
        (L::TotalFee, Nl) => "Invorderingskosten",
        (L::TotalFee, De) => "Beitreibungskosten",
        (L::TotalAdvanced, Fr) => "Avances versées par le Service",
        (L::TotalAdvanced, Nl) => "Voorschotten betaald door de Dienst",
        (L::TotalAdvanced, De) => "Vom Dienst gezahlte Vorschüsse",
        (L::Outstanding, Fr) => "Solde restant dû",
        (L::Outstanding, Nl) => "Nog verschuldigd saldo",
        (L::Outstanding, De) => "Verbleibender Restbetrag",
    };
    text.to_owned()
}

/// A refusal reason as the refusal letter states it.
pub(crate) fn refusal_reason(r: pb::RefusalReason, lang: Language) -> String {
    use Language::{De, Fr, Nl};
    use pb::RefusalReason as R;
    let text = match (r, lang) {
        (R::NotAdmissible, Fr) => {
            "Moins de deux termes de la pension alimentaire sont restés impayés au cours des \
             douze mois précédant la demande."
        }
        (R::NotAdmissible, Nl) => {
            "Minder dan twee termijnen van het onderhoudsgeld zijn onbetaald gebleven in de \
             twaalf maanden vóór de aanvraag."
        }
        (R::NotAdmissible, De) => {
            "In den zwölf Monaten vor dem Antrag sind weniger als zwei Unterhaltsraten \
             unbezahlt geblieben."
        }
        (R::NoExecutoryTitle, Fr) => {
            "La demande ne comporte pas de titre exécutoire revêtu de la formule exécutoire."
        }
        (R::NoExecutoryTitle, Nl) => {
            "De aanvraag bevat geen uitvoerbare titel met het formulier van tenuitvoerlegging."
        }
        (R::NoExecutoryTitle, De) => {
            "Dem Antrag liegt kein vollstreckbarer Titel mit Vollstreckungsklausel bei."
        }
        (R::DebtorProvedPayment, Fr) => {
            "Le débiteur a prouvé le paiement dans le délai de quinze jours."
        }
        (R::DebtorProvedPayment, Nl) => {
            "De schuldenaar heeft binnen de termijn van vijftien dagen de betaling bewezen."
        }
        (R::DebtorProvedPayment, De) => {
            "Der Schuldner hat die Zahlung innerhalb der Frist von fünfzehn Tagen nachgewiesen."
        }
        (R::ApplicantNotDomiciledInBelgium, Fr) => "Le demandeur n'est pas domicilié en Belgique.",
        (R::ApplicantNotDomiciledInBelgium, Nl) => {
            "De aanvrager heeft zijn woonplaats niet in België."
        }
        (R::ApplicantNotDomiciledInBelgium, De) => {
            "Der Antragsteller hat seinen Wohnsitz nicht in Belgien."
        }
        (R::ArrearsTimeBarred, Fr) => "Tous les arriérés réclamés sont prescrits.",
        (R::ArrearsTimeBarred, Nl) => "Alle gevorderde achterstallen zijn verjaard.",
        (R::ArrearsTimeBarred, De) => "Alle geforderten Rückstände sind verjährt.",
        (R::Other | R::Unspecified, Fr) => "Autre motif : voir la motivation.",
        (R::Other | R::Unspecified, Nl) => "Andere reden: zie de motivering.",
        (R::Other | R::Unspecified, De) => "Anderer Grund: siehe Begründung.",
    };
    text.to_owned()
}

/// Explains a figure the steps print.
pub(crate) fn declared_arrears_explanation(months: usize, lang: Language) -> String {
    match lang {
        Language::Fr => format!(
            "Somme des {months} mois impayés déclarés dans la demande (cadre 4), avant \
             vérification par le Service."
        ),
        Language::Nl => format!(
            "Som van de {months} onbetaalde maanden die in de aanvraag zijn aangegeven (kader 4), \
             vóór controle door de Dienst."
        ),
        Language::De => format!(
            "Summe der {months} im Antrag angegebenen unbezahlten Monate (Rahmen 4), vor \
             Prüfung durch den Dienst."
        ),
    }
}

/// How the mandate's figures were computed, as the proposal states it: from the title
/// (indexed by the Service), or from the declared table when the title could not be used.
pub(crate) fn computed_explanation(
    l: Label,
    basis: pb::MandateBasis,
    on: &str,
    lang: Language,
) -> String {
    let title = basis == pb::MandateBasis::Title;
    match (l, lang) {
        (Label::InterestToDate, Language::Fr) => format!(
            "Intérêts au taux légal sur chaque terme impayé, depuis l'acte qui les fait courir \
             jusqu'au {on}, calculés par le Service."
        ),
        (Label::InterestToDate, Language::Nl) => format!(
            "Interesten tegen de wettelijke rentevoet op elke onbetaalde termijn, vanaf de akte \
             die ze doet lopen tot {on}, berekend door de Dienst."
        ),
        (Label::InterestToDate, Language::De) => format!(
            "Zinsen zum gesetzlichen Zinssatz auf jede unbezahlte Rate, ab der Handlung, die sie \
             laufen lässt, bis zum {on}, vom Dienst berechnet."
        ),
        (_, Language::Fr) if title => format!(
            "Les pensions dues selon le titre exécutoire, indexées comme il le prévoit, depuis \
             le premier mois déclaré impayé jusqu'au {on}, sans les termes que la prescription \
             a atteints, calculées par le Service."
        ),
        (_, Language::Nl) if title => format!(
            "Het onderhoudsgeld verschuldigd volgens de uitvoerbare titel, geïndexeerd zoals \
             die bepaalt, vanaf de eerste als onbetaald aangegeven maand tot {on}, zonder de \
             verjaarde termijnen, berekend door de Dienst."
        ),
        (_, Language::De) if title => format!(
            "Der nach dem vollstreckbaren Titel geschuldete Unterhalt, indexiert wie dieser es \
             vorsieht, vom ersten als unbezahlt angegebenen Monat bis zum {on}, ohne die \
             verjährten Raten, vom Dienst berechnet."
        ),
        (_, Language::Fr) => format!(
            "Les termes impayés déclarés, sans ceux que la prescription a atteints au {on}, \
             calculés par le Service."
        ),
        (_, Language::Nl) => format!(
            "De aangegeven onbetaalde termijnen, zonder de termijnen die op {on} verjaard zijn, \
             berekend door de Dienst."
        ),
        (_, Language::De) => format!(
            "Die angegebenen unbezahlten Raten ohne die am {on} verjährten, vom Dienst berechnet."
        ),
    }
}

/// Where an offset notice's figures come from.
pub(crate) fn offset_explanation(l: Label, lang: Language) -> String {
    let text = match (l, lang) {
        (Label::RefundAmount, Language::Fr) => "Remboursement d'impôt annoncé par le SPF Finances.",
        (Label::RefundAmount, Language::Nl) => "Belastingteruggave gemeld door de FOD Financiën.",
        (Label::RefundAmount, Language::De) => "Vom FÖD Finanzen gemeldete Steuererstattung.",
        (Label::DebtBefore, Language::Fr) => {
            "Dette échue et non prescrite de ce dossier (principal, intérêts et frais), au jour \
             de la proposition."
        }
        (Label::DebtBefore, Language::Nl) => {
            "Vervallen en niet-verjaarde schuld van dit dossier (hoofdsom, interesten en kosten), \
             op de dag van het voorstel."
        }
        (Label::DebtBefore, Language::De) => {
            "Fällige und nicht verjährte Schuld dieser Akte (Hauptsumme, Zinsen und Kosten) am \
             Tag des Vorschlags."
        }
        (Label::DebtAfter, Language::Fr) => {
            "Dette avant la compensation, moins le montant compensé."
        }
        (Label::DebtAfter, Language::Nl) => {
            "Schuld vóór de compensatie, min het gecompenseerde bedrag."
        }
        (Label::DebtAfter, Language::De) => {
            "Schuld vor der Verrechnung abzüglich des verrechneten Betrags."
        }
        (Label::AnnouncedOffset, Language::Fr) => {
            "Montant que le courrier précédent annonçait retenir sur le remboursement : il ne \
             sera pas retenu."
        }
        (Label::AnnouncedOffset, Language::Nl) => {
            "Bedrag dat de vorige brief aankondigde in te houden op de teruggave: het wordt \
             niet ingehouden."
        }
        (Label::AnnouncedOffset, Language::De) => {
            "Betrag, dessen Einbehaltung von der Erstattung das vorige Schreiben ankündigte: er \
             wird nicht einbehalten."
        }
        (Label::DebtNow, Language::Fr) => {
            "Dette échue et non prescrite de ce dossier (principal, intérêts et frais), au jour \
             de l'annulation."
        }
        (Label::DebtNow, Language::Nl) => {
            "Vervallen en niet-verjaarde schuld van dit dossier (hoofdsom, interesten en kosten), \
             op de dag van de annulering."
        }
        (Label::DebtNow, Language::De) => {
            "Fällige und nicht verjährte Schuld dieser Akte (Hauptsumme, Zinsen und Kosten) am \
             Tag der Aufhebung."
        }
        (_, Language::Fr) => {
            "Part du remboursement affectée à la dette de ce dossier, au plus la dette exigible."
        }
        (_, Language::Nl) => {
            "Deel van de teruggave dat naar de schuld van dit dossier gaat, ten hoogste de \
             opeisbare schuld."
        }
        (_, Language::De) => {
            "Teil der Erstattung, der auf die Schuld dieser Akte entfällt, höchstens die fällige \
             Schuld."
        }
    };
    text.to_owned()
}

/// Where a plan letter's figures come from.
pub(crate) fn plan_explanation(l: Label, lang: Language) -> String {
    let text = match (l, lang) {
        (Label::SizedDebt, Language::Fr) => {
            "Principal, intérêts et frais échus de vos dossiers, au jour du plan."
        }
        (Label::SizedDebt, Language::Nl) => {
            "Vervallen hoofdsom, interesten en kosten van uw dossiers, op de dag van het plan."
        }
        (Label::SizedDebt, Language::De) => {
            "Fällige Hauptsumme, Zinsen und Kosten Ihrer Akten am Tag des Plans."
        }
        (Label::SeizableAmount, Language::Fr) => {
            "Article 1409 du Code judiciaire : la part de vos revenus qui peut être saisie, le \
             minimum protégé vous restant."
        }
        (Label::SeizableAmount, Language::Nl) => {
            "Artikel 1409 Gerechtelijk Wetboek: het deel van uw inkomen dat vatbaar is voor \
             beslag; het beschermde minimum blijft u."
        }
        (Label::SeizableAmount, Language::De) => {
            "Artikel 1409 Gerichtsgesetzbuch: der pfändbare Teil Ihres Einkommens; das \
             geschützte Minimum bleibt Ihnen."
        }
        (_, Language::Fr) => "Montant à payer à chaque échéance du plan.",
        (_, Language::Nl) => "Bedrag te betalen op elke vervaldag van het plan.",
        (_, Language::De) => "Bei jeder Fälligkeit des Plans zu zahlender Betrag.",
    };
    text.to_owned()
}

/// A statement month's line: what was due, paid and time-barred (its amount is the open part).
pub(crate) fn statement_month(
    due: Decimal,
    paid: Decimal,
    barred: Decimal,
    lang: Language,
) -> String {
    let f = |d: Decimal| secal_letters::format_amount(d, lang);
    match lang {
        Language::Fr => format!(
            "Dû {}, payé {}, prescrit {} : reste ouvert",
            f(due),
            f(paid),
            f(barred)
        ),
        Language::Nl => format!(
            "Verschuldigd {}, betaald {}, verjaard {}: blijft open",
            f(due),
            f(paid),
            f(barred)
        ),
        Language::De => format!(
            "Fällig {}, bezahlt {}, verjährt {}: bleibt offen",
            f(due),
            f(paid),
            f(barred)
        ),
    }
}

/// What a statement's total counts.
pub(crate) fn statement_total(l: Label, debtor: bool, lang: Language) -> String {
    let text = match (l, debtor, lang) {
        (Label::Outstanding, true, Language::Fr) => {
            "Pensions ouvertes, intérêts et frais non encore payés."
        }
        (Label::Outstanding, true, Language::Nl) => {
            "Open onderhoudsgeld, interesten en kosten die nog niet betaald zijn."
        }
        (Label::Outstanding, true, Language::De) => {
            "Offene Unterhaltsbeiträge, Zinsen und Kosten, die noch nicht bezahlt sind."
        }
        (Label::Outstanding, false, Language::Fr) => {
            "Ce que le créancier peut encore recevoir : principal et intérêts ouverts."
        }
        (Label::Outstanding, false, Language::Nl) => {
            "Wat de schuldeiser nog kan ontvangen: open hoofdsom en interesten."
        }
        (Label::Outstanding, false, Language::De) => {
            "Was der Gläubiger noch erhalten kann: offene Hauptsumme und Zinsen."
        }
        (_, _, Language::Fr) => "Somme des mois ci-dessus, au jour de la situation.",
        (_, _, Language::Nl) => "Som van de maanden hierboven, op de dag van de toestand.",
        (_, _, Language::De) => "Summe der Monate oben, am Stichtag.",
    };
    text.to_owned()
}
