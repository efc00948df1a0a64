//! The development token issuer: an Ed25519 key pair under `.secal/keys/`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use secal_runtime::auth::{DEFAULT_ISSUER, PrincipalKind, TokenSigner};

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Who the token names (an agent id, or a system's name with --system).
    #[arg(long)]
    pub subject: String,
    /// Comma-separated roles, e.g. case-officer,personal-data-reader
    #[arg(long, value_delimiter = ',')]
    pub roles: Vec<String>,
    /// The token names a system rather than a person.
    #[arg(long)]
    pub system: bool,
    /// Lifetime, e.g. 8h, 30m.
    #[arg(long, default_value = "8h", value_parser = secal_runtime::config::parse_duration)]
    pub ttl: std::time::Duration,
}

pub fn private_key_path(dir: &Path) -> PathBuf {
    dir.join("keys/issuer.pem")
}

pub fn public_key_path(dir: &Path) -> PathBuf {
    dir.join("keys/issuer.pub.pem")
}

/// Creates the key pair on first use; the private key is readable by its owner only.
pub fn ensure_keys(dir: &Path) -> anyhow::Result<()> {
    let private = private_key_path(dir);
    if private.exists() && public_key_path(dir).exists() {
        return Ok(());
    }
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
    let (private_pem, public_pem) = secal_testkit::keys::generate()?;
    write_private(&private, &private_pem)?;
    std::fs::write(public_key_path(dir), public_pem)?;
    Ok(())
}

pub fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut f, content.as_bytes())?;
    Ok(())
}

pub fn signer(dir: &Path) -> anyhow::Result<TokenSigner> {
    let path = private_key_path(dir);
    let pem = std::fs::read(&path).with_context(|| {
        format!(
            "reading {} (start the stack once to create it)",
            path.display()
        )
    })?;
    Ok(TokenSigner::from_private_pem(&pem, DEFAULT_ISSUER)?)
}

pub fn mint(dir: &Path, args: &TokenArgs) -> anyhow::Result<String> {
    anyhow::ensure!(
        !args.subject.trim().is_empty(),
        "--subject must not be empty"
    );
    let kind = if args.system {
        PrincipalKind::System
    } else {
        PrincipalKind::Agent
    };
    let roles: Vec<&str> = args
        .roles
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .collect();
    Ok(signer(dir)?.mint(args.subject.trim(), kind, &roles, args.ttl.as_secs())?)
}
