//! The gRPC server every service runs: health, reflection, the tower stack (built here and
//! nowhere else) and graceful shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use tokio::{net::TcpListener, sync::watch};
use tonic::{service::Routes, transport::server::TcpIncoming};
use tonic_health::{
    ServingStatus,
    pb::health_server::{Health, HealthServer},
    server::HealthReporter,
};
use tower::ServiceBuilder;

use crate::{
    auth::{AuthPolicy, Authenticator, TokenVerifier},
    config::CommonArgs,
    connect::{GrpcStack, JsonGateway},
    limit::ConcurrencyLimitLayer,
    middleware::{AuthLayer, RequestContextLayer},
    tls::{PeerPolicy, TlsMaterial},
};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot read the token public key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("cannot build reflection: {0}")]
    Reflection(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("gRPC server failed: {0}")]
    Transport(String),
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("{0}")]
    Policy(String),
}

/// What the server needs besides the service's own routes.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub verifier: Arc<TokenVerifier>,
    pub request_timeout: Duration,
    /// RPCs handled at once by this process, over all its connections (health and
    /// reflection excepted); a call beyond it is shed with RESOURCE_EXHAUSTED.
    pub max_concurrent_requests: usize,
    pub shutdown_grace: Duration,
    /// Mutual TLS; `None` is plaintext (local stack and in-process tests).
    pub tls: Option<TlsMaterial>,
    pub peers: Arc<PeerPolicy>,
    /// Plaintext health-only listener, for probes that cannot do mutual TLS.
    pub health_listen: Option<SocketAddr>,
    /// The JSON over HTTP listener (`crate::connect`), when one is wanted.
    pub http_listen: Option<SocketAddr>,
}

impl ServerSettings {
    pub fn from_args(args: &CommonArgs) -> Result<Self, ServeError> {
        let path = args.jwt_public_key_file.display().to_string();
        let pem = std::fs::read(&args.jwt_public_key_file).map_err(|e| ServeError::Key {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let verifier = TokenVerifier::from_public_pem(&pem, &args.jwt_issuer).map_err(|e| {
            ServeError::Key {
                path,
                reason: e.to_string(),
            }
        })?;
        let tls = match (&args.tls_cert_file, &args.tls_key_file, &args.tls_ca_file) {
            (Some(cert), Some(key), Some(ca)) => Some(
                TlsMaterial::from_files(cert, key, ca)
                    .map_err(|e| ServeError::Tls(e.to_string()))?,
            ),
            _ if args.plaintext => None,
            _ => {
                return Err(ServeError::Tls(
                    "no certificate: set SECAL_TLS_CERT_FILE, SECAL_TLS_KEY_FILE and \
                     SECAL_TLS_CA_FILE, or SECAL_PLAINTEXT=true (local stack only)"
                        .into(),
                ));
            }
        };
        if let Some(material) = &tls {
            crate::tls::install_for_clients(material.clone());
        }
        let peers = args
            .tls_clients
            .iter()
            .filter(|c| !c.trim().is_empty())
            .fold(crate::tls::suite_call_graph(), |p, c| p.allow_all(c.trim()));
        Ok(Self {
            verifier: Arc::new(verifier),
            request_timeout: args.request_timeout,
            max_concurrent_requests: args.max_concurrent_requests() as usize,
            shutdown_grace: args.shutdown_grace,
            tls,
            peers: Arc::new(peers),
            health_listen: args.health_listen,
            http_listen: args.http_listen,
        })
    }

    pub fn with_verifier(verifier: TokenVerifier) -> Self {
        Self {
            verifier: Arc::new(verifier),
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
            shutdown_grace: Duration::from_secs(20),
            tls: None,
            peers: Arc::new(crate::tls::suite_call_graph()),
            health_listen: None,
            http_listen: None,
        }
    }
}

/// The connections a listener accepts, with `TCP_NODELAY` set on each.
///
/// Every server of the suite (and of its tests) takes its connections from here. Without
/// it, an answer written in more than one TCP segment waits for the peer's delayed ACK
/// (Nagle's algorithm): ~40 ms on every answer larger than a segment. tonic sets the option
/// only on listeners it binds itself, not on an `incoming` stream handed to it.
pub fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|e| ServeError::Bind {
        addr,
        reason: e.to_string(),
    })
}

/// Serves `routes` (the gRPC services `policy` guards, named by it)
/// plus health and reflection, until `shutdown` completes; then reports NOT_SERVING, stops
/// accepting, and lets in-flight calls finish for up to the grace period.
///
/// The steps keep their order: the policy is checked before anything is set up, so that a
/// wrong one never serves a call; health and reflection and the auth layer come next; the
/// drain is tied to `shutdown` before the first connection is accepted.
pub async fn serve(
    settings: ServerSettings,
    policy: AuthPolicy,
    routes: Routes,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    refuse_mismatched_policy(&policy, &settings.peers)?;
    let service_names: Vec<String> = policy.services().to_vec();
    let (health, health_service) = tonic_health::server::health_reporter();
    report(&health, &service_names, ServingStatus::Serving).await;
    let routes = with_reflection(routes.add_service(health_service.clone()), &service_names)?;
    // The limit sits after the request context, so that a shed call is logged and counted
    // like any other, and before authentication, so that it costs no signature check.
    let stack = ServiceBuilder::new()
        .layer(RequestContextLayer)
        .layer(ConcurrencyLimitLayer::new(settings.max_concurrent_requests))
        .layer(AuthLayer::new(authenticator(&settings, policy)));
    let json = json_gateway(
        &settings,
        &service_names,
        stack.clone().service(routes.clone()),
    )?;
    let (signal, draining) = drain_on(shutdown, health, service_names);
    let builder = transport(&settings)?;
    if let Some(addr) = settings.health_listen {
        serve_probes(bind(addr).await?, health_service);
    }
    if let (Some(addr), Some(gateway)) = (settings.http_listen, json) {
        spawn_json(bind(addr).await?, gateway, &settings, draining.clone());
    }
    let server = builder
        .timeout(settings.request_timeout)
        .layer(stack)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming(listener), signal);
    until_drained(server, draining, settings.shutdown_grace).await
}

/// A policy or call graph that does not match the contract is a deployment defect: refuse
/// to start rather than fail closed on one method at run time.
fn refuse_mismatched_policy(policy: &AuthPolicy, peers: &PeerPolicy) -> Result<(), ServeError> {
    policy
        .check()
        .map_err(|e| ServeError::Policy(e.to_string()))?;
    peers.check().map_err(|e| ServeError::Policy(e.to_string()))
}

/// Sets the server-wide status ("") and each service's, so that a probe asking for either
/// gets the same answer.
async fn report(health: &HealthReporter, service_names: &[String], status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in service_names {
        health.set_service_status(name.as_str(), status).await;
    }
}

/// Adds reflection, v1 and v1alpha (older tools only speak the latter).
fn with_reflection(routes: Routes, service_names: &[String]) -> Result<Routes, ServeError> {
    // Advertise only what this server serves, not every service in the shared descriptor set.
    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(secal_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection");
        for name in service_names {
            builder = builder.with_service_name(name.as_str());
        }
        builder
    };
    let reflection_v1 = reflection()
        .build_v1()
        .map_err(|e| ServeError::Reflection(e.to_string()))?;
    let reflection_v1alpha = reflection()
        .with_service_name("grpc.reflection.v1alpha.ServerReflection")
        .build_v1alpha()
        .map_err(|e| ServeError::Reflection(e.to_string()))?;
    Ok(routes
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

fn authenticator(settings: &ServerSettings, policy: AuthPolicy) -> Authenticator {
    Authenticator {
        verifier: settings.verifier.clone(),
        policy: Arc::new(policy),
        peers: settings.peers.clone(),
    }
}

/// The JSON front of this process when `SECAL_HTTP_LISTEN_ADDR` asks for one: it hands calls
/// to `stack` (the same layers and routes as gRPC) and serves the OpenAPI document of this
/// process's services.
fn json_gateway<S>(
    settings: &ServerSettings,
    services: &[String],
    stack: S,
) -> Result<Option<JsonGateway<S>>, ServeError>
where
    S: GrpcStack,
{
    if settings.http_listen.is_none() {
        return Ok(None);
    }
    let pool = crate::connect::descriptor_pool().map_err(ServeError::Reflection)?;
    let openapi = crate::connect::openapi_for(services);
    Ok(Some(JsonGateway::new(
        pool,
        services,
        stack,
        settings.request_timeout,
        openapi,
    )))
}

/// Serves the JSON front until the drain starts, as long as the process lives.
fn spawn_json<S>(
    listener: TcpListener,
    gateway: JsonGateway<S>,
    settings: &ServerSettings,
    draining: watch::Receiver<bool>,
) where
    S: GrpcStack,
{
    let (tls, grace) = (settings.tls.clone(), settings.shutdown_grace);
    tokio::spawn(async move {
        if let Err(e) = crate::connect::serve_json(listener, gateway, tls, draining, grace).await {
            tracing::error!(error = %e, "json listener stopped");
        }
    });
}

/// The signal tonic stops accepting on. NOT_SERVING goes out first so that probes and
/// balancers stop sending before the listener closes; the receiver then starts the grace
/// period.
fn drain_on(
    shutdown: impl Future<Output = ()> + Send + 'static,
    health: HealthReporter,
    service_names: Vec<String>,
) -> (
    impl Future<Output = ()> + Send + 'static,
    watch::Receiver<bool>,
) {
    let (drain_tx, drain_rx) = watch::channel(false);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutdown requested: draining in-flight calls");
        report(&health, &service_names, ServingStatus::NotServing).await;
        let _ = drain_tx.send(true);
    };
    (signal, drain_rx)
}

fn transport(settings: &ServerSettings) -> Result<tonic::transport::Server, ServeError> {
    let builder = tonic::transport::Server::builder();
    match &settings.tls {
        Some(tls) => builder
            .tls_config(tls.server_config())
            .map_err(|e| ServeError::Tls(e.to_string())),
        None => Ok(builder),
    }
}

/// The plaintext health-only listener. It lives as long as the process, reporting
/// NOT_SERVING while the main server drains.
fn serve_probes(probes: TcpListener, health: HealthServer<impl Health>) {
    tokio::spawn(async move {
        let served = tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming(incoming(probes))
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "health listener failed");
        }
    });
}

/// Runs the server until it stops by itself, or until the grace period after the drain
/// began: a call that outlives it must not hold the process up.
async fn until_drained(
    server: impl Future<Output = Result<(), tonic::transport::Error>>,
    mut draining: watch::Receiver<bool>,
    grace: Duration,
) -> Result<(), ServeError> {
    let deadline = async move {
        let _ = draining.wait_for(|draining| *draining).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.map_err(|e| ServeError::Transport(e.to_string())),
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "calls still running after the grace period; stopping");
            Ok(())
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;

    use super::*;

    /// The accepted side of a connection must not wait for the peer's ACK before sending
    /// the rest of an answer (see `incoming`).
    #[tokio::test]
    async fn accepted_connections_send_without_delay() -> Result<(), Box<dyn std::error::Error>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut accepted = incoming(listener);
        let _client = tokio::net::TcpStream::connect(addr).await?;
        let stream = accepted.next().await.ok_or("no connection accepted")??;
        assert!(
            stream.nodelay()?,
            "TCP_NODELAY is not set on an accepted connection"
        );
        Ok(())
    }
}
