//! Every letter rendered and read back with poppler (pdftotext, pdftoppm, pdfinfo): what
//! the recipient must find is there, in the right language, on a page that is not blank.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{DOSSIER, PAYMENT_REFERENCE, TRACKING, date, figure, pages, poppler, sample, text};
use rust_decimal::Decimal;
use secal_letters::{
    Channel, Language, LetterError, LetterKind, format_amount, render, render_version,
    template_version,
};
use sha2::{Digest, Sha256};

/// What only a letter in that language says.
fn own_words(language: Language) -> [&'static str; 3] {
    match language {
        Language::Fr => ["Madame, Monsieur,", "Base légale", "Recours"],
        Language::Nl => [
            "Geachte mevrouw, geachte heer,",
            "Rechtsgrond",
            "Bezwaar en beroep",
        ],
        Language::De => [
            "Sehr geehrte Damen und Herren,",
            "Rechtsgrundlage",
            "Rechtsbehelfe",
        ],
    }
}

fn legal_basis(language: Language) -> &'static str {
    match language {
        Language::Fr => {
            "Loi du 21 février 2003 créant un Service des créances alimentaires au sein du SPF Finances"
        }
        Language::Nl => {
            "Wet van 21 februari 2003 tot oprichting van een Dienst voor alimentatievorderingen bij de FOD Financiën"
        }
        Language::De => {
            "Gesetz vom 21. Februar 2003 zur Schaffung eines Dienstes für Unterhaltsforderungen beim FÖD Finanzen"
        }
    }
}

fn deadline(language: Language) -> &'static str {
    match language {
        Language::Fr => "20 mars 2026",
        Language::Nl => "20 maart 2026",
        Language::De => "20. März 2026",
    }
}

/// An amount as pdftotext gives it back: poppler turns the no-break spaces into spaces.
fn as_extracted(amount: Decimal, language: Language) -> String {
    format_amount(amount, language).replace(['\u{202F}', '\u{A0}'], " ")
}

#[test]
fn every_kind_in_every_language_renders_what_the_recipient_must_read() {
    for kind in LetterKind::ALL {
        for language in Language::ALL {
            let input = sample(kind, language);
            let rendered = render(&input).unwrap_or_else(|e| panic!("{kind:?}/{language:?}: {e}"));
            let name = rendered.template_version.clone();
            assert_eq!(name, template_version(kind, language));
            assert_eq!(
                rendered.sha256_hex,
                format!("{:x}", Sha256::digest(&rendered.pdf))
            );

            let text = text(&rendered.pdf);
            let mut expected = vec![
                DOSSIER.to_owned(),
                PAYMENT_REFERENCE.to_owned(),
                TRACKING.to_owned(),
                legal_basis(language).to_owned(),
                deadline(language).to_owned(),
                input.recipient.name.clone(),
                input.reasons[0].clone(),
                input.facts[0].value.clone(),
            ];
            expected.extend(
                input
                    .figures
                    .iter()
                    .map(|f| as_extracted(f.amount, language)),
            );
            expected.extend(own_words(language).map(str::to_owned));
            for wanted in &expected {
                assert!(
                    text.contains(wanted.as_str()),
                    "{name}: {wanted:?} missing in\n{text}"
                );
            }
            for other in Language::ALL.into_iter().filter(|l| *l != language) {
                let word = own_words(other)[0];
                assert!(!text.contains(word), "{name} speaks {other:?}: {word:?}");
            }
            assert_page_one_is_not_blank(&name, &rendered.pdf);
        }
    }
}

/// pdftoppm draws page 1 in grey at 30 dpi (PGM, no decoder needed): a letter darkens a
/// good share of it.
fn assert_page_one_is_not_blank(name: &str, pdf: &[u8]) {
    let pgm = poppler(
        "pdftoppm",
        &["-gray", "-r", "30", "-f", "1", "-l", "1", "-"],
        pdf,
    );
    let pixels = pgm_pixels(&pgm);
    let dark = pixels.iter().filter(|&&p| p < 160).count();
    assert!(
        dark * 100 > pixels.len(),
        "{name}: page 1 looks blank ({dark} dark pixels of {})",
        pixels.len()
    );
}

/// The pixels of a binary PGM (`P5 <width> <height> <max>` then one byte per pixel).
fn pgm_pixels(pgm: &[u8]) -> &[u8] {
    let mut fields = 0;
    let mut i = 0;
    while fields < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields += 1;
    }
    let header = std::str::from_utf8(&pgm[..i]).unwrap();
    let parts: Vec<&str> = header.split_ascii_whitespace().collect();
    assert_eq!(parts[0], "P5", "not a binary PGM");
    let (width, height): (usize, usize) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
    let pixels = &pgm[i + 1..];
    assert_eq!(pixels.len(), width * height);
    pixels
}

#[test]
fn rendering_is_deterministic_and_survives_a_json_round_trip() {
    for language in Language::ALL {
        let input = sample(LetterKind::MandateProposal, language);
        let first = render(&input).unwrap();
        let second = render(&input).unwrap();
        assert_eq!(first, second);

        let json = serde_json::to_string(&input).unwrap();
        let stored: secal_letters::LetterInput = serde_json::from_str(&json).unwrap();
        assert_eq!(stored, input);
        let again = render(&stored).unwrap();
        assert_eq!(again.pdf, first.pdf);
        assert_eq!(again.sha256_hex, first.sha256_hex);

        let mut later = input.clone();
        later.issued_on = date(2026, 3, 6);
        assert_ne!(render(&later).unwrap().sha256_hex, first.sha256_hex);
    }
}

/// A stored letter re-rendered from its stored input and version must give the same bytes,
/// in any process, on any machine, whatever wording is current by then: this letter's hash
/// is pinned to the released wording `debtor-notice.fr.v1`. A new wording is a new version
/// and leaves this test alone; it fails if v1 is lost or edited. Change the hash only when
/// the layout or krilla changes on purpose — and know that letters stored before no longer
/// re-render byte for byte.
#[test]
fn a_known_letter_renders_to_known_bytes() {
    let input = sample(LetterKind::DebtorNotice, Language::Fr);
    let rendered = render_version(&input, "debtor-notice.fr.v1").unwrap();
    assert_eq!(rendered.sha256_hex, KNOWN_DEBTOR_NOTICE_FR_V1);
    assert_eq!(rendered.template_version, "debtor-notice.fr.v1");
}

const KNOWN_DEBTOR_NOTICE_FR_V1: &str =
    "518b09dbe6eb7c59a082c7e20e187cdc9af48273308aa4881c3ce0c6b2c9f79c";

/// `render` is `render_version` with the current version.
#[test]
fn render_uses_the_current_version() {
    for kind in LetterKind::ALL {
        for language in Language::ALL {
            let input = sample(kind, language);
            let current = render(&input).unwrap();
            assert_eq!(current.template_version, template_version(kind, language));
            assert_eq!(
                render_version(&input, template_version(kind, language)).unwrap(),
                current
            );
        }
    }
}

/// Every version ever released (every line of VERSIONS) still renders, and says so in the
/// PDF's metadata.
#[test]
fn every_released_version_renders_again() {
    let versions = include_str!("../templates/VERSIONS")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split(' ').next());
    let mut count = 0;
    for version in versions {
        let (kind, language) = LetterKind::ALL
            .into_iter()
            .flat_map(|k| Language::ALL.map(|l| (k, l)))
            .find(|(k, l)| version.starts_with(&format!("{}.{}.v", k.slug(), l.code())))
            .unwrap_or_else(|| panic!("{version} names no kind and language"));
        let rendered = render_version(&sample(kind, language), version)
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(rendered.template_version, version);
        let info = String::from_utf8(poppler("pdfinfo", &["-"], &rendered.pdf)).unwrap();
        assert!(info.contains(version), "{version}: {info}");
        count += 1;
    }
    assert!(count >= LetterKind::ALL.len() * Language::ALL.len());
}

#[test]
fn a_version_never_released_or_of_another_letter_is_refused() {
    let input = sample(LetterKind::DebtorNotice, Language::Fr);
    match render_version(&input, "debtor-notice.fr.v999") {
        Err(e @ LetterError::UnknownTemplateVersion(_)) => {
            assert!(e.to_string().contains("debtor-notice.fr.v999"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    for other in ["debtor-notice.de.v1", "decision-accepted.fr.v1"] {
        match render_version(&input, other) {
            Err(
                e @ LetterError::TemplateVersionMismatch {
                    kind: LetterKind::DebtorNotice,
                    language: Language::Fr,
                    ..
                },
            ) => assert!(e.to_string().contains(other), "{e}"),
            result => panic!("{other}: {result:?}"),
        }
    }
}

#[test]
fn the_pdf_dates_itself_from_the_letter_not_the_clock() {
    let rendered = render(&sample(LetterKind::DebtorNotice, Language::Fr)).unwrap();
    let info = String::from_utf8(poppler("pdfinfo", &["-isodates", "-"], &rendered.pdf)).unwrap();
    assert!(info.contains("2026-03-05T00:00:00"), "{info}");
    let version = template_version(LetterKind::DebtorNotice, Language::Fr);
    assert!(info.contains(version), "{info}");
    assert!(info.contains("A4"), "{info}");
}

#[test]
fn the_pdf_declares_pdf_a_2b() {
    let rendered = render(&sample(LetterKind::PaymentPlan, Language::Nl)).unwrap();
    let pdf = String::from_utf8_lossy(&rendered.pdf);
    assert!(pdf.contains("<pdfaid:part>2</pdfaid:part>"));
    assert!(pdf.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
}

#[test]
fn eighty_figures_run_over_several_pages() {
    let mut input = sample(LetterKind::DebtorStatement, Language::De);
    input.figures = (1..=80)
        .map(|n| {
            let amount = Decimal::new(15_000 + 181 * n, 2);
            let label = format!("Unterhaltsbeitrag Monat {n}");
            let explanation = format!("Monat {n}: fällig am 1., nicht gezahlt; Index {n}/80.");
            figure(&label, amount, &explanation)
        })
        .collect();
    let rendered = render(&input).unwrap();
    let count = pages(&rendered.pdf);
    assert!(count >= 2, "{count} page(s)");

    let second = String::from_utf8(poppler(
        "pdftotext",
        &["-enc", "UTF-8", "-f", "2", "-l", "2", "-", "-"],
        &rendered.pdf,
    ))
    .unwrap();
    assert!(second.contains(&format!("2/{count}")), "{second}");
    // The table goes on with its header on the next page.
    assert!(
        second.contains("Bezeichnung") && second.contains("Betrag"),
        "{second}"
    );
    let all = text(&rendered.pdf);
    for figure in &input.figures {
        assert!(all.contains(&figure.label), "{} missing", figure.label);
        assert!(all.contains(&as_extracted(figure.amount, Language::De)));
    }
    let last = &input.figures[79];
    assert!(all.contains(&format!(
        "{} {}",
        last.label,
        as_extracted(last.amount, Language::De)
    )));
}

#[test]
fn amounts_are_printed_in_the_language_s_format() {
    let amount = Decimal::new(123_456, 2);
    assert_eq!(
        format_amount(amount, Language::Fr),
        "1\u{202F}234,56\u{A0}€"
    );
    assert_eq!(
        format_amount(amount, Language::De),
        "1\u{202F}234,56\u{A0}€"
    );
    assert_eq!(format_amount(amount, Language::Nl), "€\u{A0}1.234,56");
    for (language, printed) in [
        (Language::Fr, "1 234,56 €"),
        (Language::De, "1 234,56 €"),
        (Language::Nl, "€ 1.234,56"),
    ] {
        let mut input = sample(LetterKind::PostOffsetNotice, language);
        input.figures = vec![figure("x", amount, "")];
        let text = text(&render(&input).unwrap().pdf);
        assert!(
            text.contains(printed),
            "{language:?}: {printed:?} missing in\n{text}"
        );
    }
}

/// The least a letter can carry: no dossier yet, nothing optional.
#[test]
fn a_bare_letter_renders_and_the_acceptance_needs_the_dossier_number() {
    for kind in LetterKind::ALL {
        let mut input = sample(kind, Language::Fr);
        input.dossier_number = String::new();
        input.reference = "APP-2026-0042".to_owned();
        input.payment_reference = None;
        input.respond_by = None;
        input.channel = Channel::EBox;
        (input.facts, input.figures, input.reasons) = (vec![], vec![], vec![]);
        match render(&input) {
            Err(LetterError::MissingField {
                field: "dossier", ..
            }) if kind == LetterKind::DecisionAccepted => {}
            Ok(rendered) => {
                let text = text(&rendered.pdf);
                assert!(
                    text.contains("Numéro de demande APP-2026-0042"),
                    "{kind:?}\n{text}"
                );
                assert!(text.contains("Envoyé par eBox"), "{kind:?}\n{text}");
                assert!(
                    !text.contains("Délai") && !text.contains("Paiement"),
                    "{kind:?}"
                );
            }
            Err(e) => panic!("{kind:?}: {e}"),
        }
    }
}

#[test]
fn the_channel_is_printed_in_the_letter_s_language() {
    let cases = [
        (Channel::Post, Language::Fr, "Envoyé par courrier ordinaire"),
        (Channel::Post, Language::Nl, "Verzonden per gewone post"),
        (Channel::Email, Language::De, "Per E-Mail versandt"),
        (Channel::EBox, Language::Nl, "Verzonden via eBox"),
    ];
    for (channel, language, printed) in cases {
        let mut input = sample(LetterKind::CreditorStatement, language);
        input.channel = channel;
        let text = text(&render(&input).unwrap().pdf);
        assert!(text.contains(printed), "{printed:?} missing in\n{text}");
        assert!(!text.contains(TRACKING));
    }
    let json = serde_json::to_value(Channel::Post).unwrap();
    assert_eq!(json, serde_json::json!({"type": "POST"}));
}

#[test]
fn a_character_the_font_cannot_draw_is_refused() {
    let mut input = sample(LetterKind::DebtorNotice, Language::Fr);
    input.recipient.name = "王小明".to_owned();
    match render(&input) {
        Err(LetterError::UnsupportedCharacter { ch: '王' }) => {}
        other => panic!("{other:?}"),
    }
}

/// The stored input's JSON shape: changing it breaks the re-rendering of stored letters.
#[test]
fn the_input_has_a_stable_json_shape() {
    let input = sample(LetterKind::PreOffsetNotice, Language::Nl);
    let json: serde_json::Value = serde_json::to_value(&input).unwrap();
    assert_eq!(json["kind"], "PRE_OFFSET_NOTICE");
    assert_eq!(json["language"], "nl");
    assert_eq!(json["issued_on"], "2026-03-05");
    assert_eq!(json["channel"]["type"], "REGISTERED_POST");
    assert_eq!(json["channel"]["tracking_number"], TRACKING);
    assert_eq!(json["figures"][0]["amount"], "7174.89");
    assert_eq!(json["payment_reference"], PAYMENT_REFERENCE);
}
