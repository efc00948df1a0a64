//! Whether the name on a bank account is a given person's. Money is paid only to an
//! account in the applicant's name (alone or jointly) or the authorised lawyer's; banks
//! write holder names their own way ("DUPONT MARIE", "Mme Marie Dupont-Lambert", no
//! accents), so names are compared word by word, ignoring case, accents and punctuation.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

fn words(s: &str) -> Vec<String> {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// True when every word of `name` is a word of `holder`. An empty name names no one.
/// Given names are not required by callers that pass only the family name: banks often
/// abbreviate them.
pub fn holder_names(holder: &str, name: &str) -> bool {
    let held = words(holder);
    let wanted = words(name);
    !wanted.is_empty() && wanted.iter().all(|w| held.contains(w))
}

#[cfg(test)]
mod tests {
    use super::holder_names;

    #[test]
    fn the_same_name_written_by_a_bank() {
        assert!(holder_names("DUPONT MARIE", "Dupont"));
        assert!(holder_names("Mme Marie Dupont-Lambert", "Dupont-Lambert"));
        assert!(holder_names("Mme Marie Dupont-Lambert", "Dupont"));
        assert!(holder_names("M. et Mme Dupont / Martin", "Martin"));
        assert!(holder_names("Maître LEJEUNE", "Lejeune"));
        assert!(holder_names("Desiree Peeters", "Désirée PEETERS"));
    }

    #[test]
    fn someone_else_or_no_one() {
        assert!(!holder_names("Jean Voisin", "Dupont"));
        // A word that merely contains the name is another name.
        assert!(!holder_names("Marie Dupontel", "Dupont"));
        assert!(!holder_names("Marie Dupont", "Dupont-Lambert"));
        assert!(!holder_names("Marie Dupont", ""));
        assert!(!holder_names("Marie Dupont", " - "));
        assert!(!holder_names("", "Dupont"));
    }
}
