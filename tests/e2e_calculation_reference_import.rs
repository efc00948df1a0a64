//! ImportPriceIndexFile through real gRPC on a real PostgreSQL: a file in Statbel's layout
//! ("CPI All base years"), its dry-run diff, the import that supersedes only what changed,
//! the audit, idempotency, a bad file refused whole, and an indexation across two bases.
//! (A module of `e2e_calculation_reference`.)

use super::*;

/// Statbel's header (the columns of "CPI All base years", in its order).
const HEADER: &str =
    "NM_YR|NM_MTH|MS_CPI_IDX|MS_CPI_INFL|MS_HLTH_IDX|MS_SMOOTH_IDX|MS_WTHOUT_ENE_IDX|NM_BASE_YR";

/// The months migration 0003 loaded with their published figures (2013 = 100), a health index
/// published with them, and one month on base 2004 (made up for the test: March 1993, a month
/// the migrations do not hold — they load Statbel's file from 1994). March 2019 carries
/// `march_2019` as its CPI: 108.85 is the published figure, anything else a correction.
fn statbel_file(march_2019: &str) -> String {
    format!(
        "\u{feff}{HEADER}\r\n\
         2016|11|103.41|1.83%|.|.|.|2013\r\n\
         2016|12|103.54|2.03%|104.05|101.81|.|2013\r\n\
         2019|2|108.52|2.22%|.|.|.|2013\r\n\
         2019|3|{march_2019}|2.18%|109.04|106.52|.|2013\r\n\
         1993|3|111.00|.|.|.|.|2004\r\n"
    )
}

fn import_req(k: &str, file: &str, dry_run: bool) -> pb::ImportPriceIndexFileRequest {
    pb::ImportPriceIndexFileRequest {
        idempotency_key: key(k),
        file: file.as_bytes().to_vec(),
        file_name: "CPI All base years.txt".into(),
        publication: "statbel.fgov.be open data, test copy".into(),
        dry_run,
        reason: "yearly update of the price indices".into(),
        first_month: None,
    }
}

/// IndexAmount of a CPI-indexed title: `base_amount` on the CPI of `base_month`, adjusted
/// every twelve months from `first_adjustment`, for `month`; months as (year, month).
fn cpi_index_request(
    base_amount: &str,
    base_month: (i32, i32),
    first_adjustment: (i32, i32),
    month: (i32, i32),
) -> pb::IndexAmountRequest {
    let ym = |(year, month)| Some(pb::YearMonth { year, month });
    pb::IndexAmountRequest {
        amount: Some(pb::MaintenanceAmount {
            method: Some(pb::maintenance_amount::Method::CpiIndexation(
                pb::CpiIndexation {
                    base_amount: money(base_amount),
                    base_month: ym(base_month),
                    first_adjustment_month: ym(first_adjustment),
                },
            )),
        }),
        month: ym(month),
    }
}

impl Ctx {
    async fn import(
        &mut self,
        req: pb::ImportPriceIndexFileRequest,
    ) -> Result<pb::ImportPriceIndexFileResponse, tonic::Status> {
        Ok(self
            .client
            .import_price_index_file(self.suite.request(&self.admin, req))
            .await?
            .into_inner())
    }
}

/// (kind, key, change, stored, file) of each diff.
fn summary(r: &pb::ImportPriceIndexFileResponse) -> Vec<(i32, String, i32, String, String)> {
    r.diffs
        .iter()
        .map(|d| {
            (
                d.kind,
                d.key.clone(),
                d.change,
                d.stored_value.clone(),
                d.file_value.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_dry_run_shows_the_one_corrected_month_and_the_import_supersedes_only_it()
-> anyhow::Result<()> {
    let mut c = start().await?;
    let before = c.row_counts().await?;
    let stored_march = c.get(ReferenceKind::Cpi, "2019-03", (2019, 3, 1)).await?;
    let file = statbel_file("108.86");

    let dry = c.import(import_req("cpi-2026", &file, true)).await?;
    let (cpi, health) = (ReferenceKind::Cpi as i32, ReferenceKind::HealthIndex as i32);
    let (new, changed, unchanged) = (
        pb::PriceIndexChange::New as i32,
        pb::PriceIndexChange::Changed as i32,
        pb::PriceIndexChange::Unchanged as i32,
    );
    let s = |v: &str| v.to_owned();
    assert_eq!(
        summary(&dry),
        vec![
            (cpi, s("2016-11"), unchanged, s("103.41"), s("103.41")),
            (cpi, s("2016-12"), unchanged, s("103.54"), s("103.54")),
            (health, s("2016-12"), unchanged, s("104.05"), s("104.05")),
            (cpi, s("2019-02"), unchanged, s("108.52"), s("108.52")),
            (cpi, s("2019-03"), changed, s("108.85"), s("108.86")),
            (health, s("2019-03"), unchanged, s("109.04"), s("109.04")),
            (cpi, s("1993-03/2004"), new, s(""), s("111.00")),
        ]
    );
    assert_eq!(
        (dry.new_count, dry.changed_count, dry.unchanged_count),
        (1, 1, 5)
    );
    assert!(dry.dry_run);
    assert_eq!(dry.file_sha256.len(), 64);
    assert!(
        dry.diffs
            .iter()
            .all(|d| d.written_reference_value_id.is_empty())
    );
    assert_eq!(dry.diffs[4].line, 5, "the header is line 1");
    assert_eq!(c.row_counts().await?, before, "a dry run stores nothing");

    let applied = c.import(import_req("cpi-2026", &file, false)).await?;
    assert_eq!(summary(&applied), summary(&dry));
    assert_eq!(applied.file_sha256, dry.file_sha256);
    let written: Vec<&str> = applied
        .diffs
        .iter()
        .filter(|d| !d.written_reference_value_id.is_empty())
        .map(|d| d.key.as_str())
        .collect();
    assert_eq!(written, ["2019-03", "1993-03/2004"]);
    assert_eq!(c.row_counts().await?, (before.0 + 2, before.1 + 2));

    let march = c.get(ReferenceKind::Cpi, "2019-03", (2019, 3, 15)).await?;
    assert_eq!(march.value, "108.86");
    assert_eq!(
        march.supersedes_reference_value_id,
        stored_march.reference_value_id
    );
    assert_eq!(march.reason, "yearly update of the price indices");
    for part in [
        "CPI All base years.txt",
        &applied.file_sha256,
        "line 5",
        "MS_CPI_IDX",
    ] {
        assert!(march.source.contains(part), "{}", march.source);
    }
    let admin = c.suite.admin_pool().await?;
    let audit: Vec<(String, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT actor, action, idempotency_key, detail, affected_value_id
         FROM calculation.reference_audit ORDER BY id DESC LIMIT 2",
    )
    .fetch_all(&admin)
    .await?;
    let (actor, action, audit_key, detail, affected) = &audit[1];
    assert_eq!(
        (actor.as_str(), action.as_str(), audit_key.as_str()),
        ("agent-ref", "correct", "cpi-2026")
    );
    assert_eq!(
        affected.map(|a| a.to_string()),
        Some(stored_march.reference_value_id)
    );
    assert!(detail.contains(&applied.file_sha256), "{detail}");
    assert_eq!(audit[0].1, "add");

    // A retry returns the first answer and writes nothing; the same file again is unchanged.
    let again = c.import(import_req("cpi-2026", &file, false)).await?;
    assert_eq!(again, applied);
    let second = c.import(import_req("cpi-2026-again", &file, false)).await?;
    assert_eq!(
        (
            second.new_count,
            second.changed_count,
            second.unchanged_count
        ),
        (0, 0, 7)
    );
    assert_eq!(c.row_counts().await?, (before.0 + 2, before.1 + 2));
    let mut other = import_req("cpi-2026", &statbel_file("108.87"), false);
    other.reason = "another file under the same key".into();
    let s = assert_code(c.import(other).await, Code::FailedPrecondition);
    assert!(s.message().contains("idempotency key"), "{}", s.message());
    Ok(())
}

#[tokio::test]
async fn a_bad_file_is_refused_naming_line_and_column_and_nothing_is_stored() -> anyhow::Result<()>
{
    let mut c = start().await?;
    let before = c.row_counts().await?;
    let bad = statbel_file("108.8x");
    let s = assert_code(
        c.import(import_req("bad-file", &bad, false)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["file"]);
    let message = format!("{s:?}");
    for part in ["line 5", "MS_CPI_IDX", "108.8x"] {
        assert!(message.contains(part), "{message}");
    }
    let s = assert_code(
        c.import(import_req("csv", "year;month;cpi\n2019;3;108.85\n", true))
            .await,
        Code::InvalidArgument,
    );
    assert!(format!("{s:?}").contains("MS_CPI_IDX"), "{s:?}");

    let mut empty_fields = import_req("", &statbel_file("108.85"), false);
    empty_fields.file_name = String::new();
    empty_fields.reason = " ".into();
    empty_fields.publication = String::new();
    empty_fields.first_month = Some(pb::YearMonth {
        year: 2019,
        month: 13,
    });
    let s = assert_code(c.import(empty_fields).await, Code::InvalidArgument);
    let mut fields = violated_fields(&s);
    fields.sort();
    assert_eq!(
        fields,
        [
            "file_name",
            "first_month",
            "idempotency_key",
            "publication",
            "reason"
        ]
    );
    assert_eq!(c.row_counts().await?, before);

    // Only reference-data administrators import.
    let s = assert_code(
        c.client
            .import_price_index_file(
                c.suite
                    .request(&c.reader, import_req("reader", &statbel_file("1"), true)),
            )
            .await,
        Code::PermissionDenied,
    );
    assert!(!s.message().is_empty());
    Ok(())
}

/// Statbel's own file as the migrations load it (edition to November 2023; its lines from
/// 1994 on the bases 1996, 2004 and 2013, as published): imported as a dry run, every figure
/// of it is already stored, with the same value.
#[tokio::test]
async fn the_migrations_hold_statbels_file_figure_for_figure() -> anyhow::Result<()> {
    let mut c = start().await?;
    let mut req = import_req("statbel-2023-11", "", true);
    req.file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/statbel/CPI_All_base_years_2023-11_from_1994.txt"
    ))?;
    let dry = c.import(req).await?;
    let unchanged = pb::PriceIndexChange::Unchanged as i32;
    let differing: Vec<_> = summary(&dry)
        .into_iter()
        .filter(|d| d.2 != unchanged)
        .collect();
    assert!(differing.is_empty(), "{differing:?}");
    // 359 months × 3 bases × (CPI, health index).
    assert_eq!(
        (dry.new_count, dry.changed_count, dry.unchanged_count),
        (0, 0, 2154)
    );
    Ok(())
}

#[tokio::test]
async fn an_indexation_across_two_bases_uses_the_publishers_coefficient() -> anyhow::Result<()> {
    let mut c = start().await?;
    let file = statbel_file("108.85");
    c.import(import_req("bases", &file, false)).await?;
    let req = |month| cpi_index_request("200.00", (1993, 3), (1993, 4), month);
    // Adjusted in April 2024 on March 2024 (131.73, on base 2013 only: Statbel's file of the
    // migrations ends in November 2023); March 1993 is on base 2004 only: 111.00 × 0.8170
    // (Statbel, cpi:2004:2013) = 90.687; 200 × 131.73 ÷ 90.687 = 290.515…
    let calc = c
        .suite
        .agent_token("agent-calc-2", &[roles::CALCULATION_USER])?;
    let r = c
        .client
        .index_amount(c.suite.request(&calc, req((2024, 6))))
        .await?
        .into_inner();
    assert_eq!(r.amount.clone().unwrap_or_default().amount, "290.52");
    let explanation = r.explanation.unwrap_or_default();
    let detail: Vec<&str> = explanation
        .rules
        .iter()
        .map(|s| s.detail.as_str())
        .collect();
    assert!(
        detail.iter().any(|d| d.contains(
            "CPI 1993-03 111 (2004 = 100) × 0.817 (linking coefficient cpi:2004:2013) = 90.687 (2013 = 100)"
        )),
        "{detail:?}"
    );
    let cited: Vec<&str> = explanation
        .reference_values
        .iter()
        .map(|v| v.key.as_str())
        .collect();
    for key in ["2024-03", "1993-03/2004", "cpi:2004:2013"] {
        assert!(cited.contains(&key), "{cited:?}");
    }

    // The coefficient is reference data like any other, with its source; a base-2013 month
    // has one spelling.
    let link = c
        .get(ReferenceKind::PriceIndexLink, "cpi:2004:2013", (2019, 3, 1))
        .await?;
    assert_eq!(link.value, "0.817");
    assert!(link.source.contains("Statbel"), "{}", link.source);
    let s = assert_code(
        c.get(ReferenceKind::Cpi, "2019-03/2013", (2019, 3, 1))
            .await
            .map(|_| ()),
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["key"]);

    // A reference month not published yet is named, never guessed.
    let s = assert_code(
        c.client
            .index_amount(c.suite.request(&calc, req((2027, 6))))
            .await,
        Code::FailedPrecondition,
    );
    for part in ["cpi", "2027-03"] {
        assert!(s.message().contains(part), "{}", s.message());
    }
    Ok(())
}

#[tokio::test]
async fn a_2012_title_is_indexed_on_the_newest_base_that_holds_both_months() -> anyhow::Result<()> {
    let c = start().await?;
    let calc = c
        .suite
        .agent_token("agent-calc-3", &[roles::CALCULATION_USER])?;
    let mut client = c.client.clone();
    // Base month April 2012: published on base 2004 (120.93, Moniteur belge 30 Apr 2012) and,
    // in Statbel's file, on base 2013 (98.80); adjusted in September 2023 on August 2023:
    // 129.12 on base 2013 (Moniteur belge 31 Aug 2023). Both months on base 2013, so no
    // coefficient: 200 × 129.12 ÷ 98.80 = 261.376… → 261.38.
    let req = cpi_index_request("200.00", (2012, 4), (2012, 9), (2023, 10));
    let r = client
        .index_amount(c.suite.request(&calc, req))
        .await?
        .into_inner();
    assert_eq!(r.amount.clone().unwrap_or_default().amount, "261.38");
    let explanation = r.explanation.unwrap_or_default();
    let sources: Vec<&str> = explanation
        .reference_values
        .iter()
        .map(|v| v.source.as_str())
        .collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
    for part in ["31 Aug 2023", "CPI All base years"] {
        assert!(
            sources.iter().any(|s| s.contains(part)),
            "{part}: {sources:?}"
        );
    }
    Ok(())
}

/// A title of a 2009 judgment (CPI of May 2009, adjusted every June from 2010) gets its amount
/// for every year through 2026 from the loaded figures, each adjustment explained with the two
/// indices it divides and where each was published.
#[tokio::test]
async fn a_2009_title_is_indexed_every_year_through_2026() -> anyhow::Result<()> {
    let c = start().await?;
    let calc = c
        .suite
        .agent_token("agent-calc-4", &[roles::CALCULATION_USER])?;
    let mut client = c.client.clone();
    let mut amounts = Vec::new();
    for year in 2010..=2026 {
        let req = cpi_index_request("250.00", (2009, 5), (2010, 6), (year, 6));
        let r = client
            .index_amount(c.suite.request(&calc, req))
            .await?
            .into_inner();
        let cited = r.explanation.unwrap_or_default().reference_values;
        let figure = |key: &str| {
            let v = cited.iter().find(|v| v.key == key);
            let v = v.unwrap_or_else(|| panic!("{year}: {key} not cited: {cited:?}"));
            assert!(!v.source.is_empty(), "{key} has a source");
            v.value.parse::<rust_decimal::Decimal>()
        };
        let (base, reference) = (figure("2009-05")?, figure(&format!("{year}-05"))?);
        let expected = (rust_decimal::Decimal::from(250) * reference / base).round_dp(2);
        let amount = r.amount.unwrap_or_default().amount;
        assert_eq!(amount, expected.to_string(), "{year}");
        amounts.push(amount);
    }
    // June 2023 on May 2023: 250 × 127.30 ÷ 90.89 (Statbel's file) = 350.148…
    assert_eq!(amounts[13], "350.15");
    Ok(())
}
