use super::{CONTENT_WIDTH, wrap};
use crate::fonts::{Fonts, Weight};

#[test]
fn lines_are_no_wider_than_asked_and_keep_every_word() {
    let fonts = Fonts::load().unwrap();
    let face = fonts.face(Weight::Regular);
    let text = "Le Service des créances alimentaires a reçu une demande d'intervention de votre \
                créancier d'aliments, fondée sur un titre exécutoire.";
    for width in [80.0, 150.0, CONTENT_WIDTH] {
        let lines = wrap(face, text, 10.0, width);
        for line in &lines {
            assert!(
                face.width(line, 10.0) <= width,
                "{line:?} wider than {width}"
            );
        }
        assert_eq!(lines.join(" "), text);
    }
}

#[test]
fn no_break_spaces_keep_an_amount_on_one_line() {
    let fonts = Fonts::load().unwrap();
    let face = fonts.face(Weight::Regular);
    let amount = "1\u{202F}234\u{202F}567,89\u{A0}€";
    let lines = wrap(
        face,
        &format!("total {amount} dû"),
        10.0,
        face.width(amount, 10.0) + 1.0,
    );
    assert!(lines.iter().any(|line| line == amount), "{lines:?}");
}

#[test]
fn newlines_break_and_a_too_long_word_is_cut() {
    let fonts = Fonts::load().unwrap();
    let face = fonts.face(Weight::Regular);
    assert_eq!(wrap(face, "a\nb", 10.0, 100.0), ["a", "b"]);
    assert_eq!(wrap(face, "", 10.0, 100.0), [""]);
    let long = "X".repeat(60);
    let lines = wrap(face, &long, 10.0, 100.0);
    assert!(lines.len() > 1);
    assert_eq!(lines.concat(), long);
    assert!(lines.iter().all(|line| face.width(line, 10.0) <= 100.0));
}
