//! `secal-dev demo`: the tour of a dossier's life (`examples/tour.json`) played on the running
//! local stack, each call and its answer printed; the data stays to explore, and the values
//! the tour saved (the dossier number, its payment reference, …) are written to
//! `.secal/demo.env` for the example requests' placeholders (`envsubst`).

use std::{collections::BTreeMap, net::SocketAddr, path::Path, path::PathBuf};

use anyhow::Context;
use secal_runtime::auth::PrincipalKind;
use secal_testkit::Svc;
use secal_tour::{examples, tour};
use tonic::transport::Channel;

use crate::{stack::env_name, tokens};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Send every step again through the services' JSON listeners, which must answer the same.
    #[arg(long)]
    pub compare_http: bool,
    /// The folder of the example requests and of `tour.json`.
    #[arg(long, default_value_os_t = examples::default_dir())]
    pub examples: PathBuf,
}

/// Plays the tour on the stack whose state is in `dir` (it must be running: `scripts/stack`).
pub async fn demo(dir: &Path, args: DemoArgs) -> anyhow::Result<()> {
    let stack_env = read_env(&dir.join("stack.env"))?;
    let signer = tokens::signer(dir)?;
    let mut target = tour::Target {
        channels: BTreeMap::new(),
        http: BTreeMap::new(),
        mint: Box::new(move |actor: &tour::Actor| {
            let kind = if actor.system {
                PrincipalKind::System
            } else {
                PrincipalKind::Agent
            };
            let roles: Vec<&str> = actor.roles.iter().map(String::as_str).collect();
            Ok(signer.mint(&actor.subject, kind, &roles, 3600)?)
        }),
    };
    for svc in Svc::ALL {
        let addr = address(&stack_env, env_name(svc))?;
        let channel = Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
        let http = address(&stack_env, &http_env_name(svc));
        for service in svc.grpc_names() {
            target
                .channels
                .insert((*service).to_owned(), channel.clone());
            if args.compare_http {
                target.http.insert(
                    (*service).to_owned(),
                    *http.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?,
                );
            }
        }
    }
    let tour = tour::Tour::load(&args.examples)?;
    let saved = dir.join("demo.env");
    // The tour's keys make every step idempotent: played again on the same stack it would
    // replay some steps and find others changed (an account confirmed, a statement imported).
    // Its dossier is there to explore; a second life needs a fresh stack.
    if saved.exists() {
        let vars = read_vars(&saved)?;
        println!(
            "The demo was played on this stack already: its data is there to explore, with the \
             values it saved in {}.\nTo play it again from the start, start a fresh stack in \
             another folder: scripts/stack --dir <folder>.",
            saved.display()
        );
        if let Some(summary) = tour.summary_of(&args.examples, &target, &vars).await? {
            println!("\n{summary}");
        }
        return Ok(());
    }
    let outcome = tour
        .play(&args.examples, &target, &mut std::io::stdout())
        .await
        .context(
            "the demo stopped (on a stack where an earlier demo stopped midway, its steps \
             replay or clash: start a fresh stack in another folder, scripts/stack --dir <folder>)",
        )?;
    write_vars(&saved, &outcome.vars)?;
    println!(
        "\n{} calls. The data stays in the stack; the values the tour saved are in {} \
         (`set -a; source {}; envsubst < examples/<Service>/<Method>.json` fills an example).",
        outcome.played.len(),
        saved.display(),
        saved.display()
    );
    if let Some(summary) = outcome.summary {
        println!("\n{summary}");
    }
    Ok(())
}

/// The name of a service's JSON listener address in `stack.env`.
pub fn http_env_name(svc: Svc) -> String {
    env_name(svc).replace("_ADDR", "_HTTP_ADDR")
}

fn read_env(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading {} (is the stack running? scripts/stack)",
            path.display()
        )
    })?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect())
}

fn address(env: &BTreeMap<String, String>, name: &str) -> anyhow::Result<SocketAddr> {
    env.get(name)
        .with_context(|| format!("{name} is not in stack.env"))?
        .parse()
        .with_context(|| format!("{name} is not an address"))
}

/// The values [`write_vars`] wrote, each as text (what the examples' placeholders take).
fn read_vars(path: &Path) -> anyhow::Result<examples::Vars> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(name, value)| {
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value)
                .replace(r"'\''", "'");
            (name.to_owned(), serde_json::Value::String(value))
        })
        .collect())
}

/// `name=value` lines a shell sources: strings as they are, other values as JSON.
fn write_vars(path: &Path, vars: &examples::Vars) -> anyhow::Result<()> {
    let mut text = String::new();
    for (name, value) in vars {
        let value = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        text.push_str(&format!("{name}='{}'\n", value.replace('\'', r"'\''")));
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
