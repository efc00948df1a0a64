//! The access log's keys for the local stack, kept in the state folder (`keys/`).
//!
//! Without them data-exchange makes new keys at every start: each run registered another
//! open-ended signing key, and entries of earlier runs could no longer be found by person
//! (their keyed digest was made with a key that was gone). The service already takes both
//! keys as settings (`SECAL_ACCESS_LOG_SIGNING_SEED`, `SECAL_ACCESS_LOG_SUBJECT_KEY`); the
//! stack creates them once and hands the same ones to every start.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::RngCore;

use crate::tokens;

/// The two keys, as the 64 hex digits data-exchange reads.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessLogKeys {
    pub signing_seed_hex: String,
    pub subject_key_hex: String,
}

impl std::fmt::Debug for AccessLogKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessLogKeys { .. }")
    }
}

impl AccessLogKeys {
    /// The settings that give data-exchange these keys.
    pub fn env(&self) -> [(&'static str, &str); 2] {
        [
            ("SECAL_ACCESS_LOG_SIGNING_SEED", &self.signing_seed_hex),
            ("SECAL_ACCESS_LOG_SUBJECT_KEY", &self.subject_key_hex),
        ]
    }
}

pub fn signing_seed_path(dir: &Path) -> PathBuf {
    dir.join("keys/access-log-signing-seed.hex")
}

pub fn subject_key_path(dir: &Path) -> PathBuf {
    dir.join("keys/access-log-subject-key.hex")
}

/// Reads the keys from `dir/keys/`, creating each one that is missing (owner-only file).
/// A file that is there but not 64 hex digits is an error naming it: replacing it would
/// silently make the earlier log entries unreadable by person.
pub fn ensure(dir: &Path) -> anyhow::Result<AccessLogKeys> {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
    Ok(AccessLogKeys {
        signing_seed_hex: read_or_create(&signing_seed_path(dir))?,
        subject_key_hex: read_or_create(&subject_key_path(dir))?,
    })
}

fn read_or_create(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = text.trim();
            anyhow::ensure!(
                key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()),
                "{} must hold 64 hex digits (remove it to make a new key; the log's \
                 entries written with the old one can then no longer be found by person)",
                path.display()
            );
            Ok(key.to_ascii_lowercase())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            tokens::write_private(path, &format!("{key}\n"))?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_keys_are_made_once_and_read_back_the_same() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let first = ensure(dir.path())?;
        let again = ensure(dir.path())?;
        assert_eq!(first, again);
        assert_ne!(first.signing_seed_hex, first.subject_key_hex);
        for path in [signing_seed_path(dir.path()), subject_key_path(dir.path())] {
            let mode = std::fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is readable by others", path.display());
        }
        Ok(())
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        ensure(dir.path())?;
        std::fs::write(signing_seed_path(dir.path()), "not hex")?;
        let err = ensure(dir.path()).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("access-log-signing-seed.hex")),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read_to_string(signing_seed_path(dir.path()))?,
            "not hex"
        );
        Ok(())
    }
}
