//! The example requests: `examples/<Service>/<Method>[.<variant>].json` at the top of the
//! repository, proto3 JSON as any gRPC-JSON client sends it (`buf curl -d @file`), with
//! `${name}` where a value comes from an earlier answer (a dossier number, a version).
//!
//! A string that is exactly `${name}` becomes the saved value whatever its JSON type (an
//! object, a number); inside a longer string the value is written as text (a date as
//! `YYYY-MM-DD`). Besides saved values:
//! - `${today}`, `${today+N}`, `${today-N}`: the day the tour is played (UTC, as the services
//!   reckon it), N days on or back, as a date (`{"year", "month", "day"}`);
//! - `${file:NAME}`: the file `NAME` next to the example, its own placeholders filled, in
//!   base64 (a `bytes` field such as a camt.053 statement);
//! - `${name|digits}`: only the digits of the value (`+++202/6000/00192+++` → `202600000192`).
//!
//! `envsubst` fills saved values from the variables the demo writes to `.secal/demo.env`.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use base64::Engine as _;
use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};

/// The examples' folder of the source tree this crate was built from.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Values saved from earlier answers, by name.
pub type Vars = BTreeMap<String, Value>;

/// Reads `examples/<name>.json` (`name` as `Service/Method` or `Service/Method.variant`).
pub fn load(dir: &Path, name: &str) -> anyhow::Result<Value> {
    let path = dir.join(format!("{name}.json"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The `Service/Method` an example file is for (`IntakeService/GetDossier.closed` →
/// `IntakeService/GetDossier`).
pub fn rpc_of(name: &str) -> &str {
    match name.split_once('/') {
        Some((service, rest)) => {
            let method_len = rest.find('.').unwrap_or(rest.len());
            &name[..service.len() + 1 + method_len]
        }
        None => name,
    }
}

/// Every example file under `dir`, as `Service/Method[.variant]`.
pub fn all(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for service in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let service = service?;
        if !service.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(service.path())? {
            let file = file?.file_name();
            let file = file.to_string_lossy();
            if let Some(stem) = file.strip_suffix(".json") {
                names.push(format!("{}/{stem}", service.file_name().to_string_lossy()));
            }
        }
    }
    names.sort();
    Ok(names)
}

/// What placeholders are filled from: the saved values, the example's folder (for `file:`)
/// and the day the tour is played.
#[derive(Debug, Clone, Copy)]
pub struct Filler<'a> {
    pub vars: &'a Vars,
    pub dir: &'a Path,
    pub today: NaiveDate,
}

impl<'a> Filler<'a> {
    /// Fills from `vars`, with files read next to `example` under `dir`, on today's date.
    pub fn new(vars: &'a Vars, dir: &'a Path) -> Self {
        Self {
            vars,
            dir,
            today: Utc::now().date_naive(),
        }
    }

    /// The example with every `${…}` replaced; a name never saved is an error naming it.
    pub fn fill(&self, value: &Value) -> anyhow::Result<Value> {
        Ok(match value {
            Value::String(s) => self.fill_text(s)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.fill(v))
                    .collect::<anyhow::Result<_>>()?,
            ),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.fill(v)?)))
                    .collect::<anyhow::Result<_>>()?,
            ),
            other => other.clone(),
        })
    }

    fn fill_text(&self, s: &str) -> anyhow::Result<Value> {
        if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
            && !name.contains('}')
        {
            return self.lookup(name);
        }
        Ok(Value::String(self.fill_str(s)?))
    }

    /// A text with every placeholder written as text.
    fn fill_str(&self, s: &str) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .with_context(|| format!("unclosed placeholder in {s:?}"))?;
            out.push_str(&as_text(&self.lookup(&rest[start + 2..start + end])?));
            rest = &rest[start + end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn lookup(&self, placeholder: &str) -> anyhow::Result<Value> {
        if let Some(file) = placeholder.strip_prefix("file:") {
            let path = self.dir.join(file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let filled = self.fill_str(&text)?;
            return Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(filled),
            ));
        }
        let (name, filter) = match placeholder.split_once('|') {
            Some((name, filter)) => (name, Some(filter)),
            None => (placeholder, None),
        };
        let value = match day(name, self.today)? {
            Some(date) => json!({"year": date.year(), "month": date.month(), "day": date.day()}),
            None => self
                .vars
                .get(name)
                .with_context(|| format!("${{{name}}} is not known at this point of the tour"))?
                .clone(),
        };
        match filter {
            None => Ok(value),
            Some("digits") => Ok(Value::String(
                as_text(&value)
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect(),
            )),
            Some(other) => anyhow::bail!("unknown filter |{other} in ${{{placeholder}}}"),
        }
    }
}

/// `today`, `today+N` or `today-N`, or `None` for another name.
fn day(name: &str, today: NaiveDate) -> anyhow::Result<Option<NaiveDate>> {
    let Some(offset) = name.strip_prefix("today") else {
        return Ok(None);
    };
    if offset.is_empty() {
        return Ok(Some(today));
    }
    let days: i64 = offset
        .strip_prefix('+')
        .unwrap_or(offset)
        .parse()
        .with_context(|| format!("${{{name}}}: expected today, today+N or today-N"))?;
    Ok(Some(today + TimeDelta::days(days)))
}

/// A value written into a text: a string as it is, a date as `YYYY-MM-DD`, else its JSON.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(o)
            if o.len() == 3 && ["year", "month", "day"].iter().all(|k| o.contains_key(*k)) =>
        {
            format!(
                "{:04}-{:02}-{:02}",
                o["year"].as_i64().unwrap_or_default(),
                o["month"].as_i64().unwrap_or_default(),
                o["day"].as_i64().unwrap_or_default()
            )
        }
        other => other.to_string(),
    }
}

/// The value at `path` in an answer: field names as in the JSON (`dossier.dossierNumber`),
/// `[n]` for the n-th item of a list (`payouts[0].id`).
pub fn at<'a>(answer: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(answer, |v, part| {
        let (name, index) = match part.split_once('[') {
            Some((name, i)) => (name, Some(i.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (part, None),
        };
        let v = if name.is_empty() { v } else { v.get(name)? };
        match index {
            Some(i) => v.get(i),
            None => Some(v),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_take_the_saved_value_or_its_text() {
        let vars: Vars = [
            ("n".to_owned(), json!("SEC-1")),
            ("v".to_owned(), json!(3)),
            ("d".to_owned(), json!({"year": 2026})),
        ]
        .into();
        let dir = Path::new(".");
        let filler = Filler {
            vars: &vars,
            dir,
            today: NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date"),
        };
        let filled = filler
            .fill(&json!({"a": "${n}", "b": "${v}", "c": "ref ${n}/${v}", "d": ["${d}"]}))
            .expect("filled");
        assert_eq!(
            filled,
            json!({"a": "SEC-1", "b": 3, "c": "ref SEC-1/3", "d": [{"year": 2026}]})
        );
        let unknown = filler.fill(&json!("${nope}")).expect_err("unknown");
        assert!(unknown.to_string().contains("${nope}"));
    }

    #[test]
    fn days_run_from_today_and_filters_keep_digits() {
        let vars: Vars = [("r".to_owned(), json!("+++202/6000/00192+++"))].into();
        let filler = Filler {
            vars: &vars,
            dir: Path::new("."),
            today: NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date"),
        };
        assert_eq!(
            filler.fill(&json!("${today+1}")).expect("filled"),
            json!({"year": 2027, "month": 1, "day": 1})
        );
        assert_eq!(
            filler
                .fill(&json!("on ${today-30}, ref ${r|digits}"))
                .expect("filled"),
            json!("on 2026-12-01, ref 202600000192")
        );
        assert!(filler.fill(&json!("${today+x}")).is_err());
    }

    #[test]
    fn paths_read_fields_and_list_items() {
        let answer = json!({"dossier": {"parties": [{"id": "p1"}, {"id": "p2"}]}});
        assert_eq!(at(&answer, "dossier.parties[1].id"), Some(&json!("p2")));
        assert_eq!(at(&answer, "dossier.parties[2].id"), None);
        assert_eq!(
            rpc_of("IntakeService/GetDossier.closed"),
            "IntakeService/GetDossier"
        );
        assert_eq!(
            rpc_of("IntakeService/GetDossier"),
            "IntakeService/GetDossier"
        );
    }
}
