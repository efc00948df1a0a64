//! The banner's token command works as printed, from any folder, for a state folder
//! anywhere (here one whose name needs quoting): it runs this crate's real `secal-dev`
//! through the shell and checks the token against that folder's public key.

use std::process::Command;

use secal_devstack::{banner, tokens};
use secal_runtime::auth::{DEFAULT_ISSUER, TokenVerifier};

#[test]
fn the_printed_token_command_mints_with_the_stack_folders_key() -> anyhow::Result<()> {
    let parent = tempfile::tempdir()?;
    let dir = parent.path().join("my stack's state");
    std::fs::create_dir_all(&dir)?;
    tokens::ensure_keys(&dir)?;
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_secal-dev"));

    let command = banner::token_command(exe, &dir);
    let out = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir("/")
        .env_remove("SECAL_DEV_DIR")
        .output()?;
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)?;
    let public = std::fs::read(tokens::public_key_path(&dir))?;
    let principal =
        TokenVerifier::from_public_pem(&public, DEFAULT_ISSUER)?.verify(token.trim())?;
    assert_eq!(principal.id, "agent-42");
    assert!(principal.has_role("personal-data-reader"));
    Ok(())
}
