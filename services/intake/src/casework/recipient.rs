//! Whom a letter goes to, as addressed on its issue date: the persons registry's name and the
//! address in force that day, else what the application form gives; and in which language.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::{pbjson, store::DossierRow};

/// The parties a letter of the intake steps goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    Applicant,
    Debtor,
}

impl Party {
    pub(crate) fn db(self) -> &'static str {
        match self {
            Party::Applicant => "APPLICANT",
            Party::Debtor => "DEBTOR",
        }
    }
}

/// A letter's recipient as printed, and where the address comes from.
#[derive(Debug, Clone)]
pub(crate) struct Recipient {
    pub person_id: Option<i64>,
    pub party: Party,
    pub name: String,
    pub address_lines: Vec<String>,
    pub address_source: String,
}

/// The dossier's correspondence language: the one the applicant chose on the form; when the
/// form states none, the language of the applicant's postal code's region (Flanders Dutch,
/// the German-speaking municipalities 4700–4799 German, Wallonia and Brussels French).
pub(crate) fn language(form: &pb::ApplicationForm) -> secal_letters::Language {
    use pb::CorrespondenceLanguage as L;
    use secal_letters::Language;
    let applicant = form.applicant.as_ref();
    match applicant.map(|a| a.language()) {
        Some(L::Fr) => Language::Fr,
        Some(L::Nl) => Language::Nl,
        Some(L::De) => Language::De,
        _ => {
            let code = applicant
                .and_then(|a| a.official_address.as_ref())
                .and_then(|a| a.postal_code.trim().parse::<u32>().ok());
            match code {
                Some(1500..=3999 | 8000..=9999) => Language::Nl,
                Some(4700..=4799) => Language::De,
                _ => Language::Fr,
            }
        }
    }
}

/// The address as printed: street and number (and box), postal code and municipality, the
/// country when not Belgium, then the free lines of a foreign format.
pub(crate) fn address_lines(a: &pb::Address) -> Vec<String> {
    let mut lines = Vec::new();
    let mut street = format!("{} {}", a.street.trim(), a.house_number.trim());
    if !a.box_number.trim().is_empty() {
        street.push_str(&format!(" / {}", a.box_number.trim()));
    }
    let street = street.trim().to_owned();
    if !street.is_empty() {
        lines.push(street);
    }
    let town = format!("{} {}", a.postal_code.trim(), a.municipality.trim());
    if !town.trim().is_empty() {
        lines.push(town.trim().to_owned());
    }
    let country = a.country_code.trim();
    if !country.is_empty() && !country.eq_ignore_ascii_case("BE") {
        lines.push(country.to_uppercase());
    }
    lines.extend(
        a.extra_lines
            .iter()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty()),
    );
    lines
}

#[derive(sqlx::FromRow)]
struct Registered {
    id: i64,
    family_name: String,
    given_names: String,
}

async fn registered(conn: &mut PgConnection, public_id: Uuid) -> ServiceResult<Registered> {
    Ok(
        sqlx::query_as("SELECT id, family_name, given_names FROM persons WHERE public_id = $1")
            .bind(public_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// The registry's address of a person in force on a date, if one was ever recorded.
async fn registry_address(
    conn: &mut PgConnection,
    person_id: i64,
    on: NaiveDate,
) -> ServiceResult<Option<pb::Address>> {
    let row: Option<(Json<serde_json::Value>,)> = sqlx::query_as(
        "SELECT change FROM person_changes
          WHERE person_id = $1 AND kind = $2 AND effective_from <= $3
          ORDER BY effective_from DESC, id DESC LIMIT 1",
    )
    .bind(person_id)
    .bind(pb::PersonChangeKind::Address as i16)
    .bind(on)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((json,)) = row else {
        return Ok(None);
    };
    let change: pb::PersonChange = pbjson::from_json(pbjson::PERSON_CHANGE, &json.0)?;
    Ok(match change.value {
        Some(pb::person_change::Value::Address(a)) => Some(a),
        _ => None,
    })
}

/// The party's name and address from the form (a debtor named without national number is
/// not in the registry).
fn from_form(form: &pb::ApplicationForm, party: Party) -> (String, Option<pb::Address>) {
    match party {
        Party::Applicant => form.applicant.as_ref().map_or((String::new(), None), |a| {
            (
                format!("{} {}", a.given_names.trim(), a.family_name.trim()),
                a.official_address.clone(),
            )
        }),
        Party::Debtor => form.debtor.as_ref().map_or((String::new(), None), |d| {
            (
                format!("{} {}", d.given_names.trim(), d.family_name.trim()),
                d.last_known_address.clone(),
            )
        }),
    }
}

/// Resolves the recipient on the issue date. A letter cannot go to a party without an
/// address: FAILED_PRECONDITION naming who lacks one.
pub(crate) async fn resolve(
    conn: &mut PgConnection,
    row: &DossierRow,
    form: &pb::ApplicationForm,
    party: Party,
    on: NaiveDate,
) -> ServiceResult<Recipient> {
    let public = match party {
        Party::Applicant => row.applicant_public_id,
        Party::Debtor => row.debtor_public_id,
    };
    let (form_name, form_address) = from_form(form, party);
    let (person_id, name, address, source) = match public {
        Some(public) => {
            let p = registered(conn, public).await?;
            let name = format!("{} {}", p.given_names, p.family_name);
            match registry_address(conn, p.id, on).await? {
                Some(a) => (Some(p.id), name, Some(a), "registry".to_owned()),
                None => (Some(p.id), name, form_address, form_source(row)),
            }
        }
        None => (None, form_name, form_address, form_source(row)),
    };
    let address_lines = address.as_ref().map(address_lines).unwrap_or_default();
    if address_lines.is_empty() || name.trim().is_empty() {
        return Err(ServiceError::failed_precondition(
            "NO_ADDRESS",
            format!(
                "the {} has no name and address to write to: record one first",
                party.db().to_lowercase()
            ),
        ));
    }
    Ok(Recipient {
        person_id,
        party,
        name: name.trim().to_owned(),
        address_lines,
        address_source: source,
    })
}

fn form_source(row: &DossierRow) -> String {
    format!("application form revision {}", row.form_revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_prints_as_the_post_expects() {
        let a = pb::Address {
            street: "Rue de la Loi".into(),
            house_number: "16".into(),
            box_number: "3".into(),
            postal_code: "1000".into(),
            municipality: "Bruxelles".into(),
            country_code: "BE".into(),
            extra_lines: vec![],
        };
        assert_eq!(
            address_lines(&a),
            vec!["Rue de la Loi 16 / 3", "1000 Bruxelles"]
        );
    }

    #[test]
    fn without_a_stated_language_the_region_of_the_postal_code_decides() {
        let form = |code: &str| pb::ApplicationForm {
            applicant: Some(pb::ApplicantFrame {
                official_address: Some(pb::Address {
                    postal_code: code.into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        use secal_letters::Language;
        assert_eq!(language(&form("9000")), Language::Nl);
        assert_eq!(language(&form("4700")), Language::De);
        assert_eq!(language(&form("4000")), Language::Fr);
        assert_eq!(language(&form("1000")), Language::Fr);
    }
}
