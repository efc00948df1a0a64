//! The hostile-input walk: every RPC of every service the contract's descriptor set declares,
//! each request field filled in turn with hostile values chosen by the field's type — text
//! with a NUL byte or 100,000 characters, one 10 MB text per RPC (over the servers' 4 MB
//! message limit), invalid dates and months, malformed amounts, undeclared enum numbers,
//! negative and huge integers, repeated fields of 100,000 items, nested messages.
//!
//! What must hold, for every call: no INTERNAL, UNKNOWN or transport failure, no panic in
//! any service; a refused call stores nothing (the row counts of every table of the four
//! schemas are the same after it as before); each service still answers Health/Check after
//! its RPCs. A NUL byte, an over-long text, an impossible date or month, a malformed amount or
//! an undeclared enum number is bad input: it is refused with INVALID_ARGUMENT naming the
//! field, never accepted and never left to the database.
//!
//! The requests are built as dynamic messages from the descriptor set (prost-reflect), so an
//! RPC added to the contract is walked without a case written for it; the count of walked
//! RPCs is checked against the contract's.

mod common;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Instant,
};

use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor,
    ReflectMessage, Value,
};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use secal_tour::call::RawCodec;
use tonic::{Code, Status, codegen::http::uri::PathAndQuery, transport::Channel};

/// The largest message the servers accept (tonic's default): a 10 MB field is over it.
const OVERSIZE: usize = 10 << 20;
/// A text far beyond any free-text field's limit (notes: 2,000 characters), yet well under
/// the message limit.
const LONG_TEXT: usize = 10_000;
/// The length of the repeated fields the walk sends.
const MANY: usize = 100_000;
/// How deep the walk goes into nested messages (the request itself is depth 0).
const MAX_DEPTH: usize = 4;

/// One hostile request: the field it targets (its request path, as violations name it),
/// what was put there, and whether it must be refused naming that field.
struct Case {
    field: String,
    label: String,
    expect: Expect,
    request: DynamicMessage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Any answer but a failure of the server.
    Survive,
    /// INVALID_ARGUMENT naming the field.
    Refused,
    /// Over the message limit: RESOURCE_EXHAUSTED or INVALID_ARGUMENT.
    TooLarge,
}

/// A field path from the request; through a repeated message it goes into its first item.
type Path = Vec<FieldDescriptor>;

/// The path as violations name it: `transfers[0].description`.
fn path_name(path: &[FieldDescriptor]) -> String {
    path.iter()
        .map(|f| match f.kind() {
            Kind::Message(_) if f.is_list() => format!("{}[0]", f.name()),
            _ => f.name().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `value` put at `path` in `msg`; a repeated message on the way gets one item.
fn set_path(msg: &mut DynamicMessage, path: &[FieldDescriptor], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        msg.set_field(first, value);
        return;
    }
    let slot = msg.get_field_mut(first);
    let nested = match slot {
        Value::List(items) => {
            if items.is_empty() {
                let Kind::Message(d) = first.kind() else {
                    return;
                };
                items.push(Value::Message(DynamicMessage::new(d)));
            }
            items.first_mut()
        }
        other => Some(other),
    };
    if let Some(Value::Message(m)) = nested {
        set_path(m, rest, value);
    }
}

/// The request with every top-level idempotency key filled (a fresh one per call), so that
/// a refusal is about the hostile field rather than the missing key.
fn base(desc: &MessageDescriptor) -> DynamicMessage {
    let mut msg = DynamicMessage::new(desc.clone());
    for f in desc.fields() {
        if let Kind::Message(m) = f.kind()
            && m.full_name() == "secal.v1.IdempotencyKey"
            && !f.is_list()
        {
            let mut key = DynamicMessage::new(m);
            key.set_field_by_name("value", Value::String(format!("hostile-{}", uuid_like())));
            msg.set_field(&f, Value::Message(key));
        }
    }
    msg
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}

fn message_of(desc: &MessageDescriptor, fields: &[(&str, Value)]) -> Value {
    let mut m = DynamicMessage::new(desc.clone());
    for (name, v) in fields {
        m.set_field_by_name(name, v.clone());
    }
    Value::Message(m)
}

/// The hostile values of a contract value type (dates, months, amounts), each refused.
fn value_type_cases(desc: &MessageDescriptor) -> Option<Vec<(String, Value)>> {
    let i = |v: i32| Value::I32(v);
    let s = |v: &str| Value::String(v.to_owned());
    let dates = |ds: &[(i32, i32, i32)]| {
        ds.iter()
            .map(|&(y, m, d)| {
                (
                    format!("date {y:04}-{m:02}-{d:02}"),
                    message_of(desc, &[("year", i(y)), ("month", i(m)), ("day", i(d))]),
                )
            })
            .collect()
    };
    match desc.full_name() {
        "secal.v1.Date" => Some(dates(&[
            (2023, 2, 30),
            (2023, 13, 1),
            (0, 1, 1),
            (99999, 1, 1),
            (2023, -1, 5),
        ])),
        "secal.v1.YearMonth" => Some(
            [(2023, 13), (0, 1), (99999, 1), (2023, -2)]
                .iter()
                .map(|&(y, m)| {
                    (
                        format!("month {y:04}-{m:02}"),
                        message_of(desc, &[("year", i(y)), ("month", i(m))]),
                    )
                })
                .collect(),
        ),
        "secal.v1.Money" => Some(
            [
                " 12.50",
                "NaN",
                "12.345",
                "1e3",
                "12.50\0",
                "99999999999999999999999999999.99",
            ]
            .iter()
            .map(|a| {
                (
                    format!("amount {a:?}"),
                    message_of(desc, &[("amount", s(a))]),
                )
            })
            .collect(),
        ),
        _ => None,
    }
}

fn scalar_cases(f: &FieldDescriptor) -> Vec<(String, Value, Expect)> {
    use Expect::{Refused, Survive};
    match f.kind() {
        Kind::String => vec![
            (
                "text with NUL".into(),
                Value::String("a\0b".into()),
                Refused,
            ),
            (
                format!("text of {LONG_TEXT} characters"),
                Value::String("é".repeat(LONG_TEXT)),
                Refused,
            ),
        ],
        Kind::Bytes => vec![(
            "bytes of NULs".into(),
            Value::Bytes(vec![0u8; 64].into()),
            Survive,
        )],
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => [-1, i32::MIN, i32::MAX]
            .iter()
            .map(|&n| (format!("int {n}"), Value::I32(n), Survive))
            .collect(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => [-1, i64::MIN, i64::MAX]
            .iter()
            .map(|&n| (format!("int {n}"), Value::I64(n), Survive))
            .collect(),
        Kind::Uint32 | Kind::Fixed32 => vec![("uint max".into(), Value::U32(u32::MAX), Survive)],
        Kind::Uint64 | Kind::Fixed64 => vec![("uint max".into(), Value::U64(u64::MAX), Survive)],
        Kind::Bool => vec![("true".into(), Value::Bool(true), Survive)],
        Kind::Enum(_) => vec![
            ("enum 999".into(), Value::EnumNumber(999), Refused),
            ("enum -1".into(), Value::EnumNumber(-1), Refused),
        ],
        Kind::Double | Kind::Float | Kind::Message(_) => Vec::new(),
    }
}

/// One item of a repeated field's type, for the 100,000-item case.
fn one_item(f: &FieldDescriptor) -> Value {
    match f.kind() {
        Kind::Message(d) => Value::Message(DynamicMessage::new(d)),
        Kind::String => Value::String("x".into()),
        Kind::Bytes => Value::Bytes(vec![1u8].into()),
        Kind::Enum(_) => Value::EnumNumber(1),
        Kind::Bool => Value::Bool(true),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(1),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(1),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(1),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(1),
        Kind::Double => Value::F64(1.0),
        Kind::Float => Value::F32(1.0),
    }
}

/// Every hostile case of one request type.
fn cases(request: &MessageDescriptor) -> Vec<Case> {
    let mut out = Vec::new();
    collect(request, request, &mut Vec::new(), &mut out);
    // One message over the servers' limit per RPC: its first text or bytes field, 10 MB.
    let big = request
        .fields()
        .find(|f| matches!(f.kind(), Kind::String | Kind::Bytes) && !f.is_list());
    if let Some(f) = big {
        let value = match f.kind() {
            Kind::Bytes => Value::Bytes(vec![b'x'; OVERSIZE].into()),
            _ => Value::String("x".repeat(OVERSIZE)),
        };
        let mut msg = base(request);
        msg.set_field(&f, value);
        out.push(Case {
            field: f.name().to_owned(),
            label: "10 MB".into(),
            expect: Expect::TooLarge,
            request: msg,
        });
    }
    out
}

fn push(
    out: &mut Vec<Case>,
    request: &MessageDescriptor,
    path: &[FieldDescriptor],
    label: String,
    value: Value,
    expect: Expect,
) {
    let mut msg = base(request);
    set_path(&mut msg, path, value);
    out.push(Case {
        field: path_name(path),
        label,
        expect,
        request: msg,
    });
}

fn collect(
    request: &MessageDescriptor,
    desc: &MessageDescriptor,
    path: &mut Path,
    out: &mut Vec<Case>,
) {
    for f in desc.fields() {
        path.push(f.clone());
        if f.is_list() {
            let items = vec![one_item(&f); MANY];
            push(
                out,
                request,
                path,
                format!("{MANY} items"),
                Value::List(items),
                Expect::Survive,
            );
        }
        match f.kind() {
            Kind::Message(m) => {
                if let Some(values) = value_type_cases(&m) {
                    for (label, v) in values {
                        let v = if f.is_list() { Value::List(vec![v]) } else { v };
                        push(out, request, path, label, v, Expect::Refused);
                    }
                } else if path.len() < MAX_DEPTH {
                    collect(request, &m, path, out);
                }
            }
            _ => {
                for (label, v, expect) in scalar_cases(&f) {
                    let v = if f.is_list() { Value::List(vec![v]) } else { v };
                    push(out, request, path, label, v, expect);
                }
            }
        }
        path.pop();
    }
}

/// Row counts of every table of one service's schema: what a refused call must leave
/// unchanged. A service's role writes its own schema only, so the four processes are walked
/// at once, each compared on its own schema.
struct Counter {
    pool: sqlx::PgPool,
    sql: String,
}

impl Counter {
    async fn new(suite: &Suite, svc: Svc) -> anyhow::Result<Self> {
        let pool = suite.admin_pool().await?;
        let schema = svc.spec().schema;
        let tables: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_schema::text, table_name::text FROM information_schema.tables \
             WHERE table_type = 'BASE TABLE' AND table_schema = $1 \
               AND table_name NOT LIKE '\\_sqlx%' ORDER BY 1, 2",
        )
        .bind(schema)
        .fetch_all(&pool)
        .await?;
        anyhow::ensure!(tables.len() > 2, "{schema} has tables: {tables:?}");
        let sql = tables
            .iter()
            .map(|(s, t)| format!("SELECT '{s}.{t}', count(*) FROM \"{s}\".\"{t}\""))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        Ok(Self { pool, sql })
    }

    async fn counts(&self) -> anyhow::Result<BTreeMap<String, i64>> {
        // The statement is made of the catalogue's own table names, quoted.
        let rows: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(self.sql.as_str()))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }
}

fn changed(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> Vec<String> {
    after
        .iter()
        .filter(|(t, n)| before.get(*t) != Some(n))
        .map(|(t, n)| format!("{t} {} -> {n}", before.get(t).copied().unwrap_or(0)))
        .collect()
}

async fn call(
    suite: &Suite,
    channel: Channel,
    token: &str,
    method: &MethodDescriptor,
    body: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(64 << 20);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let path = PathAndQuery::try_from(path).map_err(|e| Status::internal(e.to_string()))?;
    let request = suite.request(token, body);
    if method.is_server_streaming() {
        let mut stream = grpc
            .server_streaming(request, path, RawCodec)
            .await?
            .into_inner();
        while stream.message().await?.is_some() {}
        Ok(Vec::new())
    } else {
        grpc.unary(request, path, RawCodec)
            .await
            .map(tonic::Response::into_inner)
    }
}

/// Whether the refusal names `field` (itself, the message holding it, or the same leaf).
fn names(status: &Status, field: &str) -> bool {
    common::violated_fields(status)
        .iter()
        .any(|v| names_field(v, field))
}

/// Whether the violation of `v` names `field`: the field, the message holding it, a part of
/// it (`total_arrears.amount` for a Money), or the same leaf (an item's violation names its
/// field from the item: `advance_case.month` for `items[0].advance_case.month`).
fn names_field(v: &str, field: &str) -> bool {
    let leaf = |p: &str| {
        p.rsplit('.')
            .next()
            .unwrap_or_default()
            .split('[')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    !v.is_empty()
        && (v == field
            || field.starts_with(&format!("{v}."))
            || field.starts_with(&format!("{v}["))
            || v.starts_with(&format!("{field}."))
            || leaf(v) == leaf(field))
}

/// What one answer says about the server.
enum Verdict {
    Fine,
    /// A failure of the server: INTERNAL, UNKNOWN, a transport error, no answer.
    Failed(String),
    /// Bad input not refused naming its field: counted against [`KNOWN_GAPS`].
    Gap(String),
}

fn said<T>(answer: &Result<T, Status>) -> String {
    match answer {
        Ok(_) => "OK".into(),
        Err(s) => format!(
            "{:?}: {}",
            s.code(),
            s.message().chars().take(160).collect::<String>()
        ),
    }
}

/// The fields an accepted answer names as violated: a batch RPC answers each item on its own,
/// with the item's violations (`ComputeAdvances`).
fn answered_violations(method: &MethodDescriptor, body: &[u8]) -> Vec<String> {
    fn collect(message: &DynamicMessage, out: &mut Vec<String>) {
        if message.descriptor().full_name() == "secal.v1.FieldViolation" {
            if let Some(field) = message.get_field_by_name("field") {
                out.extend(field.as_str().map(str::to_owned));
            }
            return;
        }
        for (_, value) in message.fields() {
            match value {
                Value::Message(m) => collect(m, out),
                Value::List(items) => {
                    for item in items {
                        if let Value::Message(m) = item {
                            collect(m, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(answer) = DynamicMessage::decode(method.output(), body) {
        collect(&answer, &mut out);
    }
    out
}

fn judge(case: &Case, answer: &Result<Vec<u8>, Status>, method: &MethodDescriptor) -> Verdict {
    const FAILURES: [Code; 7] = [
        Code::Internal,
        Code::Unknown,
        Code::Unavailable,
        Code::Cancelled,
        Code::DataLoss,
        Code::Unauthenticated,
        Code::DeadlineExceeded,
    ];
    let code = answer.as_ref().err().map_or(Code::Ok, Status::code);
    if FAILURES.contains(&code) {
        return Verdict::Failed(said(answer));
    }
    match (case.expect, answer) {
        (Expect::Survive, _) => Verdict::Fine,
        // A message over the server's limit: RESOURCE_EXHAUSTED, as gRPC says (tonic's own
        // OUT_OF_RANGE is rewritten by the request layer).
        (Expect::TooLarge, Err(s)) if s.code() == Code::ResourceExhausted => Verdict::Fine,
        (Expect::TooLarge, _) => Verdict::Failed(format!("10 MB not refused: {}", said(answer))),
        (Expect::Refused, Err(s)) if s.code() == Code::InvalidArgument && names(s, &case.field) => {
            Verdict::Fine
        }
        (Expect::Refused, Err(s)) if s.code() == Code::InvalidArgument => {
            Verdict::Gap(format!("refused naming {:?}", common::violated_fields(s)))
        }
        (Expect::Refused, Ok(body))
            if answered_violations(method, body)
                .iter()
                .any(|v| names_field(v, &case.field)) =>
        {
            Verdict::Fine
        }
        _ => Verdict::Gap(format!("not refused: {}", said(answer))),
    }
}

/// Bad input (NUL, over-long text, impossible dates, malformed amounts, undeclared enum
/// numbers) that an RPC does not refuse naming the field, counted per RPC. A count may only go
/// down: more gaps than listed fail the walk, naming each. Every text of every request is held
/// to the widest limit by the RPC shape (`syntax::texts_beyond_every_limit`), and a batch
/// RPC's answer that names the field for its item counts as naming it (`ComputeAdvances`).
/// None is left: `LookUpIncomes` parses its request before its access rules (the refusal of a
/// malformed look-up is logged like a rule's), so the walk's purpose-less requests are refused
/// for their malformed dates, months, sources and purpose, naming each.
const KNOWN_GAPS: &[(&str, usize)] = &[];

/// The tables an RPC may write to when it refuses: data-exchange logs every look-up attempt
/// whose text can be recorded, granted or refused (its access log and signed head).
fn may_write_when_refusing(rpc: &str, table: &str) -> bool {
    rpc == "DataExchangeService/LookUpIncomes" && table.starts_with("data_exchange.access_log")
}

/// A token for `svc` with every role its RPCs accept but admin (which handlers may treat
/// apart); data-exchange refuses a token holding both the registering and the look-up roles.
fn token_for(suite: &Suite, svc: Svc) -> anyhow::Result<String> {
    let mut held = vec![
        roles::SERVICE,
        roles::CASE_OFFICER,
        roles::PERSONAL_DATA_READER,
        roles::INCOME_LOOKUP,
        roles::AUDITOR,
        roles::REFERENCE_DATA_ADMIN,
        roles::CALCULATION_USER,
        roles::PAYMENTS_OPERATOR,
        roles::TAX_REFUND_SYSTEM,
    ];
    if svc != Svc::DataExchange {
        held.push(roles::REGISTRAR);
    }
    suite.agent_token("agent-hostile", &held)
}

/// What the walk found.
#[derive(Default)]
struct Findings {
    failures: Vec<String>,
    gaps: BTreeMap<String, Vec<String>>,
    calls: usize,
}

/// Every case of one RPC, then Health/Check of its process.
async fn walk_rpc(
    suite: &Suite,
    counter: &Counter,
    channel: &Channel,
    token: &str,
    method: &MethodDescriptor,
    found: &mut Findings,
) -> anyhow::Result<()> {
    let rpc = format!("{}/{}", method.parent_service().name(), method.name());
    let mut before = counter.counts().await?;
    for case in cases(&method.input()) {
        found.calls += 1;
        let body = case.request.encode_to_vec();
        // A liveness guard, not a timing check: a call the server never answers (a request
        // that keeps a thread busy) must fail the walk rather than hang it.
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            call(suite, channel.clone(), token, method, body),
        )
        .await
        .unwrap_or_else(|_| Err(Status::deadline_exceeded("no answer in 60 s")));
        let what = format!("{rpc} {} ({})", case.field, case.label);
        match judge(&case, &answer, method) {
            Verdict::Fine => {}
            Verdict::Failed(why) => found.failures.push(format!("{what}: {why}")),
            Verdict::Gap(why) => found
                .gaps
                .entry(rpc.clone())
                .or_default()
                .push(format!("{what}: {why}")),
        }
        let after = counter.counts().await?;
        if answer.is_err() {
            let moved: Vec<String> = changed(&before, &after)
                .into_iter()
                .filter(|t| !may_write_when_refusing(&rpc, t))
                .collect();
            if !moved.is_empty() {
                found
                    .failures
                    .push(format!("{what}: refused but stored {moved:?}"));
            }
        }
        before = after;
    }
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await;
    if !matches!(&status, Ok(r) if r.get_ref().status == 1) {
        found
            .failures
            .push(format!("{rpc}: Health/Check after its walk: {status:?}"));
    }
    Ok(())
}

/// Every RPC a process serves, one after the other; how many, and what was found.
async fn walk_process(suite: &Suite, svc: Svc) -> anyhow::Result<(usize, Findings)> {
    let counter = Counter::new(suite, svc).await?;
    let pool = DescriptorPool::decode(secal_proto::FILE_DESCRIPTOR_SET)?;
    let channel = suite.channel(svc).await?;
    let token = token_for(suite, svc)?;
    let mut found = Findings::default();
    let mut walked = 0;
    // The contract is package secal.v1; the set also holds the social-security simulator's
    // service (development and tests only), which no SECAL process serves.
    let services = pool
        .services()
        .filter(|s| s.package_name() == "secal.v1" && Svc::serving(s.full_name()) == Some(svc));
    for service in services {
        for method in service.methods() {
            walked += 1;
            walk_rpc(suite, &counter, &channel, &token, &method, &mut found).await?;
        }
    }
    Ok((walked, found))
}

/// The gaps beyond [`KNOWN_GAPS`], and a line per RPC to keep the list current.
fn gaps_beyond_known(found: &Findings) -> Vec<String> {
    let known: BTreeMap<&str, usize> = KNOWN_GAPS.iter().copied().collect();
    let mut beyond = Vec::new();
    for (rpc, gaps) in &found.gaps {
        let allowed = known.get(rpc.as_str()).copied().unwrap_or(0);
        println!("gaps: (\"{rpc}\", {}),", gaps.len());
        if gaps.len() > allowed {
            beyond.push(format!("{rpc}: {} gaps, {allowed} known", gaps.len()));
            beyond.extend(gaps.iter().cloned());
        }
    }
    for (rpc, allowed) in &known {
        let now = found.gaps.get(*rpc).map_or(0, Vec::len);
        if now < *allowed {
            println!("gaps: {rpc} is down to {now} from {allowed}: lower KNOWN_GAPS");
        }
    }
    beyond
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_survives_hostile_input_and_stores_nothing_it_refuses() -> anyhow::Result<()> {
    let panics = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut p) = seen.lock() {
            p.push(info.to_string());
        }
        default_hook(info);
    }));

    let started = Instant::now();
    let suite = Suite::start(&Svc::ALL).await?;
    let (intake, calculation, data_exchange, payments) = tokio::join!(
        walk_process(&suite, Svc::Intake),
        walk_process(&suite, Svc::Calculation),
        walk_process(&suite, Svc::DataExchange),
        walk_process(&suite, Svc::Payments),
    );
    let mut found = Findings::default();
    let mut walked = 0usize;
    for (n, part) in [intake?, calculation?, data_exchange?, payments?] {
        walked += n;
        found.failures.extend(part.failures);
        found.gaps.extend(part.gaps);
        found.calls += part.calls;
    }

    let declared: usize = secal_proto::contract::services()
        .iter()
        .filter(|(name, _)| name.starts_with("secal.v1."))
        .map(|(_, methods)| methods.len())
        .sum();
    println!(
        "hostile walk: {walked} RPCs of {declared} declared, {} calls, {:.1} s",
        found.calls,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(walked, declared, "every RPC of the contract is walked");
    let panicked = panics.lock().map(|p| p.clone()).unwrap_or_default();
    assert!(panicked.is_empty(), "panics: {panicked:#?}");
    let failures = &found.failures;
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let beyond = gaps_beyond_known(&found);
    assert!(beyond.is_empty(), "{}", beyond.join("\n"));
    Ok(())
}
