//! Running configured shell commands: one place for spawning, the timeout, and what is kept
//! of the output.

use std::process::Stdio;
use std::time::Duration;

/// Longest output kept from a command, in characters.
pub const MAX_OUTPUT: usize = 1500;

/// How a command went.
pub struct CommandOutput {
    /// Whether it exited 0.
    pub ok: bool,
    /// Its standard output, whole.
    pub stdout: Vec<u8>,
    /// Exit status and the end of stderr (or stdout), for people.
    pub output: String,
}

/// Runs `cmd` with `sh -c`, with `env` added, `stdin` written to it, in `dir`; killed after
/// `timeout`. `Err` says why it could not run or finish.
pub async fn run(
    cmd: &str,
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
    dir: Option<&std::path::Path>,
    timeout: Duration,
) -> Result<CommandOutput, String> {
    use tokio::io::AsyncWriteExt as _;
    let mut command = tokio::process::Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(d) = dir {
        command.current_dir(d);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run `{cmd}`: {e}"))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(input).await;
    }
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| {
            format!(
                "`{cmd}` did not finish within {}",
                chatops_contract::human_duration(timeout)
            )
        })?
        .map_err(|e| format!("`{cmd}` failed: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let shown = if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    };
    let status = match out.status.code() {
        Some(c) => format!("exit {c}"),
        None => "killed by a signal".to_owned(),
    };
    Ok(CommandOutput {
        ok: out.status.success(),
        output: format!("{status}: {}", tail(shown.trim(), MAX_OUTPUT)),
        stdout: out.stdout,
    })
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
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_get_their_input_and_report_failures() {
        let out = run(
            "cat; echo \" $AGENT\"",
            &[("AGENT", "agent-3")],
            Some(b"in"),
            None,
            Duration::from_secs(10),
        )
        .await
        .expect("runs");
        assert!(out.ok);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "in agent-3");
        let out = run(
            "echo broken >&2; exit 3",
            &[],
            None,
            None,
            Duration::from_secs(10),
        )
        .await
        .expect("runs");
        assert!(!out.ok);
        assert_eq!(out.output, "exit 3: broken");
        let err = run("sleep 5", &[], None, None, Duration::from_millis(100))
            .await
            .err()
            .expect("times out");
        assert!(err.contains("did not finish within 100ms"), "{err}");
    }

    #[tokio::test]
    async fn commands_run_in_the_folder_given() {
        let dir = std::env::temp_dir();
        let out = run("pwd", &[], None, Some(&dir), Duration::from_secs(10))
            .await
            .expect("runs");
        let here =
            std::fs::canonicalize(String::from_utf8_lossy(&out.stdout).trim()).expect("a path");
        assert_eq!(here, std::fs::canonicalize(&dir).expect("a path"));
    }
}
