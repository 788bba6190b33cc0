//! The Temporal dev server shared by all tests of one test binary.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::process::Supervised;

/// A running `temporal server start-dev`.
#[derive(Debug)]
pub struct DevServer {
    /// `host:port` of its frontend.
    pub target: String,
    /// The `temporal` CLI used to start it (also a client for assertions).
    pub cli: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    process: Mutex<Option<Supervised>>,
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

impl DevServer {
    /// Starts a dev server on free loopback ports; with `db`, it keeps its state in that SQLite
    /// file, so [`DevServer::restart`] loses nothing.
    pub fn start(db: Option<PathBuf>) -> anyhow::Result<Self> {
        // A port found free can be taken by another process before the server binds it; the
        // server then exits at once, and a fresh set of ports is tried.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_once(db.clone()) {
                Ok(server) => return Ok(server),
                Err(e) if attempt < 3 => {
                    eprintln!("dev server did not start ({e:#}); trying other ports");
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn start_once(db: Option<PathBuf>) -> anyhow::Result<Self> {
        let cli = temporal_cli()?;
        let (port, http_port, metrics_port) = (free_port()?, free_port()?, free_port()?);
        let dir = crate::bin_dir().join("e2e");
        std::fs::create_dir_all(&dir)?;
        let mut args: Vec<String> = [
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--log-level",
            "warn",
        ]
        .map(str::to_owned)
        .into();
        for (flag, port) in [
            ("--port", port),
            ("--http-port", http_port),
            ("--metrics-port", metrics_port),
        ] {
            args.extend([flag.to_owned(), port.to_string()]);
        }
        if let Some(db) = db {
            args.extend(["--db-filename".to_owned(), db.display().to_string()]);
        }
        let server = Self {
            target: format!("127.0.0.1:{port}"),
            cli,
            args,
            log: dir.join(format!("temporal-{port}-{}.log", std::process::id())),
            process: Mutex::new(None),
        };
        server.launch()?;
        Ok(server)
    }

    /// Kills the server outright (as a crash would) and starts it again on the same ports and
    /// database; returns once it answers.
    pub fn restart(&self) -> anyhow::Result<()> {
        self.kill()?;
        self.launch()
    }

    /// Kills the server outright and returns once its port is free; [`DevServer::start_again`]
    /// brings it back on the same ports and database.
    pub fn kill(&self) -> anyhow::Result<()> {
        if let Ok(mut p) = self.process.lock() {
            // Dropping the lifeline kills it; wait until the port is free again.
            *p = None;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&self.target).is_ok() {
            anyhow::ensure!(Instant::now() < deadline, "old dev server still listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Starts a killed server again; returns once it answers.
    pub fn start_again(&self) -> anyhow::Result<()> {
        self.launch()
    }

    fn launch(&self) -> anyhow::Result<()> {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        // Killed outright the moment its owner (or the test binary) goes away.
        let process =
            Supervised::spawn_with("temporal", &self.cli, &args, &[], self.log.clone(), "KILL")?;
        if let Ok(mut p) = self.process.lock() {
            *p = Some(process);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self
                .cli(&["operator", "namespace", "describe", "default"])
                .is_ok()
            {
                return self.settled();
            }
            let exited = self.exited();
            anyhow::ensure!(
                !exited,
                "dev server exited while starting (log: {})",
                self.log.display()
            );
            anyhow::ensure!(Instant::now() < deadline, "dev server not ready after 60s");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl DevServer {
    /// Whether the server process has exited.
    fn exited(&self) -> bool {
        self.process
            .lock()
            .ok()
            .and_then(|mut p| p.as_mut().map(|p| !p.is_running()))
            .unwrap_or(false)
    }

    /// The frontend answers before the server's other services have bound their ports; one of
    /// them can find its port taken (by the metrics port, say) and bring the whole process
    /// down. Watches the first seconds for that, so [`DevServer::start`] tries other ports.
    fn settled(&self) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < until {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let exited = self.exited();
            anyhow::ensure!(
                !exited
                    && !log.contains("Failed to start gRPC listener")
                    && !log.contains("panic:"),
                "dev server failed after answering (log: {})",
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

static SERVER: OnceLock<DevServer> = OnceLock::new();

/// The shared dev server, started on first use (in-memory, on free loopback ports).
pub fn dev_server() -> &'static DevServer {
    SERVER.get_or_init(|| match DevServer::start(None) {
        Ok(s) => s,
        Err(e) => panic!("cannot start the Temporal dev server: {e:#}"),
    })
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
