//! TLS in front of the plain-text dev server: certificates made with the `openssl` CLI for each
//! test, a TLS-terminating proxy (optionally demanding a client certificate), and a stand-in
//! frontend that records the `authorization` header it is sent.
//!
//! The proxy passes the decrypted bytes through unchanged, so HTTP/2 and gRPC work end to end.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{
    self, RootCertStore, ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _},
    server::WebPkiClientVerifier,
};

/// The name in the server certificate besides `localhost` and `127.0.0.1`.
pub const SERVER_NAME: &str = "temporal.test";

/// A CA, a server certificate for `127.0.0.1`, `localhost` and [`SERVER_NAME`], a client
/// certificate, and a second CA that signed neither; all PEM files in one folder, valid for two
/// days.
#[derive(Debug)]
pub struct Certs {
    /// The folder holding them.
    pub dir: PathBuf,
}

impl Certs {
    /// Makes a fresh set in `dir` (created if needed).
    pub fn generate(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let certs = Self {
            dir: dir.to_owned(),
        };
        certs.ca("ca")?;
        certs.ca("other-ca")?;
        certs.leaf(
            "server",
            &format!("DNS:{SERVER_NAME}, DNS:localhost, IP:127.0.0.1"),
            "serverAuth",
            "2",
        )?;
        certs.leaf("client", "DNS:chatops-test-client", "clientAuth", "3")?;
        Ok(certs)
    }

    /// The path of `name` (`ca.pem`, `other-ca.pem`, `server.pem`, `client.pem`, `client.key`).
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn ca(&self, name: &str) -> anyhow::Result<()> {
        let config = self.dir.join(format!("{name}.cnf"));
        std::fs::write(
            &config,
            format!(
                "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = chatops {name}\n\
                 [ext]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n\
                 subjectKeyIdentifier = hash\n"
            ),
        )?;
        self.openssl(&[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-extensions",
            "ext",
            "-config",
            &config.display().to_string(),
            "-keyout",
            &self.path(&format!("{name}.key")),
            "-out",
            &self.path(&format!("{name}.pem")),
        ])
    }

    fn leaf(&self, name: &str, alt_names: &str, usage: &str, serial: &str) -> anyhow::Result<()> {
        let ext = self.dir.join(format!("{name}.ext"));
        std::fs::write(
            &ext,
            format!(
                "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
                 extendedKeyUsage = {usage}\nsubjectAltName = {alt_names}\n"
            ),
        )?;
        let csr = self.path(&format!("{name}.csr"));
        self.openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN=chatops {name}"),
            "-keyout",
            &self.path(&format!("{name}.key")),
            "-out",
            &csr,
        ])?;
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-days",
            "2",
            "-set_serial",
            serial,
            "-CA",
            &self.path("ca.pem"),
            "-CAkey",
            &self.path("ca.key"),
            "-extfile",
            &ext.display().to_string(),
            "-out",
            &self.path(&format!("{name}.pem")),
        ])
    }

    fn openssl(&self, args: &[&str]) -> anyhow::Result<()> {
        let out = Command::new("openssl").args(args).output().map_err(|e| {
            anyhow::anyhow!("cannot run openssl (install it to run TLS tests): {e}")
        })?;
        anyhow::ensure!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// A TLS server config presenting the server certificate; with `client_ca`, it demands a
    /// client certificate signed by that CA.
    fn server_config(&self, client_ca: Option<&str>) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_file_iter(self.path(ca))? {
                    roots.add(cert?)?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let chain = CertificateDer::pem_file_iter(self.path("server.pem"))?
            .collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_file(self.path("server.key"))?;
        let mut config = builder.with_single_cert(chain, key)?;
        // gRPC clients insist on HTTP/2 being negotiated.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }
}

/// What the proxy saw: completed handshakes and the failed ones' errors.
#[derive(Debug, Default)]
struct Seen {
    handshakes: usize,
    failures: Vec<String>,
}

/// A TLS-terminating TCP proxy on a free loopback port; dropping it closes every connection.
#[derive(Debug)]
pub struct TlsProxy {
    /// `https://127.0.0.1:<port>`, as `CHATOPS__TEMPORAL__ADDRESS` takes it.
    pub address: String,
    seen: Arc<Mutex<Seen>>,
    tasks: JoinSet<()>,
}

impl TlsProxy {
    /// Forwards to `upstream` (`host:port`); with `client_ca`, only clients presenting a
    /// certificate signed by it get through.
    pub async fn start(
        upstream: &str,
        certs: &Certs,
        client_ca: Option<&str>,
    ) -> anyhow::Result<Self> {
        let acceptor = TlsAcceptor::from(certs.server_config(client_ca)?);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = format!("https://{}", listener.local_addr()?);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let mut tasks = JoinSet::new();
        let upstream = upstream.to_owned();
        let record = seen.clone();
        tasks.spawn(async move {
            // Connections live in this set: aborting the accept loop drops (and closes) them.
            let mut connections = JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, upstream, record) =
                    (acceptor.clone(), upstream.clone(), record.clone());
                connections.spawn(async move {
                    let mut tls = match acceptor.accept(tcp).await {
                        Ok(tls) => tls,
                        Err(e) => {
                            if let Ok(mut s) = record.lock() {
                                s.failures.push(e.to_string());
                            }
                            return;
                        }
                    };
                    if let Ok(mut s) = record.lock() {
                        s.handshakes += 1;
                    }
                    if let Ok(mut plain) = TcpStream::connect(&upstream).await {
                        // Either side closing ends the copy; errors are a closed connection.
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        Ok(Self {
            address,
            seen,
            tasks,
        })
    }

    /// How many clients completed a TLS handshake.
    pub fn handshakes(&self) -> usize {
        self.seen.lock().map(|s| s.handshakes).unwrap_or(0)
    }

    /// Why the refused handshakes failed, as the proxy saw it.
    pub fn failures(&self) -> Vec<String> {
        self.seen
            .lock()
            .map(|s| s.failures.clone())
            .unwrap_or_default()
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// A stand-in Temporal frontend behind TLS: it records the `authorization` header of every
/// call and refuses each with `UNAUTHENTICATED`, so a test sees exactly what a client sent.
#[derive(Debug)]
pub struct AuthRecorder {
    /// `https://127.0.0.1:<port>`.
    pub address: String,
    seen: Arc<Mutex<Vec<String>>>,
    tasks: JoinSet<()>,
}

impl AuthRecorder {
    /// Listens on a free loopback port with the server certificate of `certs`.
    pub async fn start(certs: &Certs) -> anyhow::Result<Self> {
        let acceptor = TlsAcceptor::from(certs.server_config(None)?);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = format!("https://{}", listener.local_addr()?);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, record) = (acceptor.clone(), record.clone());
                connections.spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let authorization = req
                            .headers()
                            .get("authorization")
                            .map(|v: &hyper::header::HeaderValue| {
                                String::from_utf8_lossy(v.as_bytes()).into_owned()
                            })
                            .unwrap_or_default();
                        if let Ok(mut s) = record.lock() {
                            s.push(authorization);
                        }
                        async {
                            hyper::Response::builder()
                                .header("content-type", "application/grpc")
                                .header("grpc-status", "16")
                                .header("grpc-message", "this test frontend refuses every call")
                                .body(http_body_util::Empty::<bytes::Bytes>::new())
                        }
                    });
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
        Ok(Self {
            address,
            seen,
            tasks,
        })
    }

    /// The `authorization` header of each call so far (empty when there was none).
    pub fn authorizations(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for AuthRecorder {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}
