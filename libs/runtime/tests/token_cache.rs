//! Verified tokens are remembered, but only the exact token: any other string is checked
//! in full.

use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding},
};
use secal_runtime::auth::{PrincipalKind, TokenSigner, TokenVerifier};

fn keys() -> Result<(TokenSigner, TokenVerifier), Box<dyn std::error::Error>> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let private = signing.to_pkcs8_pem(LineEnding::LF)?;
    let public = signing.verifying_key().to_public_key_pem(LineEnding::LF)?;
    Ok((
        TokenSigner::from_private_pem(private.as_bytes(), "test")?,
        TokenVerifier::from_public_pem(public.as_bytes(), "test")?,
    ))
}

#[test]
fn a_remembered_token_does_not_vouch_for_a_forged_one() -> Result<(), Box<dyn std::error::Error>> {
    let (signer, verifier) = keys()?;
    let token = signer.mint("agent-1", PrincipalKind::Agent, &["case-officer"], 600)?;
    let first = verifier.verify(&token)?;
    let again = verifier.verify(&token)?;
    assert!(first == again);
    assert_eq!(again.id, "agent-1");

    // The same claims signed by another key.
    let (other_signer, _) = keys()?;
    let forged = other_signer.mint("agent-1", PrincipalKind::Agent, &["case-officer"], 600)?;
    assert!(verifier.verify(&forged).is_err());
    // Other claims (more roles) under the remembered token's genuine signature.
    let raised = other_signer.mint("agent-1", PrincipalKind::Agent, &["admin"], 600)?;
    let (head, _) = raised.rsplit_once('.').ok_or("no signature")?;
    let (_, genuine_signature) = token.rsplit_once('.').ok_or("no signature")?;
    let spliced = format!("{head}.{genuine_signature}");
    assert!(verifier.verify(&spliced).is_err());
    assert!(verifier.verify(&token).is_ok());
    Ok(())
}
