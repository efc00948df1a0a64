//! A SIMULATOR of the social-security network, for development and tests only. It answers
//! for deterministic synthetic people (derived from the national number asked) and each
//! source can be switched to slow, failing or down.

mod people;
mod person;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use secal_proto::{
    sim::v1::{
        self as sim, SimulatedSourceMode,
        ssn_simulator_service_server::{SsnSimulatorService, SsnSimulatorServiceServer},
    },
    v1::IncomeSource,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{Request, Response, Status};

pub use people::{answer, answer_on};

#[derive(Debug, Clone, Copy)]
struct Behaviour {
    mode: SimulatedSourceMode,
    delay: Duration,
}

/// The switches, shared by the server and its handle.
#[derive(Debug, Default)]
pub struct Switches {
    modes: Mutex<HashMap<i32, Behaviour>>,
    calls: AtomicU64,
}

impl Switches {
    pub fn set(&self, source: IncomeSource, mode: SimulatedSourceMode, delay: Duration) {
        if let Ok(mut m) = self.modes.lock() {
            m.insert(source as i32, Behaviour { mode, delay });
        }
    }

    fn get(&self, source: i32) -> Option<Behaviour> {
        self.modes.lock().ok().and_then(|m| m.get(&source).copied())
    }

    /// Calls answered or refused so far (all sources).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SimulatorApi {
    switches: Arc<Switches>,
    /// The day the network answers as of; `None`: the real today. A fixed day gives the
    /// same answers on every day (demos, reproducing a report).
    today: Option<chrono::NaiveDate>,
}

#[tonic::async_trait]
impl SsnSimulatorService for SimulatorApi {
    async fn query_source(
        &self,
        request: Request<sim::QuerySourceRequest>,
    ) -> Result<Response<sim::QuerySourceResponse>, Status> {
        let req = request.into_inner();
        let n = self.switches.calls.fetch_add(1, Ordering::Relaxed);
        if let Some(b) = self.switches.get(req.source) {
            match b.mode {
                SimulatedSourceMode::Slow => tokio::time::sleep(b.delay).await,
                SimulatedSourceMode::Down => {
                    return Err(Status::unavailable("source down (simulated)"));
                }
                SimulatedSourceMode::Failing if !n.is_multiple_of(3) => {
                    return Err(Status::unavailable("source failing (simulated)"));
                }
                _ => {}
            }
        }
        let result = match self.today {
            Some(today) => answer_on(&req, today),
            None => answer(&req),
        }
        .map_err(Status::invalid_argument)?;
        Ok(Response::new(sim::QuerySourceResponse {
            result: Some(result),
        }))
    }

    async fn set_source_mode(
        &self,
        request: Request<sim::SetSourceModeRequest>,
    ) -> Result<Response<sim::SetSourceModeResponse>, Status> {
        let req = request.into_inner();
        let source = IncomeSource::try_from(req.source)
            .ok()
            .filter(|s| *s != IncomeSource::Unspecified)
            .ok_or_else(|| Status::invalid_argument("source"))?;
        let mode = SimulatedSourceMode::try_from(req.mode)
            .ok()
            .filter(|m| *m != SimulatedSourceMode::Unspecified)
            .ok_or_else(|| Status::invalid_argument("mode"))?;
        let delay = u64::try_from(req.delay_ms)
            .map(Duration::from_millis)
            .map_err(|_| Status::invalid_argument("delay_ms: must not be negative"))?;
        self.switches.set(source, mode, delay);
        Ok(Response::new(sim::SetSourceModeResponse {}))
    }
}

/// A running simulator on a loopback listener.
pub struct Simulator {
    addr: SocketAddr,
    switches: Arc<Switches>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Simulator {
    pub fn start(listener: TcpListener) -> std::io::Result<Simulator> {
        Self::start_as_of(listener, None)
    }

    /// As [`Simulator::start`], answering as of `today` when given.
    pub fn start_as_of(
        listener: TcpListener,
        today: Option<chrono::NaiveDate>,
    ) -> std::io::Result<Simulator> {
        let addr = listener.local_addr()?;
        let api = SimulatorApi {
            today,
            ..SimulatorApi::default()
        };
        let switches = api.switches.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(SsnSimulatorServiceServer::new(api))
                .serve_with_incoming_shutdown(
                    secal_runtime::server::incoming(listener),
                    async move {
                        let _ = stopped.await;
                    },
                ),
        );
        Ok(Simulator {
            addr,
            switches,
            stop: Some(stop),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn switches(&self) -> &Switches {
        &self.switches
    }

    pub fn set_mode(&self, source: IncomeSource, mode: SimulatedSourceMode, delay: Duration) {
        self.switches.set(source, mode, delay);
    }

    /// Stops the whole simulator (the network is down) and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server ends (for the binary).
    pub async fn wait(mut self) -> Result<(), String> {
        match (&mut self.task).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
