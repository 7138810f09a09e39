//! The one part of the HTTP layer that touches the network: ureq over rustls, with the crypto
//! provider cut down to what the public PKI needs, and its failures worded for a router owner.

use super::{host_of, url_allowed, Deadline, HttpError, Request, Response, Transport, MAX_BODY};
use crate::error::Error;
use crate::net::Family;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout};

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// PEM bundle of trusted roots (OpenWrt's ca-bundle puts it at the default path).
    pub ca_bundle: String,
    pub timeout: Duration,
    /// The WAN device every connection leaves through (SO_BINDTODEVICE); `None`: as routed.
    pub device: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            ca_bundle: "/etc/ssl/certs/ca-certificates.crt".into(),
            timeout: Duration::from_secs(10),
            device: None,
        }
    }
}

/// Trusted roots loaded once from the bundle; shared by every agent.
#[derive(Clone)]
pub struct Roots(ureq::tls::RootCerts);

impl Roots {
    pub fn load(path: &str) -> Result<Roots, Error> {
        match std::fs::read(path) {
            Ok(pem) => {
                let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                if certs.is_empty() {
                    return Err(Error::Config(format!("CA bundle {path} holds no certificate")));
                }
                Ok(Roots(ureq::tls::RootCerts::Specific(Arc::new(certs))))
            }
            Err(e) => Self::fallback(format!("cannot read CA bundle {path}: {e} (install ca-bundle)")),
        }
    }

    #[cfg(feature = "webpki-roots")]
    fn fallback(why: String) -> Result<Roots, Error> {
        crate::debug!("{why}; using the compiled-in roots");
        Ok(Roots(ureq::tls::RootCerts::WebPki))
    }

    #[cfg(not(feature = "webpki-roots"))]
    fn fallback(why: String) -> Result<Roots, Error> {
        Err(Error::Config(why))
    }
}

/// The TLS client's algorithms: AES-GCM suites (TLS 1.3's mandatory one among them, and what
/// TLS 1.2 servers offer with ECDHE); key exchange on P-256 and P-384, which every TLS server
/// must offer (RFC 8446 §9.1); certificate signatures in ECDSA P-256/P-384 and RSA, which is what
/// the public PKI uses. Leaving out X25519, Ed25519 and ChaCha20 drops that code from ring, and a
/// key provider that loads no keys drops RSA signing (no client certificates are ever sent):
/// about 108 KB on MIPS.
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    use rustls::crypto::ring::{cipher_suite as cs, kx_group};
    use rustls::crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
    use rustls::SignatureScheme as S;
    use webpki::ring as alg;

    #[derive(Debug)]
    struct SystemRandom;
    impl SecureRandom for SystemRandom {
        fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf).map_err(|_| GetRandomFailed)
        }
    }
    #[derive(Debug)]
    struct NoKeys;
    impl KeyProvider for NoKeys {
        fn load_private_key(
            &self,
            _: rustls::pki_types::PrivateKeyDer<'static>,
        ) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
            Err(rustls::Error::General("edgeddns sends no client certificates".into()))
        }
    }
    static SIGNATURES: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
        all: &[
            alg::ECDSA_P256_SHA256,
            alg::ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            // In TLS 1.2 an ECDSA scheme does not fix the curve.
            (S::ECDSA_NISTP384_SHA384, &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384]),
            (S::ECDSA_NISTP256_SHA256, &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256]),
            (S::RSA_PSS_SHA512, &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY]),
            (S::RSA_PSS_SHA384, &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY]),
            (S::RSA_PSS_SHA256, &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY]),
            (S::RSA_PKCS1_SHA512, &[alg::RSA_PKCS1_2048_8192_SHA512]),
            (S::RSA_PKCS1_SHA384, &[alg::RSA_PKCS1_2048_8192_SHA384]),
            (S::RSA_PKCS1_SHA256, &[alg::RSA_PKCS1_2048_8192_SHA256]),
        ],
    };
    static PROVIDER: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            Arc::new(CryptoProvider {
                cipher_suites: vec![
                    cs::TLS13_AES_128_GCM_SHA256,
                    cs::TLS13_AES_256_GCM_SHA384,
                    cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                    cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                    cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                ],
                kx_groups: vec![kx_group::SECP256R1, kx_group::SECP384R1],
                signature_verification_algorithms: SIGNATURES,
                secure_random: &SystemRandom,
                key_provider: &NoKeys,
            })
        })
        .clone()
}

/// The real thing: HTTPS with verified certificates over ureq, optionally pinned to one family.
pub struct Client {
    agent: ureq::Agent,
    until: Deadline,
}

impl Client {
    pub fn new(roots: &Roots, opts: &ClientOptions, family: Option<Family>) -> Client {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(crypto_provider())
            .root_certs(roots.0.clone())
            .build();
        let ip_family = match family {
            None => ureq::config::IpFamily::Any,
            Some(Family::V4) => ureq::config::IpFamily::Ipv4Only,
            Some(Family::V6) => ureq::config::IpFamily::Ipv6Only,
        };
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .ip_family(ip_family)
            .http_status_as_error(false)
            .timeout_global(Some(opts.timeout))
            // No-IP and Dyn ask for "program/version" and a way to identify the client.
            .user_agent(concat!("edgeddns/", env!("CARGO_PKG_VERSION"), " (OpenWrt dynamic DNS client)"))
            .max_redirects(0)
            // Env proxies are not read: a router's daemon environment is procd's, not a shell's.
            .proxy(None)
            .build();
        // ureq's own TLS over our TCP: the socket is bound to the WAN before it connects.
        let connector = BoundTcp(opts.device.clone()).chain(ureq::unversioned::transport::RustlsConnector::default());
        let agent = ureq::Agent::with_parts(config, connector, ureq::unversioned::resolver::DefaultResolver::default());
        Client { agent, until: Deadline::default() }
    }

    /// No request of this client starts after `until`.
    pub fn with_deadline(mut self, until: Deadline) -> Client {
        self.until = until;
        self
    }
}

impl Transport for Client {
    fn send(&mut self, req: &Request) -> Result<Response, HttpError> {
        self.until.check()?;
        if !url_allowed(&req.url, req.allow_http) {
            return Err(HttpError::Refused(format!(
                "refusing {}: only https is allowed unless the service sets allow_http",
                req.mask(&req.url)
            )));
        }
        let mut builder = ureq::http::Request::builder().method(req.method.as_str()).uri(&req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let http_req = builder
            .body(req.body.clone().unwrap_or_default())
            .map_err(|e| HttpError::Refused(req.mask(&format!("bad request: {e}"))))?;
        let result = if req.body.is_some() {
            self.agent.run(http_req)
        } else {
            // ureq refuses a body on GET/DELETE; an empty one is the same on the wire.
            let (parts, _) = http_req.into_parts();
            self.agent.run(ureq::http::Request::from_parts(parts, ()))
        };
        let mut resp = result.map_err(|e| describe(&e, &req.url, |m| req.mask(&m)))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| describe(&e, &req.url, |m| req.mask(&format!("{m} (reading the answer)"))))?;
        Ok(Response { status, headers, body })
    }
}

/// Opens the TCP connection of a request, through the WAN device when there is one.
#[derive(Debug)]
struct BoundTcp(Option<String>);

impl Connector<()> for BoundTcp {
    type Out = Tcp;

    fn connect(&self, details: &ConnectionDetails, _: Option<()>) -> Result<Option<Tcp>, ureq::Error> {
        let timeout = details.timeout.not_zero().map_or(Duration::from_secs(10), |d| *d);
        let mut last = ureq::Error::ConnectionFailed;
        for addr in &details.addrs {
            match crate::net::connect_tcp(*addr, self.0.as_deref(), timeout) {
                Ok(stream) => {
                    // As ureq's own connector: a request's small TLS records go out at once.
                    let _ = stream.set_nodelay(true);
                    let config = details.config;
                    let buffers = LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
                    return Ok(Some(Tcp { stream, buffers }));
                }
                Err(e) => last = io_error(e, ureq::Timeout::Connect),
            }
        }
        Err(last)
    }
}

#[derive(Debug)]
struct Tcp {
    stream: std::net::TcpStream,
    buffers: LazyBuffers,
}

fn io_error(e: std::io::Error, reason: ureq::Timeout) -> ureq::Error {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ureq::Error::Timeout(reason),
        _ => ureq::Error::Io(e),
    }
}

impl ureq::unversioned::transport::Transport for Tcp {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let t = timeout.for_write();
        self.stream.set_write_timeout(t.not_zero().map(|d| *d))?;
        let out = self.buffers.output();
        let out = out.get(..amount).unwrap_or(out);
        self.stream.write_all(out).map_err(|e| io_error(e, t.reason))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let t = timeout.for_read();
        self.stream.set_read_timeout(t.not_zero().map(|d| *d))?;
        let n = self.stream.read(self.buffers.input_append_buf()).map_err(|e| io_error(e, t.reason))?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    /// A pooled connection is reused only if the server has neither closed it nor sent
    /// anything unasked.
    fn is_open(&mut self) -> bool {
        let mut b = [0u8; 1];
        let _ = self.stream.set_nonblocking(true);
        let idle = matches!(self.stream.peek(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        self.stream.set_nonblocking(false).is_ok() && idle
    }
}

/// The failure in words (masked by `mask`), as the kind of failure it is.
fn describe(e: &ureq::Error, url: &str, mask: impl Fn(String) -> String) -> HttpError {
    let host = host_of(url);
    let tls = |what: String| HttpError::Tls(mask(format!("{host}: TLS: {what}")));
    let handshake = |err: &rustls::Error| match not_valid_yet(err) {
        true => HttpError::Clock(mask(format!(
            "{host}: TLS: the certificate is not valid yet: waiting for the clock (NTP)"
        ))),
        false => tls(describe_tls(err)),
    };
    match e {
        ureq::Error::Timeout(_) => HttpError::Timeout(mask(format!("{host}: no answer in time"))),
        ureq::Error::HostNotFound => HttpError::Transport(mask(format!("{host}: host name not found"))),
        ureq::Error::ConnectionFailed => HttpError::Transport(mask(format!("{host}: connection failed"))),
        // rustls reports handshake failures through the socket's I/O error.
        ureq::Error::Io(io) => match io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(err) => handshake(err),
            None if io.kind() == std::io::ErrorKind::TimedOut || io.kind() == std::io::ErrorKind::WouldBlock => {
                HttpError::Timeout(mask(format!("{host}: no answer in time ({io})")))
            }
            None => HttpError::Transport(mask(format!("{host}: {io}"))),
        },
        ureq::Error::Tls(msg) => tls(msg.to_string()),
        ureq::Error::Rustls(err) => handshake(err),
        other => HttpError::Transport(mask(format!("{host}: {other}"))),
    }
}

/// Verification is never lowered for this: the update waits for the clock instead.
fn not_valid_yet(e: &rustls::Error) -> bool {
    use rustls::CertificateError as C;
    matches!(e, rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }))
}

/// What went wrong in a handshake, in words: routers are built without `Debug` formatting,
/// which rustls uses for several of its messages.
fn describe_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "the certificate is not from a trusted CA (check ca_bundle; is something intercepting HTTPS?)".into()
            }
            C::Expired | C::ExpiredContext { .. } => {
                "the certificate has expired (is the router's clock right?)".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => "the certificate is for another host name".into(),
            C::Revoked => "the certificate has been revoked".into(),
            C::BadSignature => "the certificate's signature is wrong".into(),
            C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                "the certificate is signed with an algorithm edgeddns does not accept".into()
            }
            C::BadEncoding => "the certificate is malformed".into(),
            other => format!("invalid certificate: {other}"),
        },
        rustls::Error::AlertReceived(alert) => {
            format!("the server ended the handshake (TLS alert {})", u8::from(*alert))
        }
        rustls::Error::PeerIncompatible(_) => {
            "the server offers no TLS version, key exchange or cipher that edgeddns accepts".into()
        }
        rustls::Error::PeerMisbehaved(_) => "the server broke the TLS protocol".into(),
        rustls::Error::InvalidMessage(_) => "the answer is not TLS (is this port plain http?)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real sockets on loopback: nobody listening, a plain-http server on the https port, and
    /// a server that accepts and never answers are three different kinds of failure.
    #[test]
    fn transport_failures_are_told_apart() {
        use std::io::{Read, Write};
        let dir = std::env::temp_dir().join(format!("edgeddns-http-kinds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let bundle = dir.join("ca.pem");
        std::fs::write(&bundle, ca.cert.pem()).unwrap();
        let opts = ClientOptions {
            ca_bundle: bundle.display().to_string(),
            timeout: Duration::from_millis(700),
            device: None,
        };
        let mut client = Client::new(&Roots::load(&opts.ca_bundle).unwrap(), &opts, None);
        let url = |l: &std::net::TcpListener| format!("https://127.0.0.1:{}/", l.local_addr().unwrap().port());

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let nobody = url(&closed);
        drop(closed);
        assert!(matches!(client.send(&Request::get(&nobody)), Err(HttpError::Transport(_))));

        let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let plain_url = url(&plain);
        let server = std::thread::spawn(move || {
            let (mut s, _) = plain.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        });
        let e = client.send(&Request::get(&plain_url)).unwrap_err();
        assert!(matches!(&e, HttpError::Tls(m) if m.contains("not TLS")), "{e:?}");
        server.join().unwrap();

        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let e = client.send(&Request::get(url(&silent))).unwrap_err();
        assert!(matches!(&e, HttpError::Timeout(_)), "{e:?}");
        drop(silent);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
