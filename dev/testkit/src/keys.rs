//! Development token issuer keys (Ed25519, PEM).

use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding},
};

#[derive(Debug, thiserror::Error)]
#[error("cannot encode the key: {0}")]
pub struct KeyError(String);

/// A new key pair: (private PKCS#8 PEM, public SPKI PEM).
pub fn generate() -> Result<(String, String), KeyError> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let private = signing
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError(e.to_string()))?
        .to_string();
    let public = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError(e.to_string()))?;
    Ok((private, public))
}
