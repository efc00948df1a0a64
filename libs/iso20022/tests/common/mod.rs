//! Schema validation with xmllint (Debian package `libxml2-utils`, installed by
//! `scripts/install-deps`). A missing xmllint or schema fails the test: a skipped schema
//! check would let an invalid payment file through unnoticed.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `$SECAL_SCHEMAS_DIR`, else `shared/schemas` beside the repository (where the ISO
/// 20022 XSDs live for developers and CI).
pub fn schema(file: &str) -> PathBuf {
    let dir = std::env::var_os("SECAL_SCHEMAS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas"),
        PathBuf::from,
    );
    let path = dir.join(file);
    assert!(
        path.is_file(),
        "schema {} not found: expected the ISO 20022 XSDs in ../shared/schemas beside the \
         repository, or in $SECAL_SCHEMAS_DIR",
        path.display()
    );
    path
}

/// Runs `xmllint --noout --schema <xsd> -` on `xml`; `Err` carries xmllint's report.
pub fn xmllint(xml: &str, xsd: &str) -> Result<(), String> {
    let schema = schema(xsd);
    let mut child = match Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "xmllint not found: install the Debian package libxml2-utils \
             (apt-get install libxml2-utils, or run scripts/install-deps)"
        ),
        Err(e) => panic!("could not run xmllint: {e}"),
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(xml.as_bytes())
        .expect("xmllint reads its input");
    let output = child.wait_with_output().expect("xmllint runs to its end");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

pub fn assert_valid(xml: &str, xsd: &str) {
    if let Err(report) = xmllint(xml, xsd) {
        panic!("not valid against {xsd}:\n{report}\n--- document ---\n{xml}");
    }
}
