use rust_decimal_macros::dec;

use super::*;

const HEADER: &str = "NM_YR|NM_MTH|MS_CPI_IDX|MS_CPI_INFL|MS_HLTH_IDX|MS_SMOOTH_IDX|NM_BASE_YR";

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn problems(file: &str) -> Vec<String> {
    parse(file.as_bytes(), None)
        .unwrap_err()
        .into_iter()
        .map(|v| {
            assert_eq!(v.field, "file");
            v.description
        })
        .collect()
}

#[test]
fn the_published_layout_is_read_with_its_bases_and_both_series() {
    let file = format!(
        "\u{feff}{HEADER}\r\n2016|12|103.54|2.03%|104.05|101.81|2013\r\n\
         2016|12|126.73|.|125.69|.|2004\r\n1993|1|82,1||.|.|2013\r\n"
    );
    let parsed = parse(file.as_bytes(), None).unwrap();
    let got: Vec<(RefKind, String, Decimal, u32)> = parsed
        .figures
        .iter()
        .map(|f| (f.kind, f.at.key(), f.value, f.line))
        .collect();
    assert_eq!(
        got,
        vec![
            (RefKind::Cpi, "2016-12".into(), dec!(103.54), 2),
            (RefKind::HealthIndex, "2016-12".into(), dec!(104.05), 2),
            (RefKind::Cpi, "2016-12/2004".into(), dec!(126.73), 3),
            (RefKind::HealthIndex, "2016-12/2004".into(), dec!(125.69), 3),
            // No health index before 1994: an empty or "." figure is "not published".
            (RefKind::Cpi, "1993-01".into(), dec!(82.1), 4),
        ]
    );
    let later = parse(file.as_bytes(), Some(ym(1994, 1))).unwrap();
    assert_eq!(later.ignored_lines, 1);
    assert_eq!(later.figures.len(), 4);
}

#[test]
fn statbels_eight_decimals_are_read_as_the_published_figure() {
    let file = format!(
        "{HEADER}\n1994|1|95.58000000|.|95.92000000|.|1996\n1994|2|95.5812340|.|.|.|1996\n\
         1994|3|95.123456789|.|.|.|1996\n"
    );
    let parsed = parse(file.as_bytes(), None);
    let Err(problems) = parsed else {
        panic!("the nine decimals of line 4 are refused")
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .description
            .starts_with("line 4: column MS_CPI_IDX")
    );
    let file = format!(
        "{HEADER}\n1994|1|95.58000000|.|95.92000000|.|1996\n1994|2|95.5812340|.|.|.|1996\n"
    );
    let figures = parse(file.as_bytes(), None).expect("read").figures;
    let values: Vec<String> = figures.iter().map(|f| f.value.to_string()).collect();
    assert_eq!(values, ["95.58", "95.92", "95.581234"]);
    assert_eq!(figures[0].text, "95.58000000", "as written in the file");
}

#[test]
fn a_bad_line_is_named_with_its_column() {
    let file = format!("{HEADER}\n2016|12|103.54|x|104.05|x|2013\n2016|13|1|x|1|x|2013\n");
    assert_eq!(
        problems(&file),
        vec!["line 3: column NM_MTH: \"13\" is not valid"]
    );
    let file = format!("{HEADER}\n2016|12|10x3|x|104.05|x|2013\n2016|11|1|x|2013\n");
    assert_eq!(
        problems(&file),
        vec![
            "line 2: column MS_CPI_IDX: \"10x3\" is not an index (a positive decimal like 103.54)",
            "line 3: 5 fields, the header has 7",
        ]
    );
    let file = format!("{HEADER}\n2016|12|0|x|104.05|x|2013\n");
    assert_eq!(problems(&file).len(), 1);
}

#[test]
fn a_month_and_base_given_twice_is_refused() {
    let file = format!("{HEADER}\n2016|12|103.54|x||x|2013\n2016|12|103.55|x||x|2013\n");
    assert_eq!(
        problems(&file),
        vec!["line 3: MS_CPI_IDX of 2016-12 on base 2013 is already on line 2"]
    );
}

#[test]
fn another_file_is_refused_by_its_header() {
    assert_eq!(
        problems("year;month;cpi\n2016;12;103.54\n"),
        vec![
            "line 1: the header has no column MS_CPI_IDX (is this Statbel's \"CPI All base years\" file?)"
        ]
    );
    assert_eq!(
        problems(&format!("{HEADER}\n")),
        vec!["no figure in the file"]
    );
    assert_eq!(
        problems_bytes(&[0xff, 0xfe]),
        vec!["not UTF-8 text (byte 0 is not)"]
    );
}

fn problems_bytes(b: &[u8]) -> Vec<String> {
    parse(b, None)
        .unwrap_err()
        .into_iter()
        .map(|v| v.description)
        .collect()
}
