//! The calculation service's reference data through real gRPC on a real PostgreSQL: the
//! figures the migrations load, the value in force on a date, and the administrators' way of
//! adding, ending and correcting values (idempotent, validated, audited, all or nothing).

use crate::common;
#[path = "e2e_calculation_reference_import.rs"]
mod import;

use common::*;
use secal_proto::v1::{
    self as pb, ReferenceKind, calculation_service_client::CalculationServiceClient,
    reference_value::StructuredValue,
};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use tonic::{Code, transport::Channel};

type Client = CalculationServiceClient<Channel>;

struct Ctx {
    suite: Suite,
    client: Client,
    reader: String,
    admin: String,
}

async fn start() -> anyhow::Result<Ctx> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let client = CalculationServiceClient::new(suite.channel(Svc::Calculation).await?);
    let reader = suite.agent_token("agent-calc", &[roles::CALCULATION_USER])?;
    let admin = suite.agent_token("agent-ref", &[roles::REFERENCE_DATA_ADMIN])?;
    Ok(Ctx {
        suite,
        client,
        reader,
        admin,
    })
}

impl Ctx {
    async fn get(
        &mut self,
        kind: ReferenceKind,
        key: &str,
        on: (i32, i32, i32),
    ) -> Result<pb::ReferenceValue, tonic::Status> {
        let req = pb::GetReferenceValueRequest {
            kind: kind as i32,
            key: key.into(),
            in_force_on: date(on.0, on.1, on.2),
        };
        let resp = self
            .client
            .get_reference_value(self.suite.request(&self.reader, req))
            .await?;
        Ok(resp.into_inner().value.unwrap_or_default())
    }

    /// Every page of a listing.
    async fn list(
        &mut self,
        req: pb::ListReferenceValuesRequest,
    ) -> anyhow::Result<Vec<pb::ReferenceValue>> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .client
                .list_reference_values(self.suite.request(
                    &self.reader,
                    pb::ListReferenceValuesRequest {
                        page: Some(pb::PageRequest {
                            page_size: 5,
                            page_token: token,
                        }),
                        ..req.clone()
                    },
                ))
                .await?
                .into_inner();
            out.extend(page.values);
            token = page.page.unwrap_or_default().next_page_token;
            if token.is_empty() {
                return Ok(out);
            }
        }
    }

    async fn add(
        &mut self,
        req: pb::AddReferenceValueRequest,
    ) -> Result<pb::AddReferenceValueResponse, tonic::Status> {
        Ok(self
            .client
            .add_reference_value(self.suite.request(&self.admin, req))
            .await?
            .into_inner())
    }

    /// Rows of the value history and of its audit trail, to check nothing else was written.
    async fn row_counts(&self) -> anyhow::Result<(i64, i64)> {
        let admin = self.suite.admin_pool().await?;
        let values: i64 = sqlx::query_scalar("SELECT count(*) FROM calculation.reference_values")
            .fetch_one(&admin)
            .await?;
        let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM calculation.reference_audit")
            .fetch_one(&admin)
            .await?;
        Ok((values, audit))
    }
}

fn number(
    kind: ReferenceKind,
    value: &str,
    from: Option<pb::Date>,
    to: Option<pb::Date>,
) -> pb::ReferenceValue {
    pb::ReferenceValue {
        kind: kind as i32,
        value: value.into(),
        valid_from: from,
        valid_to: to,
        source: "Moniteur belge, test notice".into(),
        ..Default::default()
    }
}

fn add_req(k: &str, value: pb::ReferenceValue) -> pb::AddReferenceValueRequest {
    pb::AddReferenceValueRequest {
        idempotency_key: key(k),
        value: Some(value),
        ..Default::default()
    }
}

fn brackets(v: &pb::ReferenceValue) -> Vec<String> {
    match &v.structured_value {
        Some(StructuredValue::SeizureBrackets(b)) => [
            &b.threshold_a,
            &b.threshold_b,
            &b.threshold_c,
            &b.threshold_d,
            &b.child_increment,
        ]
        .into_iter()
        .map(|m| m.clone().unwrap_or_default().amount)
        .collect(),
        _ => Vec::new(),
    }
}

fn surcharge(v: &pb::ReferenceValue) -> (String, String) {
    match &v.structured_value {
        Some(StructuredValue::SurchargeRule(s)) => (
            s.debtor_surcharge_percent.clone(),
            s.creditor_deduction_percent.clone(),
        ),
        _ => Default::default(),
    }
}

#[tokio::test]
async fn the_migrated_figures_are_listed_and_found_in_force() -> anyhow::Result<()> {
    let mut c = start().await?;

    let b2024 = c
        .get(ReferenceKind::SeizureBrackets, "", (2024, 6, 1))
        .await?;
    assert_eq!(
        brackets(&b2024),
        ["1341.00", "1440.00", "1589.00", "1738.00", "83.00"]
    );
    assert_eq!(
        (b2024.valid_from, b2024.valid_to),
        (date(2024, 1, 1), date(2024, 12, 31))
    );
    assert!(b2024.value.is_empty());
    let b2015 = c
        .get(ReferenceKind::SeizureBrackets, "", (2015, 1, 1))
        .await?;
    assert_eq!(
        brackets(&b2015),
        ["1069.00", "1148.00", "1267.00", "1386.00", "66.00"]
    );
    let all_brackets = c
        .list(pb::ListReferenceValuesRequest {
            kind: ReferenceKind::SeizureBrackets as i32,
            ..Default::default()
        })
        .await?;
    // In force from a date: several sets in the years of the temporary increases (2020-2023).
    let starts: Vec<_> = all_brackets
        .iter()
        .map(|v| {
            v.valid_from
                .map(|d| (d.year, d.month, d.day))
                .unwrap_or_default()
        })
        .collect();
    assert!(starts.is_sorted(), "oldest first: {starts:?}");
    let years: std::collections::BTreeSet<_> = starts.iter().map(|s| s.0).collect();
    let loaded: std::collections::BTreeSet<_> = [2006, 2007, 2008, 2010]
        .into_iter()
        .chain(2012..=2026)
        .collect();
    assert_eq!(years, loaded, "the years whose publication was found");
    assert!(
        starts.contains(&(2022, 11, 3)),
        "the increase of 3 November 2022"
    );

    let rate = c
        .get(ReferenceKind::LegalInterestRate, "", (2007, 3, 1))
        .await?;
    assert_eq!(rate.value, "6");
    assert!(rate.source.contains("Moniteur belge"), "{}", rate.source);
    assert_eq!(rate.recorded.map(|r| r.actor).as_deref(), Some("migration"));
    let rates = c
        .list(pb::ListReferenceValuesRequest {
            kind: ReferenceKind::LegalInterestRate as i32,
            in_force_on: date(2009, 6, 1),
            ..Default::default()
        })
        .await?;
    let figures: Vec<_> = rates.iter().map(|r| r.value.as_str()).collect();
    assert_eq!(figures, ["5.5"]);
    // 2026 was checked against its publication (migration 0008): same figure, cited source,
    // the design-notes value kept as superseded history.
    let rate_2026 = c
        .get(ReferenceKind::LegalInterestRate, "", (2026, 6, 1))
        .await?;
    assert_eq!(rate_2026.value, "4.5");
    assert!(
        rate_2026.source.contains("Moniteur belge"),
        "{}",
        rate_2026.source
    );
    assert!(!rate_2026.supersedes_reference_value_id.is_empty());
    let unverified = c
        .get(ReferenceKind::LegalInterestRate, "", (2025, 6, 1))
        .await?;
    assert!(unverified.supersedes_reference_value_id.is_empty());

    let cap = c.get(ReferenceKind::AdvanceCap, "", (2030, 1, 1)).await?;
    assert_eq!((cap.value.as_str(), cap.valid_to), ("175", None));
    assert_eq!(cap.valid_from, date(2005, 10, 1));

    let ceiling = c
        .get(ReferenceKind::ApplicantIncomeCeiling, "", (2019, 6, 1))
        .await?;
    assert_eq!(ceiling.value, "1800");
    let ceiling = c
        .get(ReferenceKind::ApplicantIncomeCeiling, "", (2020, 5, 31))
        .await?;
    assert_eq!(ceiling.value, "2200");
    let abolished = c
        .get(ReferenceKind::ApplicantIncomeCeiling, "", (2021, 1, 1))
        .await?;
    assert!(abolished.abolished, "no ceiling is data: {abolished:?}");
    assert!(abolished.value.is_empty() && abolished.structured_value.is_none());
    let increment = c
        .get(
            ReferenceKind::ApplicantIncomeCeilingChildIncrement,
            "",
            (2017, 5, 1),
        )
        .await?;
    assert_eq!(increment.value, "67");
    let increment = c
        .get(
            ReferenceKind::ApplicantIncomeCeilingChildIncrement,
            "",
            (2022, 1, 1),
        )
        .await?;
    assert!(increment.abolished);

    let from_2015 = c
        .get(ReferenceKind::DebtorSurcharge, "", (2015, 1, 1))
        .await?;
    assert_eq!(surcharge(&from_2015), ("13".into(), "0".into()));
    let before = c
        .get(ReferenceKind::DebtorSurcharge, "", (2014, 12, 31))
        .await?;
    assert_eq!(surcharge(&before), ("10".into(), "5".into()));

    // CPI: only figures retrieved from a publication, each citing it.
    let cpi = c.get(ReferenceKind::Cpi, "2023-10", (2023, 10, 15)).await?;
    assert_eq!(
        (cpi.key.as_str(), cpi.value.as_str()),
        ("2023-10", "128.67")
    );
    assert!(cpi.source.contains("Moniteur belge"));
    let months = c
        .list(pb::ListReferenceValuesRequest {
            kind: ReferenceKind::Cpi as i32,
            ..Default::default()
        })
        .await?;
    assert!(
        months
            .iter()
            .all(|m| !m.source.is_empty() && m.valid_to.is_some())
    );
    let one = c
        .list(pb::ListReferenceValuesRequest {
            kind: ReferenceKind::Cpi as i32,
            key: "2024-01".into(),
            ..Default::default()
        })
        .await?;
    assert_eq!(one.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_missing_value_is_not_found_naming_kind_key_and_date() -> anyhow::Result<()> {
    let mut c = start().await?;
    let s = c
        .get(ReferenceKind::LegalInterestRate, "", (1969, 6, 1))
        .await
        .map(|_| ());
    let s = assert_code(s, Code::NotFound);
    for part in ["legal_interest_rate", "no key", "1969-06-01"] {
        assert!(s.message().contains(part), "{}", s.message());
    }
    let s = assert_code(
        c.get(ReferenceKind::Cpi, "1993-05", (1993, 5, 1))
            .await
            .map(|_| ()),
        Code::NotFound,
    );
    for part in ["cpi", "1993-05", "1993-05-01"] {
        assert!(s.message().contains(part), "{}", s.message());
    }

    let s = assert_code(
        c.client
            .get_reference_value(
                c.suite
                    .request(&c.reader, pb::GetReferenceValueRequest::default()),
            )
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["kind", "in_force_on"]);
    let s = assert_code(
        c.get(ReferenceKind::Cpi, "2024-1", (2024, 1, 1))
            .await
            .map(|_| ()),
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["key"]);
    let s = assert_code(
        c.get(ReferenceKind::AdvanceCap, "2024-01", (2024, 1, 1))
            .await
            .map(|_| ()),
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["key"]);
    Ok(())
}

#[tokio::test]
async fn adding_a_value_is_idempotent_audited_and_refused_when_it_overlaps() -> anyhow::Result<()> {
    let mut c = start().await?;
    let (values_before, audit_before) = c.row_counts().await?;
    let rate_2027 = || {
        add_req(
            "rate-2027",
            number(
                ReferenceKind::LegalInterestRate,
                "4.25",
                date(2027, 1, 1),
                date(2027, 12, 31),
            ),
        )
    };
    // 2026 is closed: next year's rate just follows it.
    let first = c.add(rate_2027()).await?;
    let again = c.add(rate_2027()).await?;
    assert_eq!(first, again, "a retry returns the first answer");
    let added = first.value.clone().unwrap_or_default();
    assert!(first.affected.is_empty());
    assert_eq!(added.value, "4.25");
    assert!(!added.reference_value_id.is_empty());
    let recorded = added.recorded.clone().unwrap_or_default();
    assert_eq!(
        (recorded.actor.as_str(), recorded.via.as_str()),
        ("agent-ref", "")
    );
    assert!(!recorded.at.is_empty());
    assert_eq!(
        c.get(ReferenceKind::LegalInterestRate, "", (2027, 7, 1))
            .await?,
        added
    );

    let mut other = rate_2027();
    if let Some(v) = other.value.as_mut() {
        v.value = "4.5".into();
    }
    let s = assert_code(c.add(other).await, Code::FailedPrecondition);
    assert!(s.message().contains("idempotency key"), "{}", s.message());

    // Overlapping a stored value is refused, naming it; nothing is written.
    let overlap = add_req(
        "rate-overlap",
        number(
            ReferenceKind::LegalInterestRate,
            "3",
            date(2026, 7, 1),
            date(2027, 6, 30),
        ),
    );
    let s = assert_code(c.add(overlap).await, Code::FailedPrecondition);
    assert!(
        s.message()
            .contains("legal_interest_rate 4.5 (2026-01-01..2026-12-31"),
        "{}",
        s.message()
    );
    let (values, audit) = c.row_counts().await?;
    assert_eq!((values, audit), (values_before + 1, audit_before + 1));

    let admin = c.suite.admin_pool().await?;
    let (actor, action, detail): (String, String, String) = sqlx::query_as(
        "SELECT actor, action, detail FROM calculation.reference_audit ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!((actor.as_str(), action.as_str()), ("agent-ref", "add"));
    assert!(detail.contains("4.25"), "{detail}");

    // History is append-only, even for the service's own role.
    let own = c.suite.role_pool(Svc::Calculation).await?;
    for tamper in [
        "UPDATE calculation.reference_values SET value = 1",
        "DELETE FROM calculation.reference_values",
        "DELETE FROM calculation.reference_audit",
        "DELETE FROM calculation.reference_live",
    ] {
        assert!(sqlx::query(tamper).execute(&own).await.is_err(), "{tamper}");
    }
    Ok(())
}

#[tokio::test]
async fn an_open_ended_value_is_ended_by_its_successor() -> anyhow::Result<()> {
    let mut c = start().await?;
    let cap = c.get(ReferenceKind::AdvanceCap, "", (2026, 1, 1)).await?;
    let new_cap = || number(ReferenceKind::AdvanceCap, "200", date(2027, 1, 1), None);

    let s = assert_code(
        c.add(add_req("cap-1", new_cap())).await,
        Code::FailedPrecondition,
    );
    assert!(
        s.message()
            .contains(&format!("end_open_value_id {}", cap.reference_value_id))
    );

    let s = assert_code(
        c.add(pb::AddReferenceValueRequest {
            end_open_value_id: cap.reference_value_id.clone(),
            ..add_req("cap-2", new_cap())
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["reason"]);

    let resp = c
        .add(pb::AddReferenceValueRequest {
            end_open_value_id: cap.reference_value_id.clone(),
            reason: "cap raised by royal decree".into(),
            ..add_req("cap-3", new_cap())
        })
        .await?;
    let [original, ending] = resp.affected.as_slice() else {
        panic!(
            "expected the original and its ending copy: {:?}",
            resp.affected
        );
    };
    assert_eq!(original.reference_value_id, cap.reference_value_id);
    assert_eq!(
        original.superseded_by_reference_value_id,
        ending.reference_value_id
    );
    assert_eq!(original.valid_to, None, "the original stays as it was");
    assert_eq!(
        (ending.value.as_str(), ending.valid_to),
        ("175", date(2026, 12, 31))
    );
    assert_eq!(ending.supersedes_reference_value_id, cap.reference_value_id);
    assert_eq!(ending.reason, "cap raised by royal decree");

    assert_eq!(
        c.get(ReferenceKind::AdvanceCap, "", (2026, 12, 31))
            .await?
            .value,
        "175"
    );
    assert_eq!(
        c.get(ReferenceKind::AdvanceCap, "", (2027, 1, 1))
            .await?
            .value,
        "200"
    );
    let live = c
        .list(pb::ListReferenceValuesRequest {
            kind: ReferenceKind::AdvanceCap as i32,
            ..Default::default()
        })
        .await?;
    let live: Vec<_> = live
        .iter()
        .map(|v| (v.value.as_str(), v.valid_to))
        .collect();
    assert_eq!(live, [("175", date(2026, 12, 31)), ("200", None)]);
    let history = c
        .list(pb::ListReferenceValuesRequest {
            kind: ReferenceKind::AdvanceCap as i32,
            include_superseded: true,
            ..Default::default()
        })
        .await?;
    assert_eq!(history.len(), 3);

    // An ended value cannot be ended again.
    let s = assert_code(
        c.add(pb::AddReferenceValueRequest {
            end_open_value_id: cap.reference_value_id.clone(),
            reason: "again".into(),
            ..add_req(
                "cap-4",
                number(ReferenceKind::AdvanceCap, "210", date(2028, 1, 1), None),
            )
        })
        .await,
        Code::FailedPrecondition,
    );
    assert!(
        s.message().contains("already superseded"),
        "{}",
        s.message()
    );
    Ok(())
}

#[tokio::test]
async fn a_corrected_value_is_superseded_and_kept_for_audit() -> anyhow::Result<()> {
    let mut c = start().await?;
    let wrong = c
        .get(ReferenceKind::LegalInterestRate, "", (2025, 3, 1))
        .await?;
    let correction = pb::AddReferenceValueRequest {
        supersedes_reference_value_id: wrong.reference_value_id.clone(),
        reason: "published figure corrected".into(),
        ..add_req(
            "fix-2025",
            number(
                ReferenceKind::LegalInterestRate,
                "4.4",
                date(2025, 1, 1),
                date(2025, 12, 31),
            ),
        )
    };
    let resp = c.add(correction).await?;
    let fixed = resp.value.clone().unwrap_or_default();
    assert_eq!(
        fixed.supersedes_reference_value_id,
        wrong.reference_value_id
    );
    assert_eq!(fixed.reason, "published figure corrected");
    assert_eq!(resp.affected.len(), 1);
    assert_eq!(
        resp.affected[0].superseded_by_reference_value_id,
        fixed.reference_value_id
    );

    assert_eq!(
        c.get(ReferenceKind::LegalInterestRate, "", (2025, 3, 1))
            .await?,
        fixed
    );
    let in_2025 = |include_superseded| pb::ListReferenceValuesRequest {
        kind: ReferenceKind::LegalInterestRate as i32,
        in_force_on: date(2025, 3, 1),
        include_superseded,
        ..Default::default()
    };
    let live = c.list(in_2025(false)).await?;
    assert_eq!(live, std::slice::from_ref(&fixed));
    let both = c.list(in_2025(true)).await?;
    let figures: Vec<_> = both
        .iter()
        .map(|v| {
            (
                v.value.as_str(),
                v.superseded_by_reference_value_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        figures,
        [("4.5", fixed.reference_value_id.as_str()), ("4.4", "")]
    );

    let admin = c.suite.admin_pool().await?;
    let (action, reason): (String, String) = sqlx::query_as(
        "SELECT action, reason FROM calculation.reference_audit ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!(
        (action.as_str(), reason.as_str()),
        ("correct", "published figure corrected")
    );

    // A value of another kind cannot be corrected by this one.
    let cap = c.get(ReferenceKind::AdvanceCap, "", (2026, 1, 1)).await?;
    let s = assert_code(
        c.add(pb::AddReferenceValueRequest {
            supersedes_reference_value_id: cap.reference_value_id,
            reason: "wrong series".into(),
            ..add_req(
                "fix-cross",
                number(
                    ReferenceKind::LegalInterestRate,
                    "4",
                    date(2025, 1, 1),
                    date(2025, 12, 31),
                ),
            )
        })
        .await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains("advance_cap"), "{}", s.message());
    let s = assert_code(
        c.add(pb::AddReferenceValueRequest {
            supersedes_reference_value_id: "999999".into(),
            reason: "nothing there".into(),
            ..add_req(
                "fix-missing",
                number(
                    ReferenceKind::LegalInterestRate,
                    "4",
                    date(2025, 1, 1),
                    date(2025, 12, 31),
                ),
            )
        })
        .await,
        Code::NotFound,
    );
    assert!(s.message().contains("999999"));
    Ok(())
}

#[tokio::test]
async fn only_reference_data_admins_add_and_every_bad_field_is_reported() -> anyhow::Result<()> {
    let mut c = start().await?;
    let before = c.row_counts().await?;
    let rate = add_req(
        "by-user",
        number(
            ReferenceKind::LegalInterestRate,
            "4",
            date(2027, 1, 1),
            date(2027, 12, 31),
        ),
    );
    assert_code(
        c.client
            .add_reference_value(c.suite.request(&c.reader, rate))
            .await,
        Code::PermissionDenied,
    );

    let bad_brackets = pb::AddReferenceValueRequest {
        idempotency_key: key(""),
        value: Some(pb::ReferenceValue {
            kind: ReferenceKind::SeizureBrackets as i32,
            valid_from: date(2025, 1, 1),
            valid_to: date(2024, 12, 31),
            value: "12".into(),
            structured_value: Some(StructuredValue::SeizureBrackets(pb::SeizureBrackets {
                threshold_a: money("1400"),
                threshold_b: money("1390"),
                threshold_c: money("1.005"),
                threshold_d: money("1800"),
                child_increment: None,
            })),
            source: " ".into(),
            ..Default::default()
        }),
        supersedes_reference_value_id: "abc".into(),
        ..Default::default()
    };
    let s = assert_code(c.add(bad_brackets).await, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&s),
        [
            "idempotency_key",
            "supersedes_reference_value_id",
            "reason",
            "value.source",
            "value.valid_to",
            "value.value",
            "value.seizure_brackets.threshold_c",
            "value.seizure_brackets.child_increment",
            "value.seizure_brackets.threshold_b",
        ]
    );

    let bad_surcharge = add_req(
        "bad-surcharge",
        pb::ReferenceValue {
            kind: ReferenceKind::DebtorSurcharge as i32,
            valid_from: date(2030, 1, 1),
            structured_value: Some(StructuredValue::SurchargeRule(pb::SurchargeRule {
                debtor_surcharge_percent: "101".into(),
                creditor_deduction_percent: "-1".into(),
            })),
            source: "test".into(),
            ..Default::default()
        },
    );
    let s = assert_code(c.add(bad_surcharge).await, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&s),
        [
            "value.surcharge_rule.debtor_surcharge_percent",
            "value.surcharge_rule.creditor_deduction_percent",
        ]
    );

    let bad_cpi = add_req(
        "bad-cpi",
        pb::ReferenceValue {
            kind: ReferenceKind::Cpi as i32,
            key: "2030-02".into(),
            valid_from: date(2030, 2, 2),
            value: "0".into(),
            abolished: true,
            source: "test".into(),
            ..Default::default()
        },
    );
    let s = assert_code(c.add(bad_cpi).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&s), ["value.valid_from", "value.abolished"]);

    let s = assert_code(
        c.add(pb::AddReferenceValueRequest::default()).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["idempotency_key", "value"]);

    assert_eq!(c.row_counts().await?, before, "refused calls write nothing");

    // A CPI month's validity follows from its key; a complete value is accepted.
    let cpi = c
        .add(add_req(
            "cpi-2030-02",
            pb::ReferenceValue {
                kind: ReferenceKind::Cpi as i32,
                key: "2030-02".into(),
                value: "150.12".into(),
                source: "Statbel, test".into(),
                ..Default::default()
            },
        ))
        .await?
        .value
        .unwrap_or_default();
    assert_eq!(
        (cpi.valid_from, cpi.valid_to),
        (date(2030, 2, 1), date(2030, 2, 28))
    );
    Ok(())
}
