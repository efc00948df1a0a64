//! From the element tree to [`BankToCustomerStatement`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::Iban;

use super::dom::{self, Node};
use super::{
    Balance, BankToCustomerStatement, BankTransactionCode, Camt053Error, CreditDebit, Entry,
    EntryStatus, NAMESPACE, RemittanceInfo, ReturnInfo, Statement, TransactionDetails,
};
use crate::reference::CreditorReference;

type Result<T> = std::result::Result<T, Camt053Error>;

/// Reads a camt.053.001.02 message. Fails on the first problem, naming its XML path; a
/// statement is never half-read.
pub fn parse_camt053(xml: &str) -> Result<BankToCustomerStatement> {
    let root = dom::parse(xml)?;
    check_root(&root)?;
    let body = root.required("BkToCstmrStmt")?;
    let statements = body
        .children("Stmt")
        .map(statement)
        .collect::<Result<Vec<_>>>()?;
    if statements.is_empty() {
        return Err(Camt053Error::Missing {
            path: format!("{}/Stmt", body.path),
        });
    }
    Ok(BankToCustomerStatement {
        message_id: body.required_text("GrpHdr/MsgId")?.to_owned(),
        created_at: body.required_text("GrpHdr/CreDtTm")?.to_owned(),
        statements,
    })
}

/// [`parse_camt053`] on the bytes of a file, which ISO 20022 requires to be UTF-8 (a
/// leading byte-order mark is allowed).
pub fn parse_camt053_bytes(bytes: &[u8]) -> Result<BankToCustomerStatement> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let xml = std::str::from_utf8(bytes).map_err(|e| Camt053Error::Malformed {
        position: e.valid_up_to() as u64,
        message: "the file is not UTF-8".into(),
    })?;
    parse_camt053(xml)
}

fn check_root(root: &Node) -> Result<()> {
    if root.name != "Document" {
        return Err(Camt053Error::WrongDocument(format!(
            "the root element is {}, expected Document",
            root.name
        )));
    }
    let declared = root
        .attrs()
        .any(|(name, value)| (name == "xmlns" || name.starts_with("xmlns:")) && value == NAMESPACE);
    if !declared {
        return Err(Camt053Error::WrongDocument(format!(
            "the namespace {NAMESPACE} is not declared on Document"
        )));
    }
    Ok(())
}

fn statement(node: &Node) -> Result<Statement> {
    let account = node.required("Acct")?;
    let iban_node = account.required("Id/IBAN")?;
    let account_iban = iban_node
        .text()
        .parse::<Iban>()
        .map_err(|e| iban_node.invalid(e.to_string()))?;
    let account_currency = account
        .at("Ccy")
        .map(|ccy| currency_code(ccy, ccy.text()))
        .transpose()?;
    let balances = node.children("Bal").map(balance).collect::<Result<_>>()?;
    let entries = node
        .children("Ntry")
        .map(|ntry| entry(ntry, account_currency.as_deref()))
        .collect::<Result<_>>()?;
    Ok(Statement {
        id: node.required_text("Id")?.to_owned(),
        electronic_sequence_number: node.text_at("ElctrncSeqNb").map(str::to_owned),
        created_at: node.required_text("CreDtTm")?.to_owned(),
        account_iban,
        account_currency,
        balances,
        entries,
    })
}

fn balance(node: &Node) -> Result<Balance> {
    let (amount, currency) = amount(node.required("Amt")?)?;
    Ok(Balance {
        code: node
            .text_at("Tp/CdOrPrtry/Cd")
            .or_else(|| node.text_at("Tp/CdOrPrtry/Prtry"))
            .ok_or_else(|| Camt053Error::Missing {
                path: format!("{}/Tp/CdOrPrtry/Cd", node.path),
            })?
            .to_owned(),
        amount,
        currency,
        credit_debit: credit_debit(node)?,
        date: date_choice(node.required("Dt")?)?,
    })
}

fn entry(node: &Node, account_currency: Option<&str>) -> Result<Entry> {
    let amount_node = node.required("Amt")?;
    let (amount, currency) = amount(amount_node)?;
    if let Some(expected) = account_currency.filter(|&c| c != currency) {
        return Err(amount_node.invalid(format!(
            "currency {currency} differs from the account currency {expected}"
        )));
    }
    let bank_transaction_code = transaction_code(node.required("BkTxCd")?);
    let transactions = node
        .children("NtryDtls")
        .flat_map(|details| details.children("TxDtls"))
        .map(|tx| transaction(tx, &bank_transaction_code))
        .collect::<Result<Vec<_>>>()?;
    check_transaction_sum(node, amount, &currency, &transactions)?;
    Ok(Entry {
        reference: node.text_at("NtryRef").map(str::to_owned),
        amount,
        currency,
        credit_debit: credit_debit(node)?,
        reversal: match node.at("RvslInd") {
            None => false,
            Some(flag) => boolean(flag)?,
        },
        status: status(node.required("Sts")?)?,
        booking_date: node.at("BookgDt").map(date_choice).transpose()?,
        value_date: node.at("ValDt").map(date_choice).transpose()?,
        account_servicer_reference: node.text_at("AcctSvcrRef").map(str::to_owned),
        bank_transaction_code,
        additional_info: node.text_at("AddtlNtryInf").map(str::to_owned),
        transactions,
    })
}

/// When every transaction states its amount in the entry's currency, they must add up to
/// the entry: a mismatch means the file (or our reading of it) is wrong.
fn check_transaction_sum(
    node: &Node,
    amount: Decimal,
    currency: &str,
    transactions: &[TransactionDetails],
) -> Result<()> {
    let amounts: Option<Vec<Decimal>> = transactions
        .iter()
        .map(|tx| {
            tx.amount
                .filter(|_| tx.currency.as_deref() == Some(currency))
        })
        .collect();
    match amounts {
        Some(amounts) if !amounts.is_empty() => {
            let sum: Decimal = amounts.iter().sum();
            if sum != amount {
                return Err(node.invalid(format!(
                    "the transaction amounts add up to {sum}, the entry amount is {amount}"
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn transaction(node: &Node, entry_code: &BankTransactionCode) -> Result<TransactionDetails> {
    let amount_node = node
        .at("AmtDtls/TxAmt/Amt")
        .or_else(|| node.at("AmtDtls/InstdAmt/Amt"));
    let (amount, currency) = match amount_node.map(amount).transpose()? {
        Some((amount, currency)) => (Some(amount), Some(currency)),
        None => (None, None),
    };
    let bank_transaction_code = node.at("BkTxCd").map(transaction_code);
    let is_return_code = bank_transaction_code
        .as_ref()
        .unwrap_or(entry_code)
        .is_return();
    let return_info = match node.at("RtrInf") {
        Some(info) => Some(ReturnInfo {
            reason_code: info.text_at("Rsn/Cd").map(str::to_owned),
            proprietary_reason: info.text_at("Rsn/Prtry").map(str::to_owned),
            additional_info: info
                .children("AddtlInf")
                .map(|n| n.text().to_owned())
                .collect(),
        }),
        None if is_return_code => Some(ReturnInfo::default()),
        None => None,
    };
    let parties = node.at("RltdPties");
    let party_text = |path: &str| parties.and_then(|p| p.text_at(path)).map(str::to_owned);
    let debtor_account =
        party_text("DbtrAcct/Id/IBAN").or_else(|| party_text("DbtrAcct/Id/Othr/Id"));
    let creditor_account =
        party_text("CdtrAcct/Id/IBAN").or_else(|| party_text("CdtrAcct/Id/Othr/Id"));
    Ok(TransactionDetails {
        end_to_end_id: node
            .text_at("Refs/EndToEndId")
            .filter(|id| *id != "NOTPROVIDED")
            .map(str::to_owned),
        instruction_id: node.text_at("Refs/InstrId").map(str::to_owned),
        account_servicer_reference: node.text_at("Refs/AcctSvcrRef").map(str::to_owned),
        amount,
        currency,
        bank_transaction_code,
        debtor_name: party_text("Dbtr/Nm"),
        debtor_iban: party_text("DbtrAcct/Id/IBAN").and_then(|a| a.parse().ok()),
        debtor_account,
        creditor_name: party_text("Cdtr/Nm"),
        creditor_iban: party_text("CdtrAcct/Id/IBAN").and_then(|a| a.parse().ok()),
        creditor_account,
        remittance: node.at("RmtInf").map(remittance).unwrap_or_default(),
        return_info,
        additional_info: node.text_at("AddtlTxInf").map(str::to_owned),
    })
}

fn remittance(node: &Node) -> RemittanceInfo {
    let mut info = RemittanceInfo {
        unstructured: node
            .children("Ustrd")
            .map(|n| n.text().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        ..RemittanceInfo::default()
    };
    for reference in node
        .children("Strd")
        .filter_map(|s| s.text_at("CdtrRefInf/Ref"))
    {
        match reference.parse::<CreditorReference>() {
            Ok(valid) => info.creditor_references.push(valid),
            Err(_) => info.unrecognised_references.push(reference.to_owned()),
        }
    }
    info
}

fn transaction_code(node: &Node) -> BankTransactionCode {
    let text = |path: &str| node.text_at(path).map(str::to_owned);
    BankTransactionCode {
        domain: text("Domn/Cd"),
        family: text("Domn/Fmly/Cd"),
        sub_family: text("Domn/Fmly/SubFmlyCd"),
        proprietary: text("Prtry/Cd"),
    }
}

/// `ActiveOrHistoricCurrencyAndAmount`, read strictly: plain digits with an optional
/// fraction (no sign, no exponent), a currency attribute, at most 2 decimals in euro
/// (5 otherwise, as the schema allows) and at most 18 digits.
fn amount(node: &Node) -> Result<(Decimal, String)> {
    let currency = currency_code(node, node.attr("Ccy").unwrap_or_default())?;
    let text = node.text();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || text.ends_with('.') {
        return Err(node.invalid(format!("{text:?} is not an amount like 123.45")));
    }
    let max_decimals = if currency == "EUR" { 2 } else { 5 };
    if fraction.len() > max_decimals {
        return Err(node.invalid(format!(
            "{currency} amounts have at most {max_decimals} decimals"
        )));
    }
    if whole.trim_start_matches('0').len() + fraction.len() > 18 {
        return Err(node.invalid("an amount has at most 18 digits"));
    }
    let value = text
        .parse::<Decimal>()
        .map_err(|e| node.invalid(format!("{text:?} is not an amount: {e}")))?;
    Ok((value, currency))
}

fn currency_code(node: &Node, code: &str) -> Result<String> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_owned())
    } else if code.is_empty() {
        Err(node.invalid("the currency (Ccy) is missing"))
    } else {
        Err(node.invalid(format!("{code:?} is not an ISO 4217 currency code")))
    }
}

fn credit_debit(node: &Node) -> Result<CreditDebit> {
    let indicator = node.required("CdtDbtInd")?;
    match indicator.text() {
        "CRDT" => Ok(CreditDebit::Credit),
        "DBIT" => Ok(CreditDebit::Debit),
        other => Err(indicator.invalid(format!("{other:?} is neither CRDT nor DBIT"))),
    }
}

fn status(node: &Node) -> Result<EntryStatus> {
    match node.text() {
        "BOOK" => Ok(EntryStatus::Booked),
        "PDNG" => Ok(EntryStatus::Pending),
        "INFO" => Ok(EntryStatus::Information),
        other => Err(node.invalid(format!("{other:?} is not BOOK, PDNG or INFO"))),
    }
}

fn boolean(node: &Node) -> Result<bool> {
    match node.text() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(node.invalid(format!("{other:?} is not a boolean"))),
    }
}

/// `DateAndDateTimeChoice`: `Dt` (a date) or `DtTm` (the date part is kept: the bank's
/// calendar day is what booking and value dates mean).
fn date_choice(node: &Node) -> Result<NaiveDate> {
    let (child, text) = match (node.child("Dt"), node.child("DtTm")) {
        (Some(dt), _) => (dt, dt.text()),
        (None, Some(dt_tm)) => (dt_tm, dt_tm.text().get(..10).unwrap_or_default()),
        (None, None) => return Err(node.invalid("has neither Dt nor DtTm")),
    };
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| child.invalid(format!("{:?} is not a date like 2026-11-30", child.text())))
}
