// SPDX-License-Identifier: MPL-2.0
//! How the phone trusts the clinic server: the fingerprint it learned at
//! enrolment, not an OS trust store or a public CA.
//!
//! The enrolment QR (or code) carries the server's address and the SHA-256
//! of one certificate in the server's chain: the clinic CA the server made
//! on its first start (server certificates can then be renewed without
//! touching the phones), or the server certificate itself. The verifier
//! accepts a chain only if the pinned certificate is in it — as the trust
//! anchor of a normal WebPKI path check (names, validity, key usage), or as
//! the server certificate itself — and still checks the handshake
//! signature. Plain HTTP is refused except to loopback (tests, the demo).
//!
//! TLS is rustls on the `ring` provider: no OpenSSL, no aws-lc build, no
//! platform verifier to initialise on Android (ADR 0006).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

/// The SHA-256 of a certificate in the clinic server's chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerPin(pub [u8; 32]);

impl std::fmt::Debug for ServerPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerPin({self})")
    }
}

impl std::fmt::Display for ServerPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sha256:")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl ServerPin {
    /// The pin of a DER certificate.
    pub fn of(der: &[u8]) -> ServerPin {
        ServerPin(Sha256::digest(der).into())
    }

    /// Parses `sha256:<64 hex>` (colons between bytes and upper case are
    /// accepted, as certificate tools print them).
    pub fn parse(text: &str) -> Option<ServerPin> {
        let t = text.trim();
        let hex = t.strip_prefix("sha256:").unwrap_or(t).replace(':', "");
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(ServerPin(out))
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls client configuration that trusts only `pin`.
pub fn client_config(pin: ServerPin) -> rustls::ClientConfig {
    let provider = provider();
    let verifier = Arc::new(PinnedVerifier {
        pin,
        algorithms: provider.signature_verification_algorithms,
        provider: provider.clone(),
    });
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// A configuration that trusts no server: what a loopback (plain HTTP)
/// client carries, so that nothing falls back to a default trust store.
pub fn trust_nothing_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth()
}

#[derive(Debug)]
pub(crate) struct PinnedVerifier {
    pin: ServerPin,
    algorithms: WebPkiSupportedAlgorithms,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if ServerPin::of(end_entity) == self.pin {
            // The server certificate itself was pinned at enrolment.
            return Ok(ServerCertVerified::assertion());
        }
        let Some(anchor) = intermediates.iter().find(|c| ServerPin::of(c) == self.pin) else {
            return Err(Error::InvalidCertificate(CertificateError::UnknownIssuer));
        };
        let mut roots = RootCertStore::empty();
        roots.add(anchor.clone().into_owned())?;
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| Error::General(e.to_string()))?;
        webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Whether `url` may be used with this trust: HTTPS with a pin, or plain
/// HTTP to this machine only. Returns why not, in words for a developer.
pub fn check_url(url: &str, pin: Option<&ServerPin>) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    match parsed.scheme() {
        "https" if pin.is_some() => Ok(()),
        "https" => Err("an https address needs the server fingerprint from enrolment".into()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err("plain http is allowed only to this machine (loopback); use https".into())
            }
        }
        other => Err(format!("unsupported scheme {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chain {
        ca_der: Vec<u8>,
        leaf_der: Vec<u8>,
    }

    /// A clinic CA and a server certificate for `names`.
    fn chain(names: &[&str]) -> Chain {
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, "Houmon clinic CA (test)");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let leaf =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
        Chain { ca_der: ca_cert.der().to_vec(), leaf_der: leaf_cert.der().to_vec() }
    }

    fn verify(pin: ServerPin, c: &Chain, name: &str) -> Result<ServerCertVerified, Error> {
        let p = provider();
        let v = PinnedVerifier {
            pin,
            algorithms: p.signature_verification_algorithms,
            provider: p.clone(),
        };
        let leaf = CertificateDer::from(c.leaf_der.clone());
        let ca = CertificateDer::from(c.ca_der.clone());
        v.verify_server_cert(
            &leaf,
            &[ca],
            &ServerName::try_from(name.to_owned()).unwrap(),
            &[],
            UnixTime::now(),
        )
    }

    #[test]
    fn a_chain_to_the_pinned_clinic_ca_is_trusted_with_the_right_name_only() {
        let c = chain(&["clinic.local", "192.168.1.20"]);
        let pin = ServerPin::of(&c.ca_der);
        assert!(verify(pin, &c, "clinic.local").is_ok());
        assert!(verify(pin, &c, "192.168.1.20").is_ok());
        assert!(verify(pin, &c, "other.example").is_err(), "name checked");
        let stranger = chain(&["clinic.local"]);
        assert!(verify(pin, &stranger, "clinic.local").is_err(), "another CA");
    }

    #[test]
    fn a_pinned_server_certificate_is_trusted_and_any_other_pin_is_not() {
        let c = chain(&["clinic.local"]);
        assert!(verify(ServerPin::of(&c.leaf_der), &c, "clinic.local").is_ok());
        assert!(verify(ServerPin([0; 32]), &c, "clinic.local").is_err());
    }

    #[test]
    fn pins_parse_in_the_forms_tools_print() {
        let p = ServerPin([0xAB; 32]);
        assert_eq!(ServerPin::parse(&p.to_string()), Some(p));
        let colons = (0..32).map(|_| "AB").collect::<Vec<_>>().join(":");
        assert_eq!(ServerPin::parse(&colons), Some(p));
        assert_eq!(ServerPin::parse("sha256:abcd"), None);
        assert_eq!(ServerPin::parse(&"zz".repeat(32)), None);
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback_and_https_needs_a_pin() {
        let pin = ServerPin([1; 32]);
        assert!(check_url("http://127.0.0.1:8470", None).is_ok());
        assert!(check_url("http://localhost:8470", None).is_ok());
        assert!(check_url("http://[::1]:8470", None).is_ok());
        assert!(check_url("http://192.168.1.20:8470", None).is_err());
        assert!(check_url("https://192.168.1.20:8470", None).is_err());
        assert!(check_url("https://192.168.1.20:8470", Some(&pin)).is_ok());
        assert!(check_url("ftp://x", Some(&pin)).is_err());
        assert!(check_url("not a url", Some(&pin)).is_err());
    }
}
