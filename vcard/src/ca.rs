// SPDX-License-Identifier: MPL-2.0
//! A test CA made at run time, in the shape of the J-LIS 利用者証明用 CA.
//!
//! Keys are RSA-2048 like the real ones. Generating them costs about a
//! second, so one set is made per process and shared by every virtual card
//! ([`TestKeys::shared`]); certificates are issued per card, so each card can
//! have its own validity. No private key is ever written to disk.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::Encode;
use rsa::pkcs1v15::SigningKey;
use rsa::RsaPrivateKey;
use sha2::Sha256;
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// Subject of the test root; `O=JPKI-TEST` like J-LIS's own test hierarchy.
pub const TEST_CA_SUBJECT: &str =
    "C=JP,O=JPKI-TEST,OU=JPKI for user authentication,OU=Houmon virtual card test CA";

/// The keys behind every virtual card of this process.
pub struct TestKeys {
    pub ca: RsaPrivateKey,
    /// The card's 利用者証明用 key (also stands in for the 署名用 key, which
    /// the product never uses).
    pub card_auth: RsaPrivateKey,
    /// The 券面AP's own key, which signs the card face (DF28).
    pub card_face: RsaPrivateKey,
}

impl TestKeys {
    /// Made once per process, on first use.
    pub fn shared() -> &'static TestKeys {
        static KEYS: OnceLock<TestKeys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let mut rng = rand::thread_rng();
            let mut gen = || RsaPrivateKey::new(&mut rng, 2048).expect("RSA-2048 key generation");
            TestKeys { ca: gen(), card_auth: gen(), card_face: gen() }
        })
    }
}

/// The extensions of a real 利用者証明用 certificate, in shape (published
/// certificates carry these; see docs/card-protocol.md §5), so that the
/// virtual certificate has a realistic size (≈1.6 KB) and readers make as
/// many READ BINARY calls as on a real card. Values are test values.
fn add_jpki_shaped_extensions(b: &mut CertificateBuilder<'_, SigningKey<Sha256>>) {
    use der::asn1::{Ia5String, ObjectIdentifier as Oid};
    use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
    use x509_cert::ext::pkix::crl::dp::DistributionPoint;
    use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
    use x509_cert::ext::pkix::{
        AccessDescription, AuthorityInfoAccessSyntax, CertificatePolicies, CrlDistributionPoints,
        ExtendedKeyUsage, IssuerAltName,
    };
    let dir = |s: &str| GeneralName::DirectoryName(Name::from_str(s).expect("directory name"));
    let cps = Ia5String::new("http://www.jpki.go.jp/cps.html").expect("IA5");
    let e = "extension";
    b.add_extension(&ExtendedKeyUsage(vec![Oid::new_unwrap("1.3.6.1.5.5.7.3.2")])).expect(e);
    b.add_extension(&CertificatePolicies(vec![PolicyInformation {
        policy_identifier: Oid::new_unwrap("1.2.392.200149.8.5.1.3.30"),
        policy_qualifiers: Some(vec![PolicyQualifierInfo {
            policy_qualifier_id: Oid::new_unwrap("1.3.6.1.5.5.7.2.1"),
            qualifier: Some(der::Any::encode_from(&cps).expect("CPS")),
        }]),
    }]))
    .expect(e);
    b.add_extension(&IssuerAltName(vec![dir(
            "C=JP,O=公的個人認証サービス(テスト),OU=公的個人認証サービス利用者証明用,OU=Houmon 仮想カード試験認証局",
    )]))
    .expect(e);
    b.add_extension(&CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![dir(
                "C=JP,O=JPKI-TEST,OU=JPKI for user authentication,OU=CRL Distribution Points,OU=Tokyo-to,CN=Houmon-virtual CRLDP",
            )])),
            reasons: None,
            crl_issuer: None,
        }]))
        .expect(e);
    b.add_extension(&AuthorityInfoAccessSyntax(vec![AccessDescription {
        access_method: Oid::new_unwrap("1.3.6.1.5.5.7.48.1"),
        access_location: GeneralName::UniformResourceIdentifier(
            Ia5String::new("http://ocspauthnorm.test.invalid").expect("IA5"),
        ),
    }]))
    .expect(e);
}

/// The test CA: its certificate (DER) and the means to issue.
pub struct TestCa {
    pub cert_der: Vec<u8>,
}

fn time(t: SystemTime) -> Time {
    // Whole seconds; certificates carry no fractions.
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Time::try_from(UNIX_EPOCH + Duration::from_secs(secs)).expect("time within X.509 range")
}

fn spki_of(key: &RsaPrivateKey) -> SubjectPublicKeyInfoOwned {
    let der = key.to_public_key().to_public_key_der().expect("encode public key");
    SubjectPublicKeyInfoOwned::try_from(der.as_bytes()).expect("decode own SPKI")
}

impl TestCa {
    /// The process's test CA (self-signed, valid 2015–2045).
    pub fn shared() -> &'static TestCa {
        static CA: OnceLock<TestCa> = OnceLock::new();
        CA.get_or_init(|| {
            let keys = TestKeys::shared();
            let signer = SigningKey::<Sha256>::new(keys.ca.clone());
            let validity = Validity {
                not_before: time(UNIX_EPOCH + Duration::from_secs(1_445_299_200)), // 2015-10-20
                not_after: time(UNIX_EPOCH + Duration::from_secs(2_376_000_000)),  // 2045-04
            };
            let subject = Name::from_str(TEST_CA_SUBJECT).expect("CA name");
            let cert = CertificateBuilder::new(
                Profile::Root,
                SerialNumber::from(1u32),
                validity,
                subject,
                spki_of(&keys.ca),
                &signer,
            )
            .expect("CA builder")
            .build::<rsa::pkcs1v15::Signature>()
            .expect("CA certificate");
            TestCa { cert_der: cert.to_der().expect("encode CA") }
        })
    }

    /// Issues a leaf certificate for the card's auth key.
    pub fn issue(
        &self,
        subject: &str,
        serial: u32,
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Vec<u8> {
        let keys = TestKeys::shared();
        let signer = SigningKey::<Sha256>::new(keys.ca.clone());
        let profile = Profile::Leaf {
            issuer: Name::from_str(TEST_CA_SUBJECT).expect("CA name"),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let validity = Validity { not_before: time(not_before), not_after: time(not_after) };
        let mut builder = CertificateBuilder::new(
            profile,
            SerialNumber::from(serial),
            validity,
            Name::from_str(subject).expect("subject name"),
            spki_of(&keys.card_auth),
            &signer,
        )
        .expect("leaf builder");
        add_jpki_shaped_extensions(&mut builder);
        builder
            .build::<rsa::pkcs1v15::Signature>()
            .expect("leaf certificate")
            .to_der()
            .expect("encode leaf")
    }
}

impl TestCa {
    /// A revocation list from the test CA (DER, valid a week) naming the
    /// serial numbers of `revoked` (DER certificates).
    pub fn crl(&self, revoked: &[&[u8]]) -> Vec<u8> {
        use der::{Decode, Encode};
        use rsa::signature::{SignatureEncoding, Signer};
        use spki::DynSignatureAlgorithmIdentifier;
        use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
        use x509_cert::Certificate;
        let signer = SigningKey::<Sha256>::new(TestKeys::shared().ca.clone());
        let algorithm = signer.signature_algorithm_identifier().expect("algorithm");
        let now = SystemTime::now();
        let revoked_certificates = revoked
            .iter()
            .map(|der| RevokedCert {
                serial_number: Certificate::from_der(der)
                    .expect("a certificate")
                    .tbs_certificate
                    .serial_number,
                revocation_date: time(now - Duration::from_secs(3600)),
                crl_entry_extensions: None,
            })
            .collect::<Vec<_>>();
        let tbs = TbsCertList {
            version: x509_cert::Version::V2,
            signature: algorithm.clone(),
            issuer: Name::from_str(TEST_CA_SUBJECT).expect("CA name"),
            this_update: time(now - Duration::from_secs(3600)),
            next_update: Some(time(now + Duration::from_secs(7 * 86_400))),
            revoked_certificates: (!revoked_certificates.is_empty())
                .then_some(revoked_certificates),
            crl_extensions: None,
        };
        let signature = signer.sign(&tbs.to_der().expect("encode TBSCertList")).to_vec();
        CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: algorithm,
            signature: der::asn1::BitString::from_bytes(&signature).expect("bit string"),
        }
        .to_der()
        .expect("encode CRL")
    }
}
