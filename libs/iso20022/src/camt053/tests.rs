#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;

use super::*;

/// The smallest statement the schema allows, with `entry` inside, and a prefixed namespace
/// (`c:`), which some banks use.
fn minimal(entry: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<c:Document xmlns:c="{NAMESPACE}"><c:BkToCstmrStmt>
<c:GrpHdr><c:MsgId>M&amp;1</c:MsgId><c:CreDtTm>2026-11-30T10:00:00</c:CreDtTm></c:GrpHdr>
<c:Stmt><c:Id>S</c:Id><c:CreDtTm>2026-11-30T10:00:00</c:CreDtTm>
<c:Acct><c:Id><c:IBAN>BE68539007547034</c:IBAN></c:Id></c:Acct>
<c:Bal><c:Tp><c:CdOrPrtry><c:Cd>CLBD</c:Cd></c:CdOrPrtry></c:Tp><c:Amt Ccy="EUR">0</c:Amt>
<c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Dt><c:Dt>2026-11-30</c:Dt></c:Dt></c:Bal>
{entry}</c:Stmt></c:BkToCstmrStmt></c:Document>"#
    )
}

fn entry(details: &str) -> String {
    format!(
        r#"<c:Ntry><c:Amt Ccy="EUR">5</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts>INFO</c:Sts>
<c:BkTxCd/><c:NtryDtls><c:TxDtls>{details}</c:TxDtls></c:NtryDtls></c:Ntry>"#
    )
}

#[test]
fn reads_prefixed_names_entities_and_cdata() {
    let xml = minimal(&entry(
        "<c:RmtInf><c:Ustrd><![CDATA[a < b]]> &#233;t&#xE9; </c:Ustrd></c:RmtInf>",
    ));
    let message = parse_camt053(&xml).unwrap();
    assert_eq!(message.message_id, "M&1");
    let entry = &message.statements[0].entries[0];
    assert_eq!(
        (entry.amount, entry.status),
        (dec!(5), EntryStatus::Information)
    );
    assert_eq!(entry.bank_transaction_code, BankTransactionCode::default());
    assert_eq!(
        entry.transactions[0].remittance.unstructured,
        vec!["a < b été".to_owned()]
    );
    assert_eq!(entry.transactions[0].remittance.matching_reference(), None);
}

#[test]
fn refuses_what_is_not_one_statement_document() {
    let err = |xml: &str| parse_camt053(xml).unwrap_err();
    assert!(matches!(err(""), Camt053Error::Malformed { .. }));
    assert!(matches!(err("<a/><b/>"), Camt053Error::Malformed { .. }));
    assert!(matches!(err("<Document/>"), Camt053Error::WrongDocument(_)));
    assert!(matches!(
        err(&minimal("").replace("Document", "Doc")),
        Camt053Error::WrongDocument(_)
    ));
    assert!(matches!(
        err("<x>&unknown;</x>"),
        Camt053Error::Malformed { .. }
    ));
    let no_statement = format!(
        r#"<Document xmlns="{NAMESPACE}"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>"#
    );
    let e = err(&no_statement);
    assert_eq!(e.path(), Some("Document/BkToCstmrStmt/Stmt"));
}

#[test]
fn reads_bytes_with_a_byte_order_mark_and_refuses_latin1() {
    let xml = minimal(&entry(""));
    let with_bom = [&b"\xEF\xBB\xBF"[..], xml.as_bytes()].concat();
    assert_eq!(
        parse_camt053_bytes(&with_bom).unwrap(),
        parse_camt053(&xml).unwrap()
    );
    // "Sé" in Latin-1: 0xE9 is not UTF-8.
    let at = xml.find("<c:Id>S</c:Id>").unwrap() + "<c:Id>S".len();
    let mut bytes = xml.into_bytes();
    bytes.insert(at, 0xE9);
    assert!(matches!(
        parse_camt053_bytes(&bytes),
        Err(Camt053Error::Malformed { position, .. }) if position == at as u64
    ));
}
