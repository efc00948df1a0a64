//! An OTLP/gRPC receiver of traces and metrics in the test process: the services export to it
//! exactly as they would to a collector, and the test reads back what arrived.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
};

use opentelemetry_proto::tonic::{
    collector::{
        metrics::v1::{
            ExportMetricsServiceRequest, ExportMetricsServiceResponse,
            metrics_service_server::{MetricsService, MetricsServiceServer},
        },
        trace::v1::{
            ExportTraceServiceRequest, ExportTraceServiceResponse,
            trace_service_server::{TraceService, TraceServiceServer},
        },
    },
    common::v1::{KeyValue, any_value::Value},
    metrics::v1::{metric::Data, number_data_point},
    resource::v1::Resource,
};
use tokio::net::TcpListener;

/// One received span, with the `service.name` of the process that sent it.
#[derive(Debug, Clone)]
pub struct Received {
    pub service: String,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
}

/// One received metric data point (sums and histograms), cumulative as exported.
#[derive(Debug, Clone)]
pub struct Point {
    pub service: String,
    pub metric: String,
    pub method: String,
    pub status: String,
    /// The sum's value, or the histogram's count.
    pub value: f64,
}

#[derive(Clone, Default)]
pub struct Receiver {
    spans: Arc<Mutex<Vec<Received>>>,
    points: Arc<Mutex<Vec<Point>>>,
}

fn attribute(attributes: &[KeyValue], key: &str) -> String {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .map(|v| match v {
            Value::StringValue(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default()
}

fn service_name(resource: Option<&Resource>) -> String {
    resource.map_or_else(String::new, |r| attribute(&r.attributes, "service.name"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut out = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        for rs in request.into_inner().resource_spans {
            let service = service_name(rs.resource.as_ref());
            for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
                out.push(Received {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                });
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let mut out = self.points.lock().unwrap_or_else(PoisonError::into_inner);
        for rm in request.into_inner().resource_metrics {
            let service = service_name(rm.resource.as_ref());
            for metric in rm.scope_metrics.into_iter().flat_map(|s| s.metrics) {
                let points: Vec<(Vec<KeyValue>, f64)> = match metric.data {
                    Some(Data::Sum(sum)) => sum
                        .data_points
                        .into_iter()
                        .map(|p| {
                            let v = match p.value {
                                Some(number_data_point::Value::AsInt(i)) => i as f64,
                                Some(number_data_point::Value::AsDouble(d)) => d,
                                None => 0.0,
                            };
                            (p.attributes, v)
                        })
                        .collect(),
                    // A gauge's points read as a sum's: the value it states.
                    Some(Data::Gauge(gauge)) => gauge
                        .data_points
                        .into_iter()
                        .map(|p| {
                            let v = match p.value {
                                Some(number_data_point::Value::AsInt(i)) => i as f64,
                                Some(number_data_point::Value::AsDouble(d)) => d,
                                None => 0.0,
                            };
                            (p.attributes, v)
                        })
                        .collect(),
                    Some(Data::Histogram(h)) => h
                        .data_points
                        .into_iter()
                        .map(|p| (p.attributes, p.count as f64))
                        .collect(),
                    _ => Vec::new(),
                };
                for (attributes, value) in points {
                    out.push(Point {
                        service: service.clone(),
                        metric: metric.name.clone(),
                        method: attribute(&attributes, "rpc.method"),
                        status: attribute(&attributes, "rpc.grpc.status_code"),
                        value,
                    });
                }
            }
        }
        Ok(tonic::Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

impl Receiver {
    /// Serves on a loopback port until the test ends.
    pub async fn start() -> anyhow::Result<(Self, SocketAddr)> {
        let receiver = Self::default();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(receiver.clone()))
                .add_service(MetricsServiceServer::new(receiver.clone()))
                .serve_with_incoming(secal_runtime::server::incoming(listener)),
        );
        Ok((receiver, addr))
    }

    pub fn spans(&self) -> Vec<Received> {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Receiver {
    pub fn points(&self) -> Vec<Point> {
        self.points
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
