//! Rows written by `COPY … FROM STDIN` in its text format, for the ledger's bulk writers (the
//! dues run's fast path, the advances run): PostgreSQL writes a `COPY`'s rows a page at a time
//! and parses no parameter arrays, and the tables' triggers, checks and indexes apply as to
//! an `INSERT` (an `AFTER` statement trigger reads a `COPY`'s transition table). Measured on
//! the dues run, the ledger's transfers by `COPY` took about a quarter less database CPU; the
//! claim account's journal and table lines by `COPY` showed no gain (README), so they stay
//! `INSERT`s.

use std::fmt::{Display, Write as _};

use sqlx::PgConnection;

/// Rows being written: each value goes through one method per kind, which writes it as
/// `COPY` reads it.
#[derive(Default)]
pub(crate) struct CopyRows {
    buf: String,
    /// Whether the row under way has a value yet (the next one is preceded by a tab).
    started: bool,
    rows: u64,
}

impl CopyRows {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: String::with_capacity(bytes),
            ..Self::default()
        }
    }

    fn sep(&mut self) {
        if self.started {
            self.buf.push('\t');
        }
        self.started = true;
    }

    /// Text, its backslashes, tabs and line ends escaped.
    pub(crate) fn text(&mut self, v: &str) -> &mut Self {
        self.sep();
        for c in v.chars() {
            match c {
                '\\' => self.buf.push_str("\\\\"),
                '\t' => self.buf.push_str("\\t"),
                '\n' => self.buf.push_str("\\n"),
                '\r' => self.buf.push_str("\\r"),
                c => self.buf.push(c),
            }
        }
        self
    }

    /// A number or a date: its `Display` is what `COPY` reads (integers; ISO dates).
    pub(crate) fn value(&mut self, v: impl Display) -> &mut Self {
        self.sep();
        // Writing to a String cannot fail.
        let _ = write!(self.buf, "{v}");
        self
    }

    /// As [`CopyRows::value`], `None` as null.
    pub(crate) fn opt(&mut self, v: Option<impl Display>) -> &mut Self {
        match v {
            Some(v) => self.value(v),
            None => self.null(),
        }
    }

    /// As [`CopyRows::text`], `None` as null.
    pub(crate) fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("\\N");
        self
    }

    /// Ends the row under way.
    pub(crate) fn end_row(&mut self) {
        self.buf.push('\n');
        self.started = false;
        self.rows += 1;
    }

    /// Sends the rows with `statement` (`COPY table (columns) FROM STDIN`), all or none: a
    /// count of rows written other than those given is an error (and the transaction's end).
    pub(crate) async fn send(self, conn: &mut PgConnection, statement: &str) -> sqlx::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut copy = conn.copy_in_raw(statement).await?;
        copy.send(self.buf.into_bytes()).await?;
        match copy.finish().await? {
            n if n == self.rows => Ok(()),
            n => Err(sqlx::Error::Protocol(format!(
                "COPY wrote {n} rows of the {} given",
                self.rows
            ))),
        }
    }

    /// The rows as they would be sent.
    #[cfg(test)]
    pub(crate) fn into_string(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_nulls_written_as_copy_reads_them() {
        let mut rows = CopyRows::default();
        rows.text("a\\b")
            .value(15_000)
            .opt(chrono::NaiveDate::from_ymd_opt(2026, 12, 1))
            .opt(None::<i64>)
            .text("line\tone\nline two\r")
            .opt_text(None)
            .text("");
        rows.end_row();
        rows.value(2).opt_text(Some("x"));
        rows.end_row();
        assert_eq!(rows.rows, 2);
        assert_eq!(
            rows.into_string(),
            "a\\\\b\t15000\t2026-12-01\t\\N\tline\\tone\\nline two\\r\t\\N\t\n2\tx\n"
        );
    }
}
