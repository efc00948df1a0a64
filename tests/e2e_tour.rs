//! The tour (examples/tour.json) played on the whole suite, as `secal-dev demo` plays it on
//! the local stack: a dossier's life from the application to the payouts, every call built
//! from an example file. And the examples themselves: one for every RPC of the contract, each
//! sent by the tour with the outcome the tour expects, so that none goes stale; each sent
//! again through the service's JSON listener, which must answer the same.

use std::collections::{BTreeMap, BTreeSet};

use secal_runtime::auth::PrincipalKind;
use secal_testkit::{Suite, Svc};
use secal_tour::{call, examples, tour};

async fn target(suite: &Suite) -> anyhow::Result<tour::Target<'_>> {
    let mut channels = BTreeMap::new();
    let mut http = BTreeMap::new();
    // The simulator's own service (secal.sim.v1) is not part of the contract integrators use.
    let contract = secal_proto::contract::services().keys();
    for service in contract.filter(|s| s.starts_with("secal.v1.")) {
        let svc =
            Svc::serving(service).ok_or_else(|| anyhow::anyhow!("no process serves {service}"))?;
        channels.insert(service.clone(), suite.channel(svc).await?);
        http.insert(service.clone(), suite.http_addr(svc)?);
    }
    Ok(tour::Target {
        channels,
        http,
        mint: Box::new(|actor: &tour::Actor| {
            let kind = if actor.system {
                PrincipalKind::System
            } else {
                PrincipalKind::Agent
            };
            let roles: Vec<&str> = actor.roles.iter().map(String::as_str).collect();
            suite.token(&actor.subject, kind, &roles)
        }),
    })
}

#[tokio::test]
async fn the_tour_plays_a_dossiers_life_and_every_example_on_the_suite() -> anyhow::Result<()> {
    let suite = Suite::start(&Svc::ALL).await?;
    let dir = examples::default_dir();
    let tour = tour::Tour::load(&dir)?;
    let mut out = Vec::new();
    let played = tour.play(&dir, &target(&suite).await?, &mut out).await;
    let text = String::from_utf8_lossy(&out);
    let outcome = played.map_err(|e| anyhow::anyhow!("{e:#}\n\n{text}"))?;
    let played = outcome.played;
    // The tour ends on the dossier's account.
    let summary = outcome.summary.unwrap_or_default();
    assert!(
        summary.starts_with("Dossier SEC-") && summary.contains("advanced €350.00"),
        "{summary}"
    );

    // Every example file is played, and every RPC has one.
    let sent: BTreeSet<&str> = played.iter().map(|p| p.example.as_str()).collect();
    let files = examples::all(&dir)?;
    let unplayed: Vec<&String> = files
        .iter()
        .filter(|f| !sent.contains(f.as_str()))
        .collect();
    assert!(
        unplayed.is_empty(),
        "examples the tour never sends: {unplayed:?}"
    );
    let with_example: BTreeSet<&str> = files.iter().map(|f| examples::rpc_of(f)).collect();
    let missing: Vec<String> = call::every_rpc()?
        .into_iter()
        .filter(|rpc| !with_example.contains(rpc.as_str()))
        .collect();
    assert!(missing.is_empty(), "RPCs without an example: {missing:?}");
    Ok(())
}
