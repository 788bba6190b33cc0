//! Child processes that cannot outlive the test process.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Runs `"$@"` and a watcher reading our pipe: a line names a signal to send the child; end of
/// input (we exited, crashed or were killed) sends `$LIFELINE_SIGNAL`. The wrapper exits with
/// the child.
/// (A background job's stdin is /dev/null in a non-interactive shell, hence fd 3.)
const LIFELINE: &str = r#"
exec 3<&0
"$@" </dev/null &
child=$!
( read -r sig <&3; kill -"${sig:-$LIFELINE_SIGNAL}" "$child" 2>/dev/null ) &
watcher=$!
wait "$child"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// A supervised child process; dropping it terminates the child and waits for it.
#[derive(Debug)]
pub struct Supervised {
    name: String,
    child: Child,
    lifeline: Option<ChildStdin>,
    log: PathBuf,
}

impl Supervised {
    /// Starts `program` with `args` and extra `env`, output appended to `log`; SIGTERM ends it.
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[&str],
        env: &[(String, String)],
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        Self::spawn_with(name, program, args, env, log, "TERM")
    }

    /// Like [`Self::spawn`], ended by `signal` when the lifeline breaks.
    pub fn spawn_with(
        name: &str,
        program: &Path,
        args: &[&str],
        env: &[(String, String)],
        log: PathBuf,
        signal: &str,
    ) -> anyhow::Result<Self> {
        let out = File::create(&log)?;
        let err = out.try_clone()?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(LIFELINE)
            .arg("sh")
            .arg(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("LIFELINE_SIGNAL", signal)
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {name} ({}): {e}", program.display()))?;
        let lifeline = child.stdin.take();
        Ok(Self {
            name: name.to_owned(),
            child,
            lifeline,
            log,
        })
    }

    /// Sends `signal` (e.g. `TERM`, `KILL`) to the child.
    pub fn signal(&mut self, signal: &str) {
        if let Some(pipe) = self.lifeline.as_mut() {
            let _ = writeln!(pipe, "{signal}");
            let _ = pipe.flush();
        }
    }

    /// Waits up to `timeout` for the child to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => return None,
            }
        }
    }

    /// Whether the child is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the child has printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where its output goes.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The pid of the program itself (not of its lifeline wrapper), while it runs.
    pub fn program_pid(&self) -> Option<u32> {
        let wrapper = self.child.id();
        let children =
            std::fs::read_to_string(format!("/proc/{wrapper}/task/{wrapper}/children")).ok()?;
        children
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
            .find(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.trim() != "sh")
            })
    }

    /// Resident memory of the program now, in KiB (Linux `VmRSS`).
    pub fn rss_kib(&self) -> Option<u64> {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.program_pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU time the program has used so far (user + system), in seconds, from
    /// `/proc/<pid>/stat` (Linux's clock ticks are 1/100 s).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.program_pid()?)).ok()?;
        // Fields after the command name (which may hold spaces) start at its closing paren.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) as f64 / 100.0)
    }

    /// Peak resident memory of the program so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.program_pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // Closing the pipe makes the watcher terminate the child.
        self.lifeline.take();
        if self.wait_exit(Duration::from_secs(15)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
