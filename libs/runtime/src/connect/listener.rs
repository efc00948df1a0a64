//! The JSON listener: HTTP/1.1 and HTTP/2, mutual TLS whenever the gRPC listener has it (the
//! same certificate, key and CA; a client certificate required), drained with the process.

use std::{sync::Arc, time::Duration};

use http::Request;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::{
        conn::auto,
        graceful::{GracefulShutdown, Watcher},
    },
};
use tokio::{net::TcpListener, sync::watch};
use tokio_rustls::TlsAcceptor;

use super::{GrpcStack, JsonGateway};
use crate::tls::{PeerCertificate, TlsMaterial};

/// Serves `gateway` on `listener` until `draining` turns true, then lets the calls in flight
/// finish for up to `grace`.
pub async fn serve_json<S>(
    listener: TcpListener,
    gateway: JsonGateway<S>,
    tls: Option<TlsMaterial>,
    mut draining: watch::Receiver<bool>,
    grace: Duration,
) -> Result<(), String>
where
    S: GrpcStack,
{
    let acceptor = tls
        .as_ref()
        .map(|m| {
            m.rustls_server_config()
                .map(|c| TlsAcceptor::from(Arc::new(c)))
        })
        .transpose()?;
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    // As on the gRPC listener: no Nagle delay on answers.
                    let _ = tcp.set_nodelay(true);
                    accept(tcp, gateway.clone(), acceptor.clone(), &graceful);
                }
                Err(e) => tracing::warn!(error = %e, "json listener: accept failed"),
            },
            _ = draining.wait_for(|d| *d) => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("json listener: calls still in flight after the grace period");
    }
    Ok(())
}

fn accept<S>(
    tcp: tokio::net::TcpStream,
    gateway: JsonGateway<S>,
    acceptor: Option<TlsAcceptor>,
    graceful: &GracefulShutdown,
) where
    S: GrpcStack,
{
    let watcher = graceful.watcher();
    tokio::spawn(async move {
        let Some(acceptor) = acceptor else {
            return connection(TokioIo::new(tcp), gateway, None, watcher).await;
        };
        // The handshake verifies the client's certificate against the CA; a peer without one
        // never gets as far as a request.
        let Ok(tls) = acceptor.accept(tcp).await else {
            return;
        };
        let peer = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|certs| certs.first())
            .map(|leaf| PeerCertificate(Arc::from(leaf.as_ref())));
        connection(TokioIo::new(tls), gateway, peer, watcher).await;
    });
}

/// Serves one connection; each request carries the peer's verified certificate in its
/// extensions, where the authentication layer reads it (as it reads tonic's on gRPC).
async fn connection<I, S>(
    io: I,
    gateway: JsonGateway<S>,
    peer: Option<PeerCertificate>,
    watcher: Watcher,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: GrpcStack,
{
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        if let Some(peer) = &peer {
            req.extensions_mut().insert(peer.clone());
        }
        gateway.clone().handle(req)
    });
    let conn = auto::Builder::new(TokioExecutor::new())
        .serve_connection(io, service)
        .into_owned();
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(error = %e, "json listener: connection ended with an error");
    }
}
