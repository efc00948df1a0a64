//! The tour: a dossier's life played step by step from the example requests
//! (`examples/tour.json`), each call and its answer printed, the values later steps need
//! saved from the answers. The same steps run as an end-to-end test and as `secal-dev demo`.

use std::{collections::BTreeMap, io::Write, net::SocketAddr, path::Path, time::Duration};

use anyhow::Context as _;
use prost_reflect::MethodDescriptor;
use serde::Deserialize;
use serde_json::Value;
use tonic::{Code, transport::Channel};

use crate::{
    call::{self, Answer},
    examples::{self, Vars},
    http,
};

/// Who plays a step: a token's subject, kind and roles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub subject: String,
    pub roles: Vec<String>,
    /// A system (the tax administration, a service) rather than an agent.
    #[serde(default)]
    pub system: bool,
}

/// One call of the tour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step shows, printed before it.
    pub say: String,
    /// The example to send, `Service/Method[.variant]` (the RPC is read from it).
    pub example: String,
    /// An actor of the tour file.
    #[serde(rename = "as")]
    pub actor: String,
    /// Values to keep for later steps: name → path in the answer.
    #[serde(default)]
    pub save: BTreeMap<String, String>,
    /// The gRPC code the step expects when it shows a refusal (`FAILED_PRECONDITION`).
    #[serde(default)]
    pub expect: Option<String>,
    /// A path the answer must have: the call is repeated until it has it (work another service
    /// does after an event), for at most 30 s.
    #[serde(default)]
    pub until: Option<String>,
    /// What sending the step again through JSON over HTTP must give (when the target has the
    /// JSON listeners).
    #[serde(default)]
    pub over_http: OverHttp,
}

/// A step sent again through JSON over HTTP.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OverHttp {
    /// The same answer (a write replays its first answer by its idempotency key), or the
    /// same refusal.
    #[default]
    Same,
    /// An answer, not the same: the call is an event of its own (a look-up or a read of the
    /// access log is logged anew, with its own sequence number).
    Succeeds,
}

/// The tour file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tour {
    pub actors: BTreeMap<String, Actor>,
    /// Values known before the first call (dates of the story, national numbers).
    #[serde(default)]
    pub given: Vars,
    pub steps: Vec<Step>,
    /// The call whose answer (a debtor statement) the tour's last line summarises.
    #[serde(default)]
    pub summary: Option<SummaryCall>,
}

/// The statement the tour ends on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryCall {
    /// A `GetDebtorStatement` example.
    pub example: String,
    #[serde(rename = "as")]
    pub actor: String,
}

/// Mints a token for an actor of the tour.
pub type Mint<'a> = Box<dyn Fn(&Actor) -> anyhow::Result<String> + Send + Sync + 'a>;

/// Where the tour plays: a channel per gRPC service (full name) and a way to mint tokens;
/// with the JSON listeners' addresses, every step is sent again through JSON over HTTP and
/// must answer the same (a write replays its first answer by its idempotency key).
pub struct Target<'a> {
    pub channels: BTreeMap<String, Channel>,
    pub http: BTreeMap<String, SocketAddr>,
    pub mint: Mint<'a>,
}

/// What a tour did: each step, the values saved, the line summarising the dossier.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub played: Vec<Played>,
    pub vars: Vars,
    pub summary: Option<String>,
}

/// What a step did.
#[derive(Debug, Clone)]
pub struct Played {
    pub example: String,
    /// The gRPC code of the outcome (`Ok` for an answer).
    pub code: Code,
}

impl Tour {
    pub fn load(dir: &Path) -> anyhow::Result<Tour> {
        let path = dir.join("tour.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a tour", path.display()))
    }

    /// Plays every step in order, printing each to `out`; stops at the first step whose
    /// outcome is not the expected one. Returns what each step did, the values saved and the
    /// summary line (from the `summary` call, after the steps).
    pub async fn play(
        &self,
        dir: &Path,
        target: &Target<'_>,
        out: &mut (dyn Write + Send),
    ) -> anyhow::Result<Outcome> {
        let mut vars = self.given.clone();
        let mut played = Vec::new();
        for (n, step) in self.steps.iter().enumerate() {
            let code = self
                .step(dir, target, step, &mut vars, n + 1, out)
                .await
                .with_context(|| format!("step {} ({})", n + 1, step.example))?;
            played.push(Played {
                example: step.example.clone(),
                code,
            });
        }
        let mut summary = None;
        if let Some(call) = &self.summary {
            summary = Some(self.summarise(dir, target, call, &vars).await?);
            played.push(Played {
                example: call.example.clone(),
                code: Code::Ok,
            });
        }
        Ok(Outcome {
            played,
            vars,
            summary,
        })
    }

    /// The summary line of a tour played before, from the values it saved (`None` when the
    /// tour has no summary call).
    pub async fn summary_of(
        &self,
        dir: &Path,
        target: &Target<'_>,
        vars: &Vars,
    ) -> anyhow::Result<Option<String>> {
        match &self.summary {
            Some(call) => Ok(Some(self.summarise(dir, target, call, vars).await?)),
            None => Ok(None),
        }
    }

    /// One line on the dossier as its debtor statement stands: what fell due, what was paid
    /// (tax-refund offsets included), advanced to the children, still open, still owed.
    async fn summarise(
        &self,
        dir: &Path,
        target: &Target<'_>,
        summary: &SummaryCall,
        vars: &Vars,
    ) -> anyhow::Result<String> {
        let (method, request, token, channel) =
            self.prepare(dir, target, &summary.example, &summary.actor, vars)?;
        let answer = call::call(channel, &method, &token, &request)
            .await?
            .map_err(|s| {
                anyhow::anyhow!(
                    "the summary's statement was refused: {}",
                    call::describe(&s)
                )
            })?;
        let statement = answer
            .last()
            .and_then(|a| a.get("statement"))
            .context("no statement")?;
        let euro = |name: &str| {
            let amount = statement["totals"][name]["amount"]
                .as_str()
                .unwrap_or("0.00");
            format!("€{amount}")
        };
        Ok(format!(
            "Dossier {} on {}: due {}, paid {} (tax-refund offsets included), advanced {}, \
             open {}, still owed by the debtor {} (interest and fee included).",
            statement["dossierNumber"].as_str().unwrap_or("?"),
            examples::as_text(&statement["asOf"]),
            euro("due"),
            euro("paid"),
            euro("advanced"),
            euro("open"),
            euro("outstanding"),
        ))
    }

    /// What a call of `example` as `actor` needs: its method, the request with its
    /// placeholders filled, the actor's token and the channel to the service.
    fn prepare(
        &self,
        dir: &Path,
        target: &Target<'_>,
        example: &str,
        actor: &str,
        vars: &Vars,
    ) -> anyhow::Result<(MethodDescriptor, Value, String, Channel)> {
        let rpc = examples::rpc_of(example);
        let method = call::method(rpc)?;
        let folder = dir.join(rpc.split('/').next().unwrap_or_default());
        let request = examples::Filler::new(vars, &folder).fill(&examples::load(dir, example)?)?;
        let actor = self
            .actors
            .get(actor)
            .with_context(|| format!("no actor {actor:?} in the tour"))?;
        let channel = target
            .channels
            .get(method.parent_service().full_name())
            .with_context(|| format!("no address for {}", method.parent_service().name()))?
            .clone();
        Ok((method, request, (target.mint)(actor)?, channel))
    }

    async fn step(
        &self,
        dir: &Path,
        target: &Target<'_>,
        step: &Step,
        vars: &mut Vars,
        n: usize,
        out: &mut (dyn Write + Send),
    ) -> anyhow::Result<Code> {
        let rpc = examples::rpc_of(&step.example);
        let (method, request, token, channel) =
            self.prepare(dir, target, &step.example, &step.actor, vars)?;
        writeln!(out, "\n── {n}. {}", step.say)?;
        writeln!(
            out,
            "→ {rpc}  (as {}, examples/{}.json)",
            step.actor, step.example
        )?;
        writeln!(out, "{}", serde_json::to_string_pretty(&request)?)?;
        let outcome = until(step, || {
            call::call(channel.clone(), &method, &token, &request)
        })
        .await?;
        if let Some(addr) = target.http.get(method.parent_service().full_name()) {
            // What a read answers may change between the two calls when the suite is still
            // busy with an earlier step (a relayed event being booked): both are asked again,
            // a few times, until they agree. A mutating call asked again with its key
            // answers as the first time.
            let mut grpc = None;
            for attempt in 0.. {
                let asked = grpc.as_ref().unwrap_or(&outcome);
                match same_over_http(*addr, &method, &token, &request, asked, step.over_http).await
                {
                    Ok(()) => break,
                    Err(e) if attempt >= 10 => return Err(e),
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        grpc = Some(call::call(channel.clone(), &method, &token, &request).await?);
                    }
                }
            }
        }
        match (&outcome, step.expect.as_deref()) {
            (Ok(answer), None) => {
                print_answer(out, answer)?;
                save(step, answer, vars)?;
                Ok(Code::Ok)
            }
            (Err(status), Some(expected)) if code_name(status.code()) == expected => {
                writeln!(out, "← refused, as expected")?;
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&call::describe(status))?
                )?;
                Ok(status.code())
            }
            (Err(status), _) => anyhow::bail!(
                "refused: {}",
                serde_json::to_string_pretty(&call::describe(status))?
            ),
            (Ok(_), Some(expected)) => anyhow::bail!("answered, where {expected} was expected"),
        }
    }
}

/// The same request through the JSON listener gives the same answer, or the same refusal.
async fn same_over_http(
    addr: SocketAddr,
    method: &prost_reflect::MethodDescriptor,
    token: &str,
    request: &serde_json::Value,
    grpc: &Result<Answer, tonic::Status>,
    expected: OverHttp,
) -> anyhow::Result<()> {
    let over_http = http::post(addr, method, token, request).await?;
    match grpc {
        Ok(_) if expected == OverHttp::Succeeds => anyhow::ensure!(
            over_http.status == 200,
            "JSON over HTTP did not answer (HTTP {}): {:?}",
            over_http.status,
            over_http.body
        ),
        // A run started again with its key is a new attempt (its answer counts them): the
        // stream must come whole, each line a message and none an error.
        Ok(Answer::Stream(_)) => anyhow::ensure!(
            over_http.status == 200 && over_http.body.iter().all(|l| l.get("error").is_none()),
            "JSON over HTTP streamed otherwise (HTTP {}): {:?}",
            over_http.status,
            over_http.body
        ),
        Ok(Answer::One(answer)) => {
            let expected = vec![answer.clone()];
            anyhow::ensure!(
                over_http.status == 200 && over_http.body == expected,
                "JSON over HTTP answered otherwise (HTTP {}): {}",
                over_http.status,
                serde_json::to_string_pretty(&over_http.body)?
            );
        }
        Err(status) => {
            let code = over_http.body.first().and_then(|b| b.get("code"));
            let expected = code_name(status.code()).to_lowercase();
            anyhow::ensure!(
                code.and_then(|c| c.as_str()) == Some(expected.as_str()),
                "JSON over HTTP refused otherwise (HTTP {}): {:?}",
                over_http.status,
                over_http.body
            );
        }
    }
    Ok(())
}

/// Calls until the answer has the step's `until` path (or once, without one).
async fn until<F, Fut>(step: &Step, mut call: F) -> anyhow::Result<Result<Answer, tonic::Status>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Result<Answer, tonic::Status>>>,
{
    let Some(path) = step.until.as_deref() else {
        return call().await;
    };
    for _ in 0..150 {
        let outcome = call().await?;
        if let Ok(answer) = &outcome
            && answer.last().and_then(|a| examples::at(a, path)).is_some()
        {
            return Ok(outcome);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the answer had no {path} within 30 s")
}

fn save(step: &Step, answer: &Answer, vars: &mut Vars) -> anyhow::Result<()> {
    let last = answer.last().context("the stream answered nothing")?;
    for (name, path) in &step.save {
        let value = examples::at(last, path)
            .with_context(|| format!("the answer has no {path} (to save as ${{{name}}})"))?;
        vars.insert(name.clone(), value.clone());
    }
    Ok(())
}

/// Long answers are cut: the demo is read on a terminal; the whole answer is one call away.
const SHOWN_LINES: usize = 60;

fn print_answer(out: &mut (dyn Write + Send), answer: &Answer) -> anyhow::Result<()> {
    let text = match answer {
        Answer::One(v) => serde_json::to_string_pretty(v)?,
        Answer::Stream(vs) => serde_json::to_string_pretty(vs)?,
    };
    writeln!(out, "←")?;
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter().take(SHOWN_LINES) {
        writeln!(out, "{line}")?;
    }
    if lines.len() > SHOWN_LINES {
        writeln!(out, "  … {} more lines", lines.len() - SHOWN_LINES)?;
    }
    Ok(())
}

/// The code's name as the gRPC specification writes it (`FAILED_PRECONDITION`).
pub fn code_name(code: Code) -> String {
    let camel = format!("{code:?}");
    let mut name = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_as_the_grpc_specification_names_them() {
        assert_eq!(code_name(Code::FailedPrecondition), "FAILED_PRECONDITION");
        assert_eq!(code_name(Code::InvalidArgument), "INVALID_ARGUMENT");
        assert_eq!(code_name(Code::Ok), "OK");
    }
}
