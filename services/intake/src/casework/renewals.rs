//! The adult child's renewal: advances for a child of 18 or over are paid only while the
//! entitlement (family allowance, studies) is proven, for 6 months at a time. The task asks
//! for the proof before the date: the 18th birthday of a child with advances, or the end of
//! the current renewal (the form's `entitlement_valid_until`).

use chrono::{Days, Months, NaiveDate};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceResult, wire};
use sqlx::PgConnection;

use super::tasks::{self, Condition, Subject, TaskKind};

/// A renewal is listed this many days before its date.
const NOTICE_DAYS: u64 = 30;

/// When a child's proof is next needed: the end of the current renewal, else the 18th
/// birthday; `None` for a creditor who is not a child with advances, or whose birth date is
/// not known.
pub(crate) fn next_renewal(c: &pb::CreditorEntry) -> Option<NaiveDate> {
    if c.kind() != pb::CreditorKind::Child || !c.advances_requested {
        return None;
    }
    let until = wire::optional_date_from_pb(
        "entitlement_valid_until",
        c.entitlement_valid_until.as_ref(),
    );
    if let Ok(Some(until)) = until {
        return Some(until);
    }
    let born = wire::optional_date_from_pb("birth_date", c.birth_date.as_ref()).ok()??;
    born.checked_add_months(Months::new(18 * 12))
}

/// After activation or an amendment: the dossier's renewal tasks are those of its current
/// form. A task whose date the form changed (a renewal recorded) or no longer has (advances
/// no longer asked) is closed by `action`; the others stay as they are (claimed, with their
/// history); the form's new dates open new tasks.
pub(crate) async fn refresh(
    conn: &mut PgConnection,
    dossier_id: i64,
    form: &pb::ApplicationForm,
    action: &str,
    caller: &Caller,
) -> ServiceResult<()> {
    let wanted: Vec<Condition> = form
        .creditors
        .iter()
        .filter_map(|c| renewal(dossier_id, c))
        .collect();
    let open = tasks::open_of_dossier(conn, dossier_id, TaskKind::AdultChildRenewal).await?;
    for (subject, due) in &open {
        let kept = wanted
            .iter()
            .any(|w| &w.subject.key() == subject && w.due_on == *due);
        if !kept {
            let key = subject.clone();
            let stale = tasks::Subject::Recorded(key);
            tasks::close(conn, &[TaskKind::AdultChildRenewal], stale, action, caller).await?;
        }
    }
    tasks::open_all(conn, wanted, caller.into()).await
}

/// The renewal task a creditor of the form asks for, if any.
fn renewal(dossier_id: i64, c: &pb::CreditorEntry) -> Option<Condition> {
    let due = next_renewal(c)?;
    let listed = due.checked_sub_days(Days::new(NOTICE_DAYS)).unwrap_or(due);
    Some(Condition {
        kind: TaskKind::AdultChildRenewal,
        subject: Subject::Creditor {
            dossier_id,
            key: c.creditor_key.clone(),
        },
        listed_from: listed,
        due_on: due,
        summary: format!(
            "child {}: ask for the proof of entitlement (family allowance or studies) and \
             record the renewal (AmendDossier) by {due}, or the advances stop",
            c.creditor_key
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(birth: (i32, i32, i32), until: Option<(i32, i32, i32)>) -> pb::CreditorEntry {
        let d = |(y, m, d): (i32, i32, i32)| pb::Date {
            year: y,
            month: m,
            day: d,
        };
        pb::CreditorEntry {
            creditor_key: "c1".into(),
            kind: pb::CreditorKind::Child as i32,
            advances_requested: true,
            birth_date: Some(d(birth)),
            entitlement_valid_until: until.map(d),
            ..Default::default()
        }
    }

    #[test]
    fn a_renewal_is_the_end_of_the_current_one_else_the_18th_birthday() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(next_renewal(&child((2008, 5, 3), None)), date(2026, 5, 3));
        assert_eq!(
            next_renewal(&child((2005, 5, 3), Some((2026, 8, 31)))),
            date(2026, 8, 31)
        );
        let mut no_advances = child((2008, 5, 3), None);
        no_advances.advances_requested = false;
        assert_eq!(next_renewal(&no_advances), None);
    }
}
