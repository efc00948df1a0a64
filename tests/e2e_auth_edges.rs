//! Edges of caller authentication through real gRPC: the Bearer scheme in any case, a token
//! not yet valid (`nbf`), and refusals that name their cause without the JWT library's
//! internals or the token.

use crate::common;

use std::{
    collections::HashMap,
    time::{SystemTime, UNIX_EPOCH},
};

use common::*;
use secal_proto::v1::{
    self as pb, data_exchange_service_client::DataExchangeServiceClient,
    persons_service_client::PersonsServiceClient,
};
use secal_runtime::{
    auth::{AUDIENCE, PrincipalKind, TokenSigner, TokenVerifier},
    roles,
    server::ServerSettings,
    service::ServiceContext,
};
use secal_testkit::{Suite, Svc};
use serde_json::json;
use tonic::Code;

fn get_person() -> pb::GetPersonRequest {
    pb::GetPersonRequest {
        lookup: Some(pb::get_person_request::Lookup::NationalNumber(
            pb::NationalNumber {
                value: NISS_1985.into(),
            },
        )),
    }
}

fn with_authorization<T>(value: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut().insert("authorization", value.parse()?);
    Ok(r)
}

/// The status of a call that must fail.
fn refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> tonic::Status {
    match result {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(s) => s,
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut persons = PersonsServiceClient::new(suite.channel(Svc::Intake).await?);
    let officer = suite.agent_token("agent-1", &[roles::CASE_OFFICER])?;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        // Through to the handler, which finds nobody.
        let status = refused(
            persons
                .get_person(with_authorization(
                    &format!("{scheme} {officer}"),
                    get_person(),
                )?)
                .await,
        );
        assert_eq!(status.code(), Code::NotFound, "{scheme}: {status:?}");
    }
    let status = refused(
        persons
            .get_person(with_authorization(
                &format!("Basic {officer}"),
                get_person(),
            )?)
            .await,
    );
    assert_eq!(status.code(), Code::Unauthenticated);
    Ok(())
}

#[tokio::test]
async fn refusals_name_their_cause_without_library_internals() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut persons = PersonsServiceClient::new(suite.channel(Svc::Intake).await?);

    let missing = refused(persons.get_person(get_person()).await);
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(
        missing.message(),
        "missing bearer token: send `authorization: Bearer <token>`"
    );

    let scheme = refused(
        persons
            .get_person(with_authorization("Token abc", get_person())?)
            .await,
    );
    assert_eq!(scheme.code(), Code::Unauthenticated);
    assert_eq!(
        scheme.message(),
        "malformed authorization header: expected `Bearer <token>`"
    );

    let garbage = refused(
        persons
            .get_person(suite.request("not.a.jwt", get_person()))
            .await,
    );
    assert_eq!(garbage.code(), Code::Unauthenticated);
    assert_eq!(
        garbage.message(),
        "malformed token: not a signed JWT with the expected claims"
    );

    let (other_private, _) = secal_testkit::keys::generate()?;
    let forged = TokenSigner::from_private_pem(other_private.as_bytes(), "secal-test")?.mint(
        "mallory",
        PrincipalKind::Agent,
        &[roles::ADMIN],
        600,
    )?;
    let forged = refused(
        persons
            .get_person(suite.request(&forged, get_person()))
            .await,
    );
    assert_eq!(forged.code(), Code::Unauthenticated);
    assert_eq!(
        forged.message(),
        "token signature does not verify with the issuer's key"
    );

    for status in [&missing, &scheme, &garbage, &forged] {
        for internal in ["InvalidToken", "InvalidSignature", "Base64", "Json"] {
            assert!(!status.message().contains(internal), "{status:?}");
        }
    }
    Ok(())
}

fn unix_now() -> anyhow::Result<u64> {
    Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())
}

/// A data-exchange server on the suite's database that trusts `verifier` instead of the
/// suite's issuer: the suite's signing key is private to the test kit, and these tests need
/// tokens with claims of their own (`nbf`, a foreign audience).
async fn instance_trusting(
    suite: &Suite,
    verifier: TokenVerifier,
) -> anyhow::Result<DataExchangeServiceClient<tonic::transport::Channel>> {
    let spec = secal_data_exchange::SPEC;
    let pool = secal_runtime::db::connect_and_migrate(
        &suite.role_url(Svc::DataExchange)?,
        spec.schema,
        2,
        spec.migrator,
    )
    .await?;
    let ctx = ServiceContext {
        pool,
        settings: ServerSettings::with_verifier(verifier),
        service_token: None,
    };
    let config = Svc::data_exchange_config(&HashMap::new(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(secal_data_exchange::serve(
        ctx,
        config,
        listener,
        std::future::pending(),
    ));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?;
    for _ in 0..50 {
        if let Ok(ch) = channel.connect().await {
            return Ok(DataExchangeServiceClient::new(ch));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the data-exchange instance did not start")
}

#[tokio::test]
async fn a_token_not_yet_valid_or_for_another_audience_is_refused() -> anyhow::Result<()> {
    const ISSUER: &str = "secal-edges";
    let suite = Suite::start(&[Svc::DataExchange]).await?;
    let (private, public) = secal_testkit::keys::generate()?;
    let signer = TokenSigner::from_private_pem(private.as_bytes(), ISSUER)?;
    let dx = instance_trusting(
        &suite,
        TokenVerifier::from_public_pem(public.as_bytes(), ISSUER)?,
    )
    .await?;
    let now = unix_now()?;
    let token = |extra: serde_json::Value| -> anyhow::Result<String> {
        let mut claims = json!({
            "sub": "agent-auditor", "kind": "agent", "roles": [roles::AUDITOR],
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
        });
        if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        Ok(signer.mint_claims(&claims)?)
    };
    let call = |token: String| {
        let mut dx = dx.clone();
        let request = suite.request(&token, pb::ListSigningKeysRequest::default());
        async move { dx.list_signing_keys(request).await }
    };

    // The server is reachable with a valid token, one whose `nbf` has passed included.
    call(token(json!({}))?).await?;
    call(token(json!({"nbf": now - 60}))?).await?;

    let later = refused(call(token(json!({"nbf": now + 3600}))?).await);
    assert_eq!(later.code(), Code::Unauthenticated);
    assert_eq!(
        later.message(),
        "token not yet valid: its `nbf` is in the future"
    );

    let expired = refused(call(token(json!({"iat": now - 7200, "exp": now - 3600}))?).await);
    assert_eq!(expired.code(), Code::Unauthenticated);
    assert_eq!(expired.message(), "token expired: obtain a new one");

    let foreign = refused(call(token(json!({"aud": "another-suite"}))?).await);
    assert_eq!(foreign.code(), Code::Unauthenticated);
    assert_eq!(foreign.message(), "token is for another audience");

    let issuer = refused(call(token(json!({"iss": "someone-else"}))?).await);
    assert_eq!(issuer.code(), Code::Unauthenticated);
    assert_eq!(
        issuer.message(),
        "token is from an issuer this service does not trust"
    );

    Ok(())
}
