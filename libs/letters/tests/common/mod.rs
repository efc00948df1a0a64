//! Sample inputs and the poppler tools (Debian package `poppler-utils`, installed by
//! `scripts/install-deps`). A missing tool fails the test: a skipped check would let an
//! unreadable letter through unnoticed.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use secal_letters::{Channel, Fact, Figure, Language, LetterInput, LetterKind, Recipient};

pub const DOSSIER: &str = "SEC-2026-000123-45";
pub const REFERENCE: &str = "SEC-2026-000123-45";
pub const PAYMENT_REFERENCE: &str = "+++123/4567/89002+++";
pub const TRACKING: &str = "RR123456785BE";

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A full letter: every optional part present, amounts of the seed's worked examples.
pub fn sample(kind: LetterKind, language: Language) -> LetterInput {
    LetterInput {
        kind,
        language,
        issued_on: date(2026, 3, 5),
        recipient: Recipient {
            name: "Jean-Pierre Dupont-Van den Broeck".to_owned(),
            address_lines: vec![
                "Rue de la Loi 16 bte 3".to_owned(),
                "1000 Bruxelles".to_owned(),
            ],
        },
        dossier_number: DOSSIER.to_owned(),
        reference: REFERENCE.to_owned(),
        payment_reference: Some(PAYMENT_REFERENCE.to_owned()),
        respond_by: Some(date(2026, 3, 20)),
        channel: Channel::RegisteredPost {
            tracking_number: TRACKING.to_owned(),
        },
        facts: vec![
            fact(
                "Titre exécutoire",
                "Jugement du tribunal de la famille de Liège, 12 septembre 2003",
            ),
            fact("Créancier d'aliments", "Léa Dupont (née le 4 mai 2010)"),
            fact("Date de la demande", "1er août 2007"),
        ],
        figures: vec![
            figure(
                "Arriérés – Léa Dupont",
                dec!(7174.89),
                "Pension de 150,00 € due depuis septembre 2003, indexée chaque septembre \
                 (151,81 – 153,62 – 155,43), jamais payée, échéances dues avant le 1er août 2007.",
            ),
            figure(
                "Intérêts au taux légal",
                dec!(1234.56),
                "Intérêt simple, jours réels / 365, au taux de chaque année civile, à partir de \
                 la mise en demeure du 3 mars 2005.",
            ),
            figure(
                "Frais (13 %)",
                dec!(932.74),
                "13 % du principal de 7 174,89 €.",
            ),
        ],
        reasons: vec!["Le titre exécutoire ne porte pas la formule exécutoire.".to_owned()],
    }
}

pub fn fact(label: &str, value: &str) -> Fact {
    Fact {
        label: label.to_owned(),
        value: value.to_owned(),
    }
}

pub fn figure(label: &str, amount: Decimal, explanation: &str) -> Figure {
    Figure {
        label: label.to_owned(),
        amount,
        explanation: explanation.to_owned(),
    }
}

/// Runs a poppler tool on `pdf` (given on stdin as `-`, or as a file when the tool needs
/// one) and returns its stdout.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Vec<u8> {
    let mut child = match Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "{tool} not found: install the Debian package poppler-utils \
             (apt-get install poppler-utils, or run scripts/install-deps)"
        ),
        Err(e) => panic!("could not run {tool}: {e}"),
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(pdf).expect("the tool reads the PDF");
    drop(stdin);
    let output = child.wait_with_output().expect("the tool runs to its end");
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The text of `pdf` (pdftotext), every run of ASCII whitespace made one space: wrapping
/// and page breaks do not split what a test looks for. The no-break spaces inside amounts
/// are kept.
pub fn text(pdf: &[u8]) -> String {
    let raw = poppler("pdftotext", &["-enc", "UTF-8", "-", "-"], pdf);
    let raw = String::from_utf8(raw).expect("pdftotext writes UTF-8");
    raw.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The number of pages (pdfinfo).
pub fn pages(pdf: &[u8]) -> usize {
    let info = String::from_utf8(poppler("pdfinfo", &["-"], pdf)).expect("pdfinfo writes UTF-8");
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gives no page count:\n{info}"))
}
