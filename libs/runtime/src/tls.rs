//! Mutual TLS between services (rustls through tonic). Each service holds a certificate issued
//! by the cluster CA, naming it by a URI SAN `spiffe://secal/<identity>` (e.g.
//! `spiffe://secal/secal-intake`); it accepts only peers whose certificate chains to that CA,
//! and the peer's identity is then checked against who may call what (`PeerPolicy`).
//! Plaintext is for the local stack only, and must be asked for (`SECAL_PLAINTEXT=true`).

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, OnceLock},
};

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// The URI SAN prefix that names a SECAL workload.
pub const IDENTITY_URI_PREFIX: &str = "spiffe://secal/";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{0}")]
    Settings(String),
}

/// This workload's certificate and key, and the CA its peers must chain to.
#[derive(Clone)]
pub struct TlsMaterial {
    identity: Identity,
    ca: Certificate,
    /// The same material as PEM, for the JSON listener's own rustls configuration.
    pem: Arc<Pem>,
}

struct Pem {
    cert: Vec<u8>,
    key: Vec<u8>,
    ca: Vec<u8>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial").finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

impl TlsMaterial {
    pub fn from_pem(cert: &[u8], key: &[u8], ca: &[u8]) -> Self {
        Self {
            identity: Identity::from_pem(cert, key),
            ca: Certificate::from_pem(ca),
            pem: Arc::new(Pem {
                cert: cert.to_vec(),
                key: key.to_vec(),
                ca: ca.to_vec(),
            }),
        }
    }

    pub fn from_files(cert: &Path, key: &Path, ca: &Path) -> Result<Self, TlsError> {
        Ok(Self::from_pem(&read(cert)?, &read(key)?, &read(ca)?))
    }

    /// Client certificates are required: a peer without one never reaches a handler.
    pub fn server_config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(self.identity.clone())
            .client_ca_root(self.ca.clone())
    }

    /// The JSON listener's configuration: what `server_config` gives tonic (this certificate,
    /// client certificates required and chained to the CA), offering HTTP/2 and HTTP/1.1.
    pub fn rustls_server_config(&self) -> Result<rustls::ServerConfig, String> {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = CertificateDer::pem_slice_iter(&self.pem.cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("certificate: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(&self.pem.key).map_err(|e| format!("key: {e}"))?;
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(&self.pem.ca) {
            roots
                .add(ca.map_err(|e| format!("CA: {e}"))?)
                .map_err(|e| format!("CA: {e}"))?;
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| format!("client verifier: {e}"))?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .map_err(|e| format!("certificate and key: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    pub fn client_config(&self) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .identity(self.identity.clone())
            .ca_certificate(self.ca.clone())
    }
}

static CLIENT_TLS: OnceLock<TlsMaterial> = OnceLock::new();

/// Makes every channel this process opens (`client::channel`) use mutual TLS. Set once at
/// start-up; a second call is ignored.
pub fn install_for_clients(material: TlsMaterial) {
    let _ = CLIENT_TLS.set(material);
}

pub(crate) fn client_material() -> Option<&'static TlsMaterial> {
    CLIENT_TLS.get()
}

/// The identity a verified peer certificate names, from its first `spiffe://secal/` URI SAN.
pub fn identity_from_der(der: &[u8]) -> Option<String> {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let san = cert.subject_alternative_name().ok()??;
    san.value.general_names.iter().find_map(|name| match name {
        GeneralName::URI(uri) => uri
            .strip_prefix(IDENTITY_URI_PREFIX)
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .map(str::to_owned),
        _ => None,
    })
}

/// The verified client certificate (DER) of a connection to the JSON listener, put in each
/// request's extensions as tonic puts its `TlsConnectInfo` on a gRPC connection.
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub Arc<[u8]>);

/// The peer's identity on a TLS connection: `Ok(None)` on plaintext, `Err` when the peer
/// presented a certificate that names no SECAL identity.
pub fn peer_identity(extensions: &http::Extensions) -> Result<Option<String>, String> {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    if let Some(PeerCertificate(leaf)) = extensions.get::<PeerCertificate>() {
        return identity_from_der(leaf).map(Some).ok_or_else(|| {
            format!("the client certificate names no {IDENTITY_URI_PREFIX} identity")
        });
    }
    let Some(info) = extensions.get::<TlsConnectInfo<TcpConnectInfo>>() else {
        return Ok(None);
    };
    let certs = info
        .peer_certs()
        .ok_or_else(|| "no client certificate".to_owned())?;
    let leaf = certs
        .first()
        .ok_or_else(|| "no client certificate".to_owned())?;
    identity_from_der(leaf.as_ref())
        .map(Some)
        .ok_or_else(|| format!("the client certificate names no {IDENTITY_URI_PREFIX} identity"))
}

/// Who may call what, by certificate identity. Services list the other services that call
/// them and which methods; client systems named in configuration (`SECAL_TLS_CLIENTS`) may
/// call any method, their tokens' roles still deciding.
#[derive(Debug, Clone, Default)]
pub struct PeerPolicy {
    // identity → full method paths ("/pkg.Service/Method"); "*" for any.
    allowed: HashMap<String, Vec<String>>,
}

impl PeerPolicy {
    pub fn new() -> Self {
        Self::default()
    }

    /// `identity` may call `methods` (RPC names) of `service` (full name).
    pub fn allow(mut self, identity: &str, service: &str, methods: &[&str]) -> Self {
        let paths = self.allowed.entry(identity.to_owned()).or_default();
        paths.extend(methods.iter().map(|m| format!("/{service}/{m}")));
        self
    }

    /// `identity` may call every method.
    pub fn allow_all(mut self, identity: &str) -> Self {
        self.allowed
            .entry(identity.to_owned())
            .or_default()
            .push("*".to_owned());
        self
    }

    /// Every method the graph names exists in the contract (`*` aside).
    pub fn check(&self) -> Result<(), crate::auth::PolicyError> {
        let mut problems: Vec<String> = self
            .allowed
            .iter()
            .flat_map(|(identity, paths)| {
                paths
                    .iter()
                    .filter(|p| p.as_str() != "*" && !secal_proto::contract::is_method_path(p))
                    .map(move |p| {
                        format!("{identity} may call {p}, which is not a method of the contract")
                    })
            })
            .collect();
        problems.sort();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(crate::auth::PolicyError {
                service: "the call graph".to_owned(),
                problems,
            })
        }
    }

    pub fn permits(&self, identity: &str, path: &str) -> bool {
        self.allowed
            .get(identity)
            .is_some_and(|paths| paths.iter().any(|p| p == "*" || p == path))
    }
}

/// The calls between the suite's workloads, as ARCHITECTURE.md draws them (the cluster's
/// NetworkPolicies allow the same and nothing else).
pub fn suite_call_graph() -> PeerPolicy {
    use secal_proto::v1::{
        calculation_service_server::SERVICE_NAME as CALCULATION,
        casework_feed_service_server::SERVICE_NAME as CASEWORK_FEED,
        claim_account_service_server::SERVICE_NAME as CLAIM_ACCOUNT,
        intake_service_server::SERVICE_NAME as INTAKE,
        ledger_service_server::SERVICE_NAME as LEDGER,
        persons_service_server::SERVICE_NAME as PERSONS,
        recovery_service_server::SERVICE_NAME as RECOVERY,
    };
    PeerPolicy::new()
        .allow(
            "secal-intake",
            CALCULATION,
            &["CheckAdmissibility", "ComputeArrears", "IndexAmount"],
        )
        .allow("secal-intake", LEDGER, &["ReceiveDossierEvent"])
        .allow(
            "secal-intake",
            CLAIM_ACCOUNT,
            &["GetDebtorStatement", "GetCreditorStatement"],
        )
        .allow(
            "secal-intake",
            CASEWORK_FEED,
            &["ListCaseworkEvents", "AcknowledgeCaseworkEvents"],
        )
        .allow(
            "secal-payments",
            CALCULATION,
            &[
                "ListReferenceValues",
                "IndexAmount",
                "ComputeArrears",
                "ComputeInterest",
                "ComputeAdvance",
                "ComputeAdvances",
                "ComputeSeizableIncome",
                "ComputeSurcharge",
            ],
        )
        .allow(
            "secal-data-exchange",
            PERSONS,
            &[
                "CheckPersonActiveDossier",
                "ListPersonDossierRoles",
                "GetPerson",
            ],
        )
        .allow("secal-data-exchange", INTAKE, &["GetDossier"])
        .allow(
            "tax-refunds",
            RECOVERY,
            &[
                "ProposeTaxRefundOffset",
                "ConfirmTaxRefundOffset",
                "CancelTaxRefundOffset",
                "GetTaxRefundOffset",
                "ListCertifiedDebts",
            ],
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_may_call_only_what_it_is_given() {
        let p = PeerPolicy::new()
            .allow(
                "secal-intake",
                "secal.v1.LedgerService",
                &["ReceiveDossierEvent"],
            )
            .allow_all("case-officer-portal");
        assert!(p.permits(
            "secal-intake",
            "/secal.v1.LedgerService/ReceiveDossierEvent"
        ));
        assert!(!p.permits(
            "secal-intake",
            "/secal.v1.LedgerService/RecordDebtorPayment"
        ));
        assert!(p.permits("case-officer-portal", "/secal.v1.LedgerService/Anything"));
        assert!(!p.permits(
            "secal-data-exchange",
            "/secal.v1.LedgerService/ReceiveDossierEvent"
        ));
    }

    #[test]
    fn the_suite_call_graph_names_only_methods_of_the_contract() {
        assert_eq!(suite_call_graph().check(), Ok(()));
        let typo = suite_call_graph().allow(
            "secal-intake",
            "secal.v1.LedgerService",
            &["ReceiveDosierEvent"],
        );
        let err = typo.check().expect_err("a typo is found");
        assert_eq!(
            err.problems,
            vec![
                "secal-intake may call /secal.v1.LedgerService/ReceiveDosierEvent, which is not \
                 a method of the contract"
                    .to_owned()
            ]
        );
        assert_eq!(PeerPolicy::new().allow_all("portal").check(), Ok(()));
    }
}
