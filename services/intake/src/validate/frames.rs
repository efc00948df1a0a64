//! The title and frames 4, 5, 6, 8 and 9: arrears, payout account, enforcement, documents
//! and declarations.

use std::collections::{HashMap, HashSet};

use secal_domain::{Money, YearMonth};
use secal_proto::v1 as pb;

use super::{At, Check};

pub(super) fn check(c: &mut Check, form: &pb::ApplicationForm, kind: pb::ApplicationKind) {
    let creditor_keys: HashSet<&str> = form
        .creditors
        .iter()
        .map(|cr| cr.creditor_key.trim())
        .collect();
    title(c, form.title.as_ref());
    arrears(c, form.arrears.as_ref(), &creditor_keys);
    let documents = documents(c, form, kind);
    super::payout::check(c, form, &documents);
    enforcement(c, form.enforcement.as_ref(), &documents, &creditor_keys);
    declarations(c, form.declarations.as_ref());
}

fn title(c: &mut Check, t: Option<&pb::ExecutoryTitle>) {
    let Some(t) = t else {
        c.missing(
            "form.title",
            "TITLE_MISSING",
            "the executory title the amounts come from is required",
        );
        return;
    };
    if pb::TitleKind::try_from(t.kind).unwrap_or_default() == pb::TitleKind::Unspecified {
        c.missing(
            "form.title.kind",
            "TITLE_KIND_MISSING",
            "a judgment, a notarial deed or another title",
        );
    }
    c.not_after_receipt("form.title.title_date", t.title_date.as_ref());
    if super::absent_date(t.title_date.as_ref()) {
        c.missing(
            "form.title.title_date",
            "TITLE_DATE_MISSING",
            "the date of the judgment or deed is required",
        );
    }
    c.not_after_receipt("form.title.served_on", t.served_on.as_ref());
    match secal_runtime::wire::optional_year_month_from_pb(
        "form.title.first_month",
        t.first_month.as_ref(),
    ) {
        Ok(Some(_)) => {}
        Ok(None) => c.missing(
            "form.title.first_month",
            "TITLE_FIRST_MONTH_MISSING",
            "the first month maintenance is due is required",
        ),
        Err(_) => c.invalid("form.title.first_month", "MONTH_INVALID", "not a month"),
    }
    if !(0..=31).contains(&t.due_day) {
        c.invalid(
            "form.title.due_day",
            "DUE_DAY_INVALID",
            "a day from 1 to 31",
        );
    }
    c.positive_amount("form.title.fixed_arrears", t.fixed_arrears.as_ref());
}

fn arrears(c: &mut Check, a: Option<&pb::ArrearsFrame>, creditor_keys: &HashSet<&str>) {
    let Some(a) = a.filter(|a| !a.unpaid_months.is_empty()) else {
        c.missing(
            "form.arrears.unpaid_months",
            "ARREARS_TABLE_MISSING",
            "the month-by-month table of unpaid amounts is required",
        );
        return;
    };
    let total = c.positive_amount("form.arrears.total_arrears", a.total_arrears.as_ref());
    let receipt_month = YearMonth::from_date(c.received_on).ok();
    let mut sum = Money::ZERO;
    let mut all_amounts = true;
    let mut seen = HashSet::new();
    for (i, row) in a.unpaid_months.iter().enumerate() {
        let at = At::entry("form.arrears.unpaid_months", i);
        let key = row.creditor_key.trim();
        if !key.is_empty() && !creditor_keys.contains(key) {
            c.invalid(
                at.of("creditor_key"),
                "UNKNOWN_CREDITOR_KEY",
                "names no creditor of frame 3",
            );
        }
        unpaid_month(c, &at, row.month.as_ref(), receipt_month, |m| {
            seen.insert((key, m))
        });
        match unpaid_amount(c, &at, row.unpaid.as_ref()) {
            Some(m) => sum += m,
            None => all_amounts = false,
        }
    }
    // The total is compared only when every row's amount could be read.
    match total {
        Some(total) if all_amounts && total != sum => c.invalid(
            "form.arrears.total_arrears",
            "TOTAL_MISMATCH",
            format!("the table adds up to {sum}, not {total}"),
        ),
        None if a
            .total_arrears
            .as_ref()
            .is_none_or(|m| m.amount.trim().is_empty()) =>
        {
            c.missing(
                "form.arrears.total_arrears",
                "TOTAL_ARREARS_MISSING",
                "the total of the arrears is required",
            )
        }
        _ => {}
    }
}

/// The month of one row: due by the application, and one row per creditor and month
/// (`first` says whether the month is new for the row's creditor).
fn unpaid_month(
    c: &mut Check,
    at: &At,
    month: Option<&pb::YearMonth>,
    receipt_month: Option<YearMonth>,
    first: impl FnOnce(YearMonth) -> bool,
) {
    // Named only when refused: a form declares dozens of rows.
    let field = || at.of("month");
    match secal_runtime::wire::optional_year_month_from_pb("", month) {
        Ok(Some(m)) => {
            if receipt_month.is_some_and(|r| m > r) {
                c.invalid(
                    field(),
                    "MONTH_AFTER_APPLICATION",
                    "arrears are months due by the application",
                );
            }
            if !first(m) {
                c.invalid(field(), "MONTH_DUPLICATE", "one row per creditor and month");
            }
        }
        Ok(None) => c.invalid(field(), "MONTH_REQUIRED", "a month is required"),
        Err(_) => c.invalid(field(), "MONTH_INVALID", "not a month"),
    }
}

/// The unpaid amount of one row, when it reads as a positive amount.
fn unpaid_amount(c: &mut Check, at: &At, unpaid: Option<&pb::Money>) -> Option<Money> {
    let field = at.of("unpaid");
    let amount = c.positive_amount(&field, unpaid);
    if amount.is_none() && unpaid.is_none_or(|m| m.amount.trim().is_empty()) {
        c.invalid(field, "AMOUNT_REQUIRED", "the unpaid amount is required");
    }
    amount
}

/// Document keys and kinds, after checking the inventory and what the kind requires.
fn documents(
    c: &mut Check,
    form: &pb::ApplicationForm,
    kind: pb::ApplicationKind,
) -> HashMap<String, pb::DocumentKind> {
    use pb::DocumentKind as D;
    let mut by_key = HashMap::new();
    let mut title_with_formula = false;
    let mut title_without = None;
    let (mut tax, mut slips, mut cpas) = (false, 0, false);
    for (i, d) in form.documents.iter().enumerate() {
        let at = |f: &str| format!("form.documents[{i}].{f}");
        let dk = D::try_from(d.kind).unwrap_or_default();
        let key = d.document_key.trim();
        if key.is_empty() {
            c.invalid(
                at("document_key"),
                "KEY_REQUIRED",
                "a document key is required",
            );
        } else if by_key.insert(key.to_owned(), dk).is_some() {
            c.invalid(
                at("document_key"),
                "KEY_DUPLICATE",
                "document keys are unique within the form",
            );
        }
        c.not_after_receipt(&at("document_date"), d.document_date.as_ref());
        match dk {
            D::Unspecified => c.invalid(at("kind"), "DOCUMENT_KIND_REQUIRED", "what document"),
            D::ExecutoryTitle if d.executory_formula_present => title_with_formula = true,
            D::ExecutoryTitle => title_without = Some(i),
            D::TaxAssessment => tax = true,
            D::PaySlip => slips += 1,
            D::CpasDecision => cpas = true,
            _ => {}
        }
    }
    if !title_with_formula {
        match title_without {
            Some(i) => c.missing(
                format!("form.documents[{i}].executory_formula_present"),
                "EXECUTORY_FORMULA_MISSING",
                "the title must bear the executory formula",
            ),
            None => c.missing(
                "form.documents",
                "EXECUTORY_TITLE_MISSING",
                "the executory title (original, with the executory formula) is required",
            ),
        }
    }
    if kind == pb::ApplicationKind::ArrearsAndFutureWithAdvances {
        if !tax {
            c.missing(
                "form.documents",
                "TAX_ASSESSMENT_MISSING",
                "the last tax assessment is required for advances",
            );
        }
        if slips < 3 {
            c.missing(
                "form.documents",
                "PAY_SLIPS_MISSING",
                format!("the last 3 pay slips are required for advances ({slips} given)"),
            );
        }
    }
    if !cpas && form.creditors.iter().any(|cr| cr.cpas_advance.is_some()) {
        c.missing(
            "form.documents",
            "CPAS_DECISION_MISSING",
            "the CPAS decision is required when CPAS advances are declared",
        );
    }
    by_key
}

fn enforcement(
    c: &mut Check,
    e: Option<&pb::EnforcementFrame>,
    docs: &HashMap<String, pb::DocumentKind>,
    creditor_keys: &HashSet<&str>,
) {
    let Some(e) = e else { return };
    if !e.attempted && !e.attempts.is_empty() {
        c.invalid(
            "form.enforcement.attempted",
            "ENFORCEMENT_CONTRADICTION",
            "acts are listed but attempted is false",
        );
    }
    if e.attempted && e.attempts.is_empty() {
        c.missing(
            "form.enforcement.attempts",
            "ENFORCEMENT_ACTS_MISSING",
            "list the acts already tried",
        );
    }
    for (i, a) in e.attempts.iter().enumerate() {
        let at = |f: &str| format!("form.enforcement.attempts[{i}].{f}");
        if pb::EnforcementActKind::try_from(a.kind).unwrap_or_default()
            == pb::EnforcementActKind::Unspecified
        {
            c.invalid(at("kind"), "ACT_KIND_REQUIRED", "what act");
        }
        c.not_after_receipt(&at("act_date"), a.act_date.as_ref());
        if super::absent_date(a.act_date.as_ref()) {
            c.missing(at("act_date"), "ACT_DATE_MISSING", "the date of the act");
        }
        for (j, k) in a.creditor_keys.iter().enumerate() {
            if !creditor_keys.contains(k.trim()) {
                c.invalid(
                    at(&format!("creditor_keys[{j}]")),
                    "UNKNOWN_CREDITOR_KEY",
                    "names no creditor of frame 3",
                );
            }
        }
        let key = a.document_key.trim();
        if key.is_empty() {
            c.missing(
                at("document_key"),
                "ENFORCEMENT_PROOF_MISSING",
                "the proof of the act must be in the documents",
            );
        } else if !docs.contains_key(key) {
            c.invalid(
                at("document_key"),
                "UNKNOWN_DOCUMENT_KEY",
                "names no document of frame 8",
            );
        }
    }
}

fn declarations(c: &mut Check, d: Option<&pb::Declarations>) {
    let d = d.cloned().unwrap_or_default();
    for (field, given) in [
        ("requests_mandate", d.requests_mandate),
        ("will_report_changes", d.will_report_changes),
        ("will_not_enforce_title", d.will_not_enforce_title),
        (
            "authorises_information_requests",
            d.authorises_information_requests,
        ),
    ] {
        if !given {
            c.missing(
                format!("form.declarations.{field}"),
                "DECLARATION_MISSING",
                "the applicant must make this declaration",
            );
        }
    }
    c.not_after_receipt("form.declarations.signed_on", d.signed_on.as_ref());
    if super::absent_date(d.signed_on.as_ref()) {
        c.missing(
            "form.declarations.signed_on",
            "SIGNATURE_DATE_MISSING",
            "the form must be dated and signed",
        );
    }
}
