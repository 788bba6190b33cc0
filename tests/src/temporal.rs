//! The Temporal dev server shared by all tests of one test binary.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::process::Supervised;

/// A running `temporal server start-dev`.
#[derive(Debug)]
pub struct DevServer {
    /// `host:port` of its frontend.
    pub target: String,
    /// The `temporal` CLI used to start it (also a client for assertions).
    pub cli: PathBuf,
    _process: Supervised,
}

impl DevServer {
    /// `http://host:port`, as `CHATOPS__TEMPORAL__ADDRESS` takes it.
    pub fn address(&self) -> String {
        format!("http://{}", self.target)
    }

    /// Runs the `temporal` CLI against this server; returns stdout, or an error with stderr.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(&self.cli)
            .args(args)
            .args(["--address", &self.target])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "temporal {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

static SERVER: OnceLock<DevServer> = OnceLock::new();

/// The shared dev server, started on first use (in-memory, on free loopback ports).
pub fn dev_server() -> &'static DevServer {
    SERVER.get_or_init(|| match start() {
        Ok(s) => s,
        Err(e) => panic!("cannot start the Temporal dev server: {e:#}"),
    })
}

fn start() -> anyhow::Result<DevServer> {
    let cli = temporal_cli()?;
    let (port, http_port, metrics_port) = (free_port()?, free_port()?, free_port()?);
    let target = format!("127.0.0.1:{port}");
    let dir = crate::bin_dir().join("e2e");
    std::fs::create_dir_all(&dir)?;
    let log = dir.join(format!("temporal-{}.log", std::process::id()));
    let (p, h, m) = (
        port.to_string(),
        http_port.to_string(),
        metrics_port.to_string(),
    );
    // In-memory and shared by the whole binary: killed outright the moment the binary exits.
    let process = Supervised::spawn_with(
        "temporal",
        &cli,
        &[
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            &p,
            "--http-port",
            &h,
            "--metrics-port",
            &m,
            "--log-level",
            "warn",
        ],
        &[],
        log,
        "KILL",
    )?;
    let server = DevServer {
        target,
        cli,
        _process: process,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if server
            .cli(&["operator", "namespace", "describe", "default"])
            .is_ok()
        {
            return Ok(server);
        }
        anyhow::ensure!(Instant::now() < deadline, "dev server not ready after 60s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `CHATOPS_TEMPORAL_BIN`, else what `scripts/ensure-temporal` finds or installs.
fn temporal_cli() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("CHATOPS_TEMPORAL_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let script = crate::workspace_root().join("scripts/ensure-temporal");
    let out = Command::new("bash").arg(&script).output()?;
    anyhow::ensure!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A free loopback port (the OS picks; we release it for the child to bind).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
