//! pain.001.001.03, customer credit transfer initiation: the file the service hands its
//! bank to pay creditors (SEPA credit transfers in euro).

mod model;

use std::io;

use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rust_decimal::Decimal;

pub use model::{
    CreditTransfer, CreditTransferInitiation, Debtor, MAX_AMOUNT, MAX_ID, MAX_NAME,
    MAX_UNSTRUCTURED, Pain001Error, Problem, Remittance,
};
use model::{amount, identifier, sepa_text, unique_end_to_end_ids, xml_error};

pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03";

/// A written file with the control totals the bank will check, so that the caller can
/// store and reconcile them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pain001Document {
    /// UTF-8 XML.
    pub xml: String,
    pub number_of_transactions: usize,
    pub control_sum: Decimal,
}

/// Checks every field (see [`Problem`]), transliterates free text to the SEPA set and
/// writes the file. Nothing is written unless everything is valid.
pub fn write_pain001(message: &CreditTransferInitiation) -> Result<Pain001Document, Pain001Error> {
    let checked = check(message)?;
    let control_sum: Decimal = message.payments.iter().map(|p| p.amount).sum();
    let number_of_transactions = message.payments.len();
    let totals = Totals {
        count: number_of_transactions.to_string(),
        sum: format!("{control_sum:.2}"),
    };
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_document(&mut writer, message, &checked, &totals).map_err(xml_error)?;
    let xml = String::from_utf8(writer.into_inner())
        .map_err(|e| xml_error(io::Error::new(io::ErrorKind::InvalidData, e)))?;
    Ok(Pain001Document {
        xml,
        number_of_transactions,
        control_sum,
    })
}

/// The texts as they will be written, in SEPA characters.
struct Checked {
    debtor_name: String,
    payments: Vec<CheckedPayment>,
}

struct CheckedPayment {
    creditor_name: String,
    unstructured: Option<String>,
}

struct Totals {
    count: String,
    sum: String,
}

fn check(message: &CreditTransferInitiation) -> Result<Checked, Pain001Error> {
    identifier("message_id", &message.message_id)?;
    let debtor_name = sepa_text("debtor.name", &message.debtor.name, MAX_NAME)?;
    unique_end_to_end_ids(&message.payments)?;
    let payments = message
        .payments
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let field = |name: &str| format!("payments[{i}].{name}");
            identifier(&field("end_to_end_id"), &p.end_to_end_id)?;
            amount(&field("amount"), p.amount)?;
            let creditor_name = sepa_text(&field("creditor_name"), &p.creditor_name, MAX_NAME)?;
            let unstructured = match &p.remittance {
                Some(Remittance::Unstructured(text)) => {
                    Some(sepa_text(&field("remittance"), text, MAX_UNSTRUCTURED)?)
                }
                _ => None,
            };
            Ok(CheckedPayment {
                creditor_name,
                unstructured,
            })
        })
        .collect::<Result<_, Pain001Error>>()?;
    Ok(Checked {
        debtor_name,
        payments,
    })
}

type W = Writer<Vec<u8>>;

/// Escapes only `<`, `>` and `&` (never present after transliteration anyway): a plain
/// `'` reads better in bank tools than `&apos;`, and both are the same XML.
fn leaf(w: &mut W, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::from_escaped(partial_escape(text)))?;
    Ok(())
}

fn nest(w: &mut W, name: &str, inner: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<()> {
    w.create_element(name).write_inner_content(inner)?;
    Ok(())
}

fn write_document(
    w: &mut W,
    message: &CreditTransferInitiation,
    checked: &Checked,
    totals: &Totals,
) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("Document")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            nest(w, "CstmrCdtTrfInitn", |w| {
                write_group_header(w, message, checked, totals)?;
                write_payment_information(w, message, checked, totals)
            })
        })?;
    Ok(())
}

fn write_group_header(
    w: &mut W,
    message: &CreditTransferInitiation,
    checked: &Checked,
    totals: &Totals,
) -> io::Result<()> {
    nest(w, "GrpHdr", |w| {
        leaf(w, "MsgId", &message.message_id)?;
        // Whole seconds in UTC: some banks refuse fractional seconds.
        let created = message.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        leaf(w, "CreDtTm", &created)?;
        leaf(w, "NbOfTxs", &totals.count)?;
        leaf(w, "CtrlSum", &totals.sum)?;
        nest(w, "InitgPty", |w| leaf(w, "Nm", &checked.debtor_name))
    })
}

fn write_payment_information(
    w: &mut W,
    message: &CreditTransferInitiation,
    checked: &Checked,
    totals: &Totals,
) -> io::Result<()> {
    let debtor = &message.debtor;
    nest(w, "PmtInf", |w| {
        leaf(w, "PmtInfId", &message.message_id)?;
        leaf(w, "PmtMtd", "TRF")?;
        leaf(
            w,
            "BtchBookg",
            if message.batch_booking {
                "true"
            } else {
                "false"
            },
        )?;
        leaf(w, "NbOfTxs", &totals.count)?;
        leaf(w, "CtrlSum", &totals.sum)?;
        nest(w, "PmtTpInf", |w| {
            nest(w, "SvcLvl", |w| leaf(w, "Cd", "SEPA"))
        })?;
        let date = message
            .requested_execution_date
            .format("%Y-%m-%d")
            .to_string();
        leaf(w, "ReqdExctnDt", &date)?;
        nest(w, "Dbtr", |w| leaf(w, "Nm", &checked.debtor_name))?;
        nest(w, "DbtrAcct", |w| {
            nest(w, "Id", |w| leaf(w, "IBAN", debtor.iban.electronic()))?;
            leaf(w, "Ccy", "EUR")
        })?;
        nest(w, "DbtrAgt", |w| {
            nest(w, "FinInstnId", |w| leaf(w, "BIC", debtor.bic.as_str()))
        })?;
        // SEPA: each party bears its own bank's charges.
        leaf(w, "ChrgBr", "SLEV")?;
        for (payment, texts) in message.payments.iter().zip(&checked.payments) {
            write_transaction(w, payment, texts)?;
        }
        Ok(())
    })
}

fn write_transaction(
    w: &mut W,
    payment: &CreditTransfer,
    texts: &CheckedPayment,
) -> io::Result<()> {
    nest(w, "CdtTrfTxInf", |w| {
        nest(w, "PmtId", |w| {
            leaf(w, "EndToEndId", &payment.end_to_end_id)
        })?;
        nest(w, "Amt", |w| {
            w.create_element("InstdAmt")
                .with_attribute(("Ccy", "EUR"))
                .write_text_content(BytesText::from_escaped(format!("{:.2}", payment.amount)))?;
            Ok(())
        })?;
        if let Some(bic) = &payment.creditor_bic {
            nest(w, "CdtrAgt", |w| {
                nest(w, "FinInstnId", |w| leaf(w, "BIC", bic.as_str()))
            })?;
        }
        nest(w, "Cdtr", |w| leaf(w, "Nm", &texts.creditor_name))?;
        nest(w, "CdtrAcct", |w| {
            nest(w, "Id", |w| {
                leaf(w, "IBAN", payment.creditor_iban.electronic())
            })
        })?;
        match (&payment.remittance, &texts.unstructured) {
            (_, Some(text)) => nest(w, "RmtInf", |w| leaf(w, "Ustrd", text)),
            (Some(Remittance::Structured(reference)), None) => nest(w, "RmtInf", |w| {
                nest(w, "Strd", |w| {
                    nest(w, "CdtrRefInf", |w| {
                        nest(w, "Tp", |w| {
                            nest(w, "CdOrPrtry", |w| leaf(w, "Cd", "SCOR"))?;
                            leaf(w, "Issr", reference.issuer())
                        })?;
                        leaf(w, "Ref", &reference.electronic())
                    })
                })
            }),
            _ => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests;
