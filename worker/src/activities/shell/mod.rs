//! Running configured commands: one place for spawning, the environment a command sees, the
//! timeout, and what is kept of the output.
//!
//! A command runs with a cleared environment: the few variables a shell needs
//! ([`BASE_ENV`]), the ones an operator names in `CHATOPS__WORKER__CHILD_ENV`, and the
//! `CHATOPS_*` variables its caller documents; none of the worker's tokens is among them. The
//! worker makes itself non-dumpable ([`guard_worker`]), so a command running as the same user
//! cannot read the tokens from `/proc/<worker>/environ` or the worker's memory either (root, or
//! anything with `CAP_SYS_PTRACE`, still can; files the worker reads, its commands can read).
//!
//! A command runs in a process group of its own, killed with everything in it on a timeout, when
//! the caller stops waiting (a heartbeating activity told it is cancelled) and when the worker
//! stops, however it stops: a fixed wrapper ([`WRAPPER`]) leads the group and kills it when the
//! kernel tells it that the worker is gone (`PR_SET_PDEATHSIG`, set by util-linux's `setpriv`),
//! so a SIGKILLed worker leaves nothing running beside the retry. Its input is written while the timeout runs, and what it
//! prints is bounded.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};

/// Longest output kept for people (stderr, or stdout when stderr is empty), in characters.
pub const MAX_OUTPUT: usize = 1500;
/// Most of a command's standard output kept (an agent's answer comes this way); the rest is
/// read and dropped, so the command never blocks on a full pipe.
pub const MAX_STDOUT: usize = 4 << 20;
/// Most of the end of a command's standard error kept.
pub const MAX_STDERR: usize = 64 << 10;
/// What every command gets from the worker's environment, when set: enough for a shell and the
/// tools it starts to find themselves, nothing that authenticates.
pub const BASE_ENV: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
];

/// The process leading a command's group: it runs the command (`$1`) with `sh -c`, hands it its
/// own standard input (an asynchronous list would get `/dev/null`), exits with its status, and on
/// `SIGTERM` (sent by the kernel when the worker dies) kills the whole group. Fixed text: the
/// command is an argument, never spliced in.
pub const WRAPPER: &str = r#"trap 'kill -KILL 0' TERM; exec 3<&0; sh -c "$1" <&3 3<&- & wait $!"#;

/// Makes the worker non-dumpable: its `/proc/<pid>/environ`, memory and core dumps are then
/// out of reach of other processes of its user, the commands it runs among them (they are
/// dumpable again after `exec`, which is fine: they hold no secret).
pub fn guard_worker() -> std::io::Result<()> {
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(std::io::Error::from)
}

/// How a command went.
pub struct CommandOutput {
    /// Whether it exited 0.
    pub ok: bool,
    /// Its standard output, up to [`MAX_STDOUT`].
    pub stdout: Vec<u8>,
    /// Exit status and the end of stderr (or stdout), for people.
    pub output: String,
}

/// Runs configured commands; holds which of the worker's variables they may see.
#[derive(Debug, Clone)]
pub struct Shell {
    pass_through: Arc<[String]>,
    /// `setpriv`, which asks the kernel to tell a command's wrapper when the worker dies;
    /// without it (no util-linux) a command outlives a worker killed with SIGKILL.
    leash: Option<Arc<std::path::Path>>,
}

impl Default for Shell {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl Shell {
    /// A runner passing the worker's `pass_through` variables (when set) on to every command,
    /// besides [`BASE_ENV`].
    pub fn new(pass_through: Vec<String>) -> Self {
        Self {
            pass_through: pass_through.into(),
            leash: find_on_path("setpriv").map(Into::into),
        }
    }

    /// Whether a command dies with a worker that is killed outright (`setpriv` was found).
    pub fn leashed(&self) -> bool {
        self.leash.is_some()
    }

    /// Runs `cmd` with `sh -c` in `dir`, with `env` added to the cleared environment and
    /// `stdin` written to it; it and everything it started are killed after `timeout`. `Err`
    /// says why it could not run or finish.
    pub async fn run(
        &self,
        cmd: &str,
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
        dir: Option<&std::path::Path>,
        timeout: Duration,
    ) -> Result<CommandOutput, String> {
        let mut command = match &self.leash {
            Some(setpriv) => {
                let mut c = tokio::process::Command::new(setpriv.as_ref());
                c.args(["--pdeathsig", "TERM", "--", "sh"]);
                c
            }
            None => tokio::process::Command::new("sh"),
        };
        command
            .arg("-c")
            .arg(WRAPPER)
            .arg("chatops-command")
            .arg(cmd)
            .env_clear()
            .envs(self.inherited())
            .envs(env.iter().copied())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(d) = dir {
            command.current_dir(d);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run `{cmd}`: {e}"))?;
        let group = Group(child.id());
        let (input, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let work = async {
            let write = async {
                if let (Some(bytes), Some(mut pipe)) = (stdin, input) {
                    // A command that stops reading early is its own business.
                    let _ = pipe.write_all(bytes).await;
                }
            };
            let (_, (out, cut), err, status) = tokio::join!(
                write,
                head(stdout, MAX_STDOUT),
                tail_bytes(stderr, MAX_STDERR),
                child.wait()
            );
            (out, cut, err, status)
        };
        let Ok((stdout, cut, stderr, status)) = tokio::time::timeout(timeout, work).await else {
            drop(group);
            let _ = child.wait().await;
            return Err(format!(
                "`{cmd}` did not finish within {}",
                chatops_contract::human_duration(timeout)
            ));
        };
        group.disarm();
        let status = status.map_err(|e| format!("`{cmd}` failed: {e}"))?;
        let err_text = String::from_utf8_lossy(&stderr);
        let out_text = String::from_utf8_lossy(&stdout);
        let shown = if err_text.trim().is_empty() {
            out_text
        } else {
            err_text
        };
        let code = match status.code() {
            Some(c) => format!("exit {c}"),
            None => "killed by a signal".to_owned(),
        };
        let cut = if cut {
            format!(" (output cut at {} MiB)", MAX_STDOUT >> 20)
        } else {
            String::new()
        };
        Ok(CommandOutput {
            ok: status.success(),
            output: format!("{code}{cut}: {}", tail(shown.trim(), MAX_OUTPUT)),
            stdout,
        })
    }

    /// The worker's variables a command may see: [`BASE_ENV`] and the named pass-throughs
    /// that are set.
    fn inherited(&self) -> Vec<(String, std::ffi::OsString)> {
        BASE_ENV
            .iter()
            .copied()
            .chain(self.pass_through.iter().map(String::as_str))
            .filter_map(|name| std::env::var_os(name).map(|v| (name.to_owned(), v)))
            .collect()
    }
}

/// A command's process group, killed when dropped unless disarmed: on a timeout, and when the
/// activity running it is cancelled or its worker shuts down.
struct Group(Option<u32>);

impl Group {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let pid = self
            .0
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw);
        if let Some(pid) = pid {
            // Already gone is fine: everything in it has exited.
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

/// Where `program` is on the worker's `PATH`, if it is.
fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The first `max` bytes of `pipe`, and whether more came (read and dropped).
async fn head(pipe: Option<impl AsyncRead + Unpin>, max: usize) -> (Vec<u8>, bool) {
    let (mut kept, mut cut) = (Vec::new(), false);
    let Some(mut pipe) = pipe else {
        return (kept, cut);
    };
    let mut chunk = vec![0u8; 64 << 10];
    while let Ok(n) = pipe.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        let room = max.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
        cut |= n > room;
    }
    (kept, cut)
}

/// The last `max` bytes of `pipe`.
async fn tail_bytes(pipe: Option<impl AsyncRead + Unpin>, max: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else {
        return kept;
    };
    let mut chunk = vec![0u8; 64 << 10];
    while let Ok(n) = pipe.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > 2 * max {
            kept.drain(..kept.len() - max);
        }
    }
    if kept.len() > max {
        kept.drain(..kept.len() - max);
    }
    kept
}

/// The last `max` characters of `text`, marked when cut.
pub fn tail(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().skip(count - max).collect();
    format!("…{kept}")
}

#[cfg(test)]
mod tests;
