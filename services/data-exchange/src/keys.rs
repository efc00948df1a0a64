//! The access log's keys: an Ed25519 key signing checkpoints and exports, and an HMAC key
//! for the keyed digest of national numbers (so that entries about a person can be found and
//! exported without the log holding the number in clear).

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use hmac::{Hmac, Mac, digest::KeyInit};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::Config;

pub const ALGORITHM: &str = "Ed25519";

#[derive(Clone)]
pub struct Keys {
    signing: SigningKey,
    key_id: String,
    subject_key: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn bytes32(what: &str, hex_value: Option<&str>) -> Result<[u8; 32], String> {
    match hex_value.map(str::trim).filter(|s| !s.is_empty()) {
        Some(h) => hex::decode(h)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| format!("{what} must be 64 hex digits")),
        None => {
            tracing::warn!("no {what} configured: using an ephemeral one (development only)");
            let mut b = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut b);
            Ok(b)
        }
    }
}

/// The key id: the first 8 bytes of SHA-256 of the public key, hex.
pub fn key_id(public: &[u8]) -> String {
    hex::encode(&Sha256::digest(public)[..8])
}

impl Keys {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let seed = bytes32("signing seed", config.signing_seed_hex.as_deref())?;
        let subject_key = bytes32("subject key", config.subject_key_hex.as_deref())?;
        Ok(Self::new(seed, subject_key))
    }

    pub fn new(seed: [u8; 32], subject_key: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let key_id = key_id(signing.verifying_key().as_bytes());
        Self {
            signing,
            key_id,
            subject_key,
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.signing.sign(message).to_bytes().to_vec()
    }

    /// HMAC-SHA-256 of the national number's digits.
    pub fn subject_digest(&self, national_number_digits: &str) -> Vec<u8> {
        // HMAC pads a key shorter than the hash's block with zeros (RFC 2104), so padding it
        // here gives the same digest from a constructor that cannot fail: no fallback digest
        // can ever stand in for the real one.
        let mut block = [0u8; 64];
        block[..self.subject_key.len()].copy_from_slice(&self.subject_key);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
        mac.update(b"secal-access-log-subject/v1:");
        mac.update(national_number_digits.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Records the public key so that checkpoints stay verifiable after a key change.
    pub async fn register(&self, pool: &PgPool, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO signing_keys (key_id, algorithm, public_key, valid_from)
             VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(&self.key_id)
        .bind(ALGORITHM)
        .bind(self.public_key().as_slice())
        .bind(now)
        .execute(pool)
        .await?;
        Ok(())
    }
}

/// Checks an Ed25519 signature with a raw public key (offline verification uses this too).
pub fn verify_signature(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(pk) = <[u8; 32]>::try_from(public_key) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
        return false;
    };
    vk.verify(message, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    use super::Keys;

    #[test]
    fn the_subject_digest_is_hmac_sha256_under_the_32_byte_key() {
        let subject_key = [7u8; 32];
        let keys = Keys::new([1u8; 32], subject_key);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&subject_key).unwrap();
        mac.update(b"secal-access-log-subject/v1:");
        mac.update(b"85073003328");
        let expected = mac.finalize().into_bytes().to_vec();
        assert_eq!(keys.subject_digest("85073003328"), expected);
    }
}
