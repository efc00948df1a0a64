use sha2::{Digest, Sha256};

use super::{RELEASED, Source, Wording, all_released, current, fill, find, newest, split};
use crate::{Language, LetterError, LetterKind};

/// Every released version and the SHA-256 of its wording.
static VERSIONS: &str = include_str!("../../templates/VERSIONS");

/// Every placeholder a template may use, all with a value.
const ALL_VALUES: [(&str, Option<&str>); 6] = [
    ("issued_on", Some("x")),
    ("dossier", Some("x")),
    ("reference", Some("x")),
    ("respond_by", Some("x")),
    ("payment_reference", Some("x")),
    ("tracking_number", Some("x")),
];

/// The lines of VERSIONS: `(version, hex SHA-256)`.
fn recorded() -> Vec<(&'static str, &'static str)> {
    VERSIONS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').unwrap_or((l, "")))
        .collect()
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn released_versions_are_indexed_by_kind_and_language() {
    for kind in LetterKind::ALL {
        for language in Language::ALL {
            let versions = RELEASED[kind as usize][language as usize];
            assert!(!versions.is_empty());
            for source in versions {
                assert_eq!((source.kind, source.language), (kind, language));
            }
        }
    }
}

/// `<kind>.<lang>.v1`, `v2`, … in order, so that the last is the newest, i.e. the current.
#[test]
fn versions_are_numbered_one_to_n_in_order() {
    for kind in LetterKind::ALL {
        for language in Language::ALL {
            let versions = RELEASED[kind as usize][language as usize];
            for (i, source) in versions.iter().enumerate() {
                let expected = format!("{}.{}.v{}", kind.slug(), language.code(), i + 1);
                assert_eq!(source.version, expected);
            }
            assert_eq!(
                current(kind, language).version,
                format!("{}.{}.v{}", kind.slug(), language.code(), versions.len())
            );
        }
    }
}

#[test]
fn every_released_wording_parses_and_names_only_known_values() {
    for source in all_released() {
        let wording = Wording::of(source).unwrap_or_else(|e| panic!("{}: {e}", source.version));
        assert!(!wording.common.entries.is_empty() && !wording.kind.entries.is_empty());
        for line in source.text.lines().filter(|l| !l.starts_with('[')) {
            if let Err(e) = fill(line, &ALL_VALUES) {
                panic!("{}: {e:?} in {line:?}", source.version);
            }
        }
    }
}

/// Every line of VERSIONS has its wording in the crate, byte for byte: a released wording
/// can be neither edited nor lost (nor its line removed from the table in src/templates.rs).
#[test]
fn every_recorded_version_has_its_wording_in_the_crate() {
    let mut problems = Vec::new();
    for (version, hash) in recorded() {
        match all_released().find(|source| source.version == version) {
            Some(source) if sha256_hex(source.text) == hash => {}
            Some(source) => problems.push(format!(
                "{version}: its released file was edited (SHA-256 {}); restore it and release \
                 the new words as a new version",
                sha256_hex(source.text)
            )),
            None => problems.push(format!(
                "{version}: recorded in templates/VERSIONS but not released by src/templates.rs \
                 (templates/released/<lang>/<kind>.v<N>.txt and its number in RELEASED)"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every released wording is recorded, so that its words are pinned from the start.
#[test]
fn every_released_version_is_recorded() {
    let recorded = recorded();
    let missing: Vec<String> = all_released()
        .filter(|source| !recorded.iter().any(|(v, _)| *v == source.version))
        .map(|source| format!("{} {}", source.version, sha256_hex(source.text)))
        .collect();
    assert!(
        missing.is_empty(),
        "not recorded; append to templates/VERSIONS:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_version_is_recorded_twice() {
    let mut versions: Vec<&str> = recorded().into_iter().map(|(v, _)| v).collect();
    let count = versions.len();
    versions.sort_unstable();
    versions.dedup();
    assert_eq!(
        versions.len(),
        count,
        "a version appears twice in templates/VERSIONS"
    );
}

/// A change to a language's common part (sender, labels, closing) must be released for every
/// kind of that language, or letters would carry two senders.
#[test]
fn the_current_versions_of_a_language_share_one_common_part() {
    for language in Language::ALL {
        let first = current(LetterKind::ALL[0], language);
        let (common, _) = split(first.text).unwrap();
        for kind in LetterKind::ALL {
            let source = current(kind, language);
            let (other, _) = split(source.text).unwrap();
            assert!(
                other == common,
                "{} and {} have different common parts: release the common change for every \
                 kind of the language",
                source.version,
                first.version
            );
        }
    }
}

#[test]
fn a_released_file_splits_into_its_common_and_its_kind_s_part() {
    let text = "[sender]\nA\n[subject]\nObjet\n[footer]\nf\n\n[subject]\nS\n[body]\nB\n";
    assert_eq!(
        split(text),
        Ok((
            "[sender]\nA\n[subject]\nObjet\n[footer]\nf\n\n",
            "[subject]\nS\n[body]\nB\n"
        ))
    );
    // A kind's part may start with a section the common part does not have.
    assert_eq!(
        split("[sender]\nA\n[body]\nB\n"),
        Ok(("[sender]\nA\n", "[body]\nB\n"))
    );
    assert!(split("[sender]\nA\n[footer]\nf\n").is_err());
    // The parts of a real file are what was concatenated: the split loses no byte.
    for source in all_released() {
        let (common, kind) = split(source.text).unwrap();
        assert_eq!(format!("{common}{kind}"), source.text);
        assert!(kind.starts_with("[subject]\n"), "{}", source.version);
    }
}

#[test]
fn a_version_is_found_only_for_its_own_kind_and_language() {
    let (kind, language) = (LetterKind::DebtorNotice, Language::Fr);
    let found = find(all_released(), "debtor-notice.fr.v1", kind, language).unwrap();
    assert_eq!(found.version, "debtor-notice.fr.v1");
    for unknown in [
        "debtor-notice.fr.v999",
        "debtor-notice.fr",
        "",
        "DEBTOR-NOTICE.FR.V1",
    ] {
        match find(all_released(), unknown, kind, language) {
            Err(LetterError::UnknownTemplateVersion(v)) => assert_eq!(v, unknown),
            other => panic!("{unknown:?}: {other:?}"),
        }
    }
    for other in ["debtor-notice.nl.v1", "decision-refused.fr.v1"] {
        match find(all_released(), other, kind, language) {
            Err(LetterError::TemplateVersionMismatch {
                version,
                kind: k,
                language: l,
            }) => assert_eq!((version.as_str(), k, l), (other, kind, language)),
            other => panic!("{other:?}"),
        }
    }
}

/// A wording change, simulated: v2 is released beside v1. The current version is v2, and v1
/// is still found with the very words its VERSIONS line records.
#[test]
fn a_new_wording_becomes_current_and_the_old_one_stays() {
    let (kind, language) = (LetterKind::DebtorNotice, Language::Fr);
    let v1 = find(all_released(), "debtor-notice.fr.v1", kind, language).unwrap();
    let changed: &'static str = Box::leak(v1.text.replace("SECAL", "Service").into_boxed_str());
    let versions = [
        Source { ..*v1 },
        Source {
            version: "debtor-notice.fr.v2",
            text: changed,
            ..*v1
        },
    ];
    assert_eq!(newest(&versions).version, "debtor-notice.fr.v2");
    let old = find(versions.iter(), "debtor-notice.fr.v1", kind, language).unwrap();
    let recorded_v1 = recorded()
        .into_iter()
        .find(|(v, _)| *v == "debtor-notice.fr.v1")
        .map(|(_, hash)| hash);
    assert_eq!(Some(sha256_hex(old.text).as_str()), recorded_v1);
    let new = find(versions.iter(), "debtor-notice.fr.v2", kind, language).unwrap();
    assert_ne!(sha256_hex(new.text), sha256_hex(old.text));
    Wording::of(new).unwrap();
}

#[test]
fn a_malformed_template_is_refused() {
    assert!(super::parse("text before\n[subject]\nx").is_err());
    assert!(super::parse("[subject]\nx\n[subject]\ny").is_err());
    let sections = super::parse("[subject]\nx\n[body]\ny").unwrap();
    assert_eq!(
        sections.check(&["subject", "body", "legal"], 3),
        Err("missing section [legal]".to_owned())
    );
    assert_eq!(
        sections.check(&["subject"], 1),
        Err("unknown section [body]".to_owned())
    );
}

#[test]
fn placeholders_are_filled_or_reported() {
    let values = [("a", Some("1")), ("b", None)];
    assert_eq!(fill("x {a} y", &values), Ok("x 1 y".to_owned()));
    assert_eq!(fill("{b}", &values), Err(super::FillError::Missing("b")));
    assert_eq!(
        fill("{c}", &values),
        Err(super::FillError::Unknown("c".to_owned()))
    );
    assert_eq!(
        fill("{a", &values),
        Err(super::FillError::Unknown("a".to_owned()))
    );
}

#[test]
fn paragraphs_join_lines_and_split_at_blank_lines() {
    let sections = super::parse("[body]\n\none\ntwo\n\n\nthree\n\n").unwrap();
    assert_eq!(sections.paragraphs("body"), ["one two", "three"]);
}
