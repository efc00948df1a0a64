//! OpenAPI 3.1 from the descriptor set: one operation per RPC (`POST /<service>/<method>`,
//! the route of the services' JSON listener), one JSON Schema (2020-12) per message and enum
//! reachable from them in the proto3 JSON mapping, the proto comments as descriptions.
//! The output is deterministic (sorted maps), so the checked-in copy can be compared with it.

use std::collections::BTreeMap;

use prost_reflect::{
    DescriptorPool, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor,
    MethodDescriptor,
};
use serde_json::{Value, json};

/// The document for `services` (full names) of `pool`.
pub fn document(pool: &DescriptorPool, services: &[&str], version: &str) -> Value {
    let mut todo: Vec<MessageDescriptor> = Vec::new();
    let mut paths = BTreeMap::new();
    let mut tags = Vec::new();
    for service in services.iter().filter_map(|n| pool.get_service_by_name(n)) {
        tags.push(json!({
            "name": service.name(),
            "description": comment(&service.parent_file(), service.path()).unwrap_or_default(),
        }));
        for m in service.methods() {
            paths.insert(
                format!("/{}/{}", service.full_name(), m.name()),
                json!({ "post": operation(&m) }),
            );
            todo.push(m.input());
            todo.push(m.output());
        }
    }
    envelope(version, tags, paths, schemas(todo))
}

fn operation(m: &MethodDescriptor) -> Value {
    let service = m.parent_service();
    let doc = comment(&service.parent_file(), m.path()).unwrap_or_default();
    let (ok_type, ok_desc) = if m.is_server_streaming() {
        (
            "application/x-ndjson",
            "One JSON object per line, each a message of the stream; a failure ends the stream \
             as a last line {\"error\": ConnectError}.",
        )
    } else {
        ("application/json", "The answer.")
    };
    let mut op = json!({
        "operationId": format!("{}_{}", service.name(), m.name()),
        "tags": [service.name()],
        "summary": doc.lines().next().unwrap_or_default(),
        "description": doc,
        "parameters": [
            {"$ref": "#/components/parameters/OnBehalfOf"},
            {"$ref": "#/components/parameters/ConnectTimeoutMs"},
            {"$ref": "#/components/parameters/RequestId"}
        ],
        "requestBody": {
            "required": true,
            "content": {"application/json": {"schema": {"$ref": schema_ref(&m.input())}}}
        },
        "responses": {
            "200": {
                "description": ok_desc,
                "content": {ok_type: {"schema": {"$ref": schema_ref(&m.output())}}}
            },
            "default": {"$ref": "#/components/responses/Error"}
        }
    });
    if m.is_server_streaming() {
        op["x-secal-server-streaming"] = json!(true);
    }
    op
}

/// Every message and enum the operations reach, by full name.
fn schemas(mut todo: Vec<MessageDescriptor>) -> BTreeMap<String, Value> {
    let mut messages = BTreeMap::new();
    let mut enums = BTreeMap::new();
    while let Some(msg) = todo.pop() {
        if messages.contains_key(msg.full_name()) || well_known(&msg).is_some() {
            continue;
        }
        let schema = message_schema(&msg, &mut todo, &mut enums);
        messages.insert(msg.full_name().to_owned(), schema);
    }
    messages.extend(enums);
    messages.insert("ConnectError".into(), connect_error_schema());
    messages
}

fn message_schema(
    msg: &MessageDescriptor,
    todo: &mut Vec<MessageDescriptor>,
    enums: &mut BTreeMap<String, Value>,
) -> Value {
    let mut props = serde_json::Map::new();
    for f in msg.fields() {
        let mut s = field_schema(&f, todo, enums);
        let mut doc = comment(&msg.parent_file(), f.path()).unwrap_or_default();
        if let Some(o) = f.containing_oneof().filter(|o| !o.is_synthetic()) {
            let others: Vec<_> = o.fields().map(|x| x.json_name().to_owned()).collect();
            doc = format!("{doc}\n\nAt most one of: {}.", others.join(", "))
                .trim()
                .to_owned();
        }
        if !doc.is_empty() {
            s["description"] = doc.into();
        }
        props.insert(f.json_name().to_owned(), s);
    }
    let mut schema = json!({"type": "object", "properties": props, "additionalProperties": false});
    if let Some(d) = comment(&msg.parent_file(), msg.path()) {
        schema["description"] = d.into();
    }
    schema
}

fn envelope(
    version: &str,
    tags: Vec<Value>,
    paths: BTreeMap<String, Value>,
    schemas: BTreeMap<String, Value>,
) -> Value {
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "SECAL suite — JSON over HTTP",
            "version": version,
            "description": "Every RPC of the suite as POST /<package.Service>/<Method> with a \
                proto3 JSON body (the Connect protocol's unary JSON form), on each service's \
                JSON listener. Same tokens, roles and idempotency keys as gRPC.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}
        },
        "tags": tags,
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "parameters": parameters(),
            "responses": {
                "Error": {
                    "description": "A gRPC status as a Connect error, its google.rpc details \
                        decoded in `debug`.",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ConnectError"}
                    }}
                }
            },
            "schemas": schemas
        }
    })
}

fn parameters() -> Value {
    json!({
        "OnBehalfOf": {
            "name": "x-secal-on-behalf-of", "in": "header", "required": false,
            "description": "A calling system relays an agent's token; ignored from agents.",
            "schema": {"type": "string"}
        },
        "ConnectTimeoutMs": {
            "name": "connect-timeout-ms", "in": "header", "required": false,
            "description": "Deadline in milliseconds (capped by the server's request timeout).",
            "schema": {"type": "integer", "minimum": 1}
        },
        "RequestId": {
            "name": "x-request-id", "in": "header", "required": false,
            "schema": {"type": "string", "maxLength": 128}
        }
    })
}

fn schema_ref(m: &MessageDescriptor) -> String {
    format!("#/components/schemas/{}", m.full_name())
}

fn field_schema(
    f: &FieldDescriptor,
    todo: &mut Vec<MessageDescriptor>,
    enums: &mut BTreeMap<String, Value>,
) -> Value {
    if f.is_map()
        && let Kind::Message(entry) = f.kind()
    {
        let value = entry.map_entry_value_field();
        return json!({
            "type": "object",
            "additionalProperties": kind_schema(&value.kind(), todo, enums)
        });
    }
    let one = kind_schema(&f.kind(), todo, enums);
    if f.is_list() {
        json!({"type": "array", "items": one})
    } else {
        one
    }
}

fn kind_schema(
    kind: &Kind,
    todo: &mut Vec<MessageDescriptor>,
    enums: &mut BTreeMap<String, Value>,
) -> Value {
    match kind {
        Kind::Double | Kind::Float => json!({"type": "number"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        Kind::Uint32 | Kind::Fixed32 => {
            json!({"type": "integer", "minimum": 0, "maximum": 4294967295u64})
        }
        // proto3 JSON writes 64-bit integers as strings (and reads both).
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            json!({"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"})
        }
        Kind::Uint64 | Kind::Fixed64 => {
            json!({"type": "string", "format": "uint64", "pattern": "^[0-9]+$"})
        }
        Kind::Bool => json!({"type": "boolean"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
        Kind::Enum(e) => {
            enums
                .entry(e.full_name().to_owned())
                .or_insert_with(|| enum_schema(e));
            json!({"$ref": format!("#/components/schemas/{}", e.full_name())})
        }
        Kind::Message(m) => match well_known(m) {
            Some(s) => s,
            None => {
                todo.push(m.clone());
                json!({"$ref": schema_ref(m)})
            }
        },
    }
}

fn enum_schema(e: &EnumDescriptor) -> Value {
    let names: Vec<_> = e.values().map(|v| v.name().to_owned()).collect();
    let mut s = json!({"type": "string", "enum": names});
    let mut doc = comment(&e.parent_file(), e.path()).unwrap_or_default();
    for v in e.values() {
        if let Some(c) = comment(&e.parent_file(), v.path()) {
            doc.push_str(&format!("\n- `{}`: {}", v.name(), c.replace('\n', " ")));
        }
    }
    if !doc.trim().is_empty() {
        s["description"] = doc.trim().to_owned().into();
    }
    s
}

/// The well-known types have their own JSON forms.
fn well_known(m: &MessageDescriptor) -> Option<Value> {
    Some(match m.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => {
            json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$"})
        }
        "google.protobuf.Empty" => json!({"type": "object", "additionalProperties": false}),
        "google.protobuf.Struct" => json!({"type": "object"}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({"type": "array"}),
        "google.protobuf.FieldMask" => json!({"type": "string"}),
        "google.protobuf.Any" => {
            json!({"type": "object", "required": ["@type"], "properties": {"@type": {"type": "string"}}})
        }
        "google.protobuf.StringValue" => json!({"type": ["string", "null"]}),
        "google.protobuf.BoolValue" => json!({"type": ["boolean", "null"]}),
        "google.protobuf.Int32Value" | "google.protobuf.UInt32Value" => {
            json!({"type": ["integer", "null"]})
        }
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => {
            json!({"type": ["string", "null"]})
        }
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => {
            json!({"type": ["number", "null"]})
        }
        "google.protobuf.BytesValue" => {
            json!({"type": ["string", "null"], "contentEncoding": "base64"})
        }
        _ => return None,
    })
}

fn connect_error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["code"],
        "properties": {
            "code": {"type": "string", "enum": ["canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated"]},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {
                "type": "object",
                "required": ["type", "value"],
                "properties": {
                    "type": {"type": "string", "description": "e.g. google.rpc.BadRequest, google.rpc.ErrorInfo"},
                    "value": {"type": "string", "contentEncoding": "base64"},
                    "debug": {"type": "object", "description": "The detail in proto3 JSON (fieldViolations, reason, metadata…)."}
                }
            }}
        }
    })
}

/// The leading (or trailing) comment at a descriptor's source path.
fn comment(file: &FileDescriptor, path: &[i32]) -> Option<String> {
    let info = file.file_descriptor_proto().source_code_info.as_ref()?;
    let loc = info.location.iter().find(|l| l.path == path)?;
    let text = loc
        .leading_comments
        .as_deref()
        .or(loc.trailing_comments.as_deref())?;
    let text = text
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned();
    (!text.is_empty()).then_some(text)
}
