//! ISO 20022 files checked against their XSDs with xmllint (Debian's `libxml2-utils`,
//! installed by `scripts/install-deps`). A missing xmllint or schema fails the test: a
//! skipped check would let an invalid payment file through unnoticed.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
};

use anyhow::{Context, ensure};

/// `$SECAL_SCHEMAS_DIR`, else `shared/schemas` beside the repository.
pub fn schema(file: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("SECAL_SCHEMAS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas"),
        PathBuf::from,
    );
    let path = dir.join(file);
    ensure!(
        path.is_file(),
        "schema {} not found: expected the ISO 20022 XSDs in ../shared/schemas beside the \
         repository, or in $SECAL_SCHEMAS_DIR",
        path.display()
    );
    Ok(path)
}

/// `xmllint --noout --nonet --schema <xsd> -` on `xml`; the error carries xmllint's report.
pub fn validate(xml: &[u8], xsd: &str) -> anyhow::Result<()> {
    let schema = schema(xsd)?;
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running xmllint: install the Debian package libxml2-utils")?;
    child
        .stdin
        .take()
        .context("xmllint's input")?
        .write_all(xml)?;
    let out = child.wait_with_output()?;
    ensure!(
        out.status.success(),
        "not valid against {xsd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
