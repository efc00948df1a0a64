//! A throwaway PKI made at test time: a cluster CA and a certificate per workload, naming it
//! by URI SAN `spiffe://secal/<identity>`, valid for localhost and 127.0.0.1.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, string::Ia5String,
};

pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A workload's files, as a service reads them from its settings.
pub struct Workload {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

impl Workload {
    pub fn pem(&self) -> anyhow::Result<(String, String, String)> {
        Ok((
            std::fs::read_to_string(&self.cert)?,
            std::fs::read_to_string(&self.key)?,
            std::fs::read_to_string(&self.ca)?,
        ))
    }

    /// The settings that make a service use this certificate.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "SECAL_TLS_CERT_FILE".into(),
                self.cert.display().to_string(),
            ),
            ("SECAL_TLS_KEY_FILE".into(), self.key.display().to_string()),
            ("SECAL_TLS_CA_FILE".into(), self.ca.display().to_string()),
            // Empty: unset the test kit's plaintext default.
            ("SECAL_PLAINTEXT".into(), String::new()),
        ]
    }
}

impl Ca {
    pub fn new(name: &str) -> anyhow::Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(Self {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate()?)?,
        })
    }

    /// Writes `<identity>.crt`, `.key` and the CA's certificate into `dir`.
    pub fn issue(&self, identity: &str, dir: &Path) -> anyhow::Result<Workload> {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, identity);
        params
            .subject_alt_names
            .push(SanType::URI(Ia5String::try_from(format!(
                "spiffe://secal/{identity}"
            ))?));
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let files = Workload {
            cert: dir.join(format!("{identity}.crt")),
            key: dir.join(format!("{identity}.key")),
            ca: dir.join(format!("{identity}.ca.crt")),
        };
        std::fs::write(&files.cert, cert.pem())?;
        std::fs::write(&files.key, key.serialize_pem())?;
        std::fs::write(&files.ca, self.issuer.pem())?;
        Ok(files)
    }
}
