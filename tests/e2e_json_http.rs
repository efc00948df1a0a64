//! JSON over HTTP on each service's JSON listener, as `curl` calls it: refusals carry their
//! details decoded (field violations, reason), the listener refuses what is not a call of the
//! contract, serves the OpenAPI document of its own services, and streams a run as NDJSON.
//! (Every RPC answering the same through JSON as through gRPC is checked by `e2e_tour`.)

use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use secal_tour::{call, http};
use serde_json::{Value, json};
use tonic::codegen::http::Method;

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// Every field a Connect error's BadRequest detail names.
fn violated(error: &Value) -> Vec<String> {
    error["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["type"] == "google.rpc.BadRequest")
        .flat_map(|d| {
            d["debug"]["fieldViolations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v["field"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn refusals_over_json_name_their_fields_and_the_listener_keeps_to_the_contract()
-> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let calc = suite.http_addr(Svc::Calculation)?;
    let token = suite.agent_token("agent-json", &[roles::CALCULATION_USER])?;
    let arrears = call::method("CalculationService/ComputeArrears")?;

    // A bad request: 400, the code by name, each violated field decoded (not base64).
    let bad = http::post(calc, &arrears, &token, &json!({})).await?;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body[0]["code"], "invalid_argument");
    assert!(!violated(&bad.body[0]).is_empty(), "{:?}", bad.body);

    let path = "/secal.v1.CalculationService/ComputeArrears";
    let json_type = ("content-type", "application/json".to_owned());
    // No token: 401, as gRPC's UNAUTHENTICATED.
    let (status, body) = http::send(
        calc,
        Method::POST,
        path,
        std::slice::from_ref(&json_type),
        b"{}".to_vec(),
    )
    .await?;
    assert_eq!(
        (status, json_of(&body)["code"].clone()),
        (401, json!("unauthenticated"))
    );

    let bearer = ("authorization", format!("Bearer {token}"));
    let headers = [json_type.clone(), bearer.clone()];
    // A field the contract does not have is refused, named, never dropped.
    let (status, body) = http::send(
        calc,
        Method::POST,
        path,
        &headers,
        br#"{"arrearsCase": {}, "compactExplanation": true}"#.to_vec(),
    )
    .await?;
    assert_eq!(status, 400);
    assert!(
        json_of(&body)["message"]
            .as_str()
            .is_some_and(|m| m.contains("compactExplanation"))
    );
    // Not JSON, not a method of this service, not POST: refused, each with its reason.
    let text = [("content-type", "text/plain".to_owned()), bearer.clone()];
    let (status, _) = http::send(calc, Method::POST, path, &text, b"{}".to_vec()).await?;
    assert_eq!(status, 400);
    let ledger = "/secal.v1.LedgerService/GetLedgerAccount";
    let (status, body) = http::send(calc, Method::POST, ledger, &headers, b"{}".to_vec()).await?;
    assert_eq!(
        (status, json_of(&body)["code"].clone()),
        (404, json!("not_found"))
    );
    let (status, _) = http::send(calc, Method::GET, path, &headers, Vec::new()).await?;
    assert_eq!(status, 501);

    // The OpenAPI document of what this process answers, and nothing else.
    let (status, body) = http::send(calc, Method::GET, "/openapi.json", &[], Vec::new()).await?;
    assert_eq!(status, 200);
    let document = json_of(&body);
    let paths: Vec<&String> = document["paths"]
        .as_object()
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    assert!(paths.contains(&&path.to_owned()));
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/secal.v1.CalculationService/")),
        "{paths:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_run_streams_as_ndjson_over_http() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let payments = suite.http_addr(Svc::Payments)?;
    let token = suite.agent_token("agent-ops", &[roles::PAYMENTS_OPERATOR])?;
    let run = call::method("ClaimAccountService/RunMonthlyDues")?;
    let request = json!({
        "idempotencyKey": {"value": "dues-json-1"},
        "runDate": {"year": 2026, "month": 11, "day": 30}
    });
    let answer = http::post(payments, &run, &token, &request).await?;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert!(!answer.body.is_empty());
    assert!(
        answer.body.iter().all(|line| line.get("error").is_none()),
        "{:?}",
        answer.body
    );

    // Refused before the stream starts: an ordinary error answer, not a stream.
    let future = json!({
        "idempotencyKey": {"value": "dues-json-2"},
        "runDate": {"year": 2999, "month": 1, "day": 1}
    });
    let refused = http::post(payments, &run, &token, &future).await?;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body[0]["code"], "invalid_argument");
    Ok(())
}
