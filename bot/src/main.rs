//! `chatops-bot`: the Slack Socket Mode bot, or with `--shell` the same bot in a terminal.

use std::process::ExitCode;

const USAGE: &str =
    "usage: chatops-bot [--shell | --mode | --shell-roles | audit [N] [--since <when>] [--json] |
                   doctor [--force] | local-forge <listen> <dir> <seed> | <action>]

  (no flag)  connect to Slack over Socket Mode; needs CHATOPS__SLACK__APP_TOKEN and
             CHATOPS__SLACK__BOT_TOKEN
  --shell    chat from this terminal through a local Slack stand-in; point the worker's
             CHATOPS__SLACK__API_URL at http://<CHATOPS__SHELL__LISTEN>/api
  --mode     print `slack` when both Slack tokens are configured, else `shell` (and why)
  --shell-roles
             print, as VAR=value lines, the roles the shell gives its user because the
             config names nobody (on call, incident responder); scripts/run passes them to
             the worker
  audit      print the audit log, oldest first: the last N entries (default 50), or with
             --since <when> those at or after <when> (the latest N of them when N is given);
             <when> is an RFC 3339 time (2026-05-01T09:00:00Z, or with an offset like +02:00)
             or a duration back from now (24h, 7d, 30m); --json prints one JSON object per
             line with the fields at, actor, action, workflow_id, gate, decision, outcome,
             slack_team, slack_channel (absent ones null)
  doctor     check config, Slack, Temporal and its workers, the database, GitHub, and run a
             canary workflow; prints a pass/fail table with remedies, exits 1 on a failure
             (--force accepts a PostgreSQL older than the supported versions)
  local-forge
             serve a local GitHub for trying chatops without one: the repository acme/shop
             kept in <dir> (seeded from the files in <seed> the first time), GitHub's REST
             calls and git over HTTP on <listen>, accepting the token in
             $CHATOPS_LOCAL_FORGE_TOKEN; scripts/run starts it when no GitHub token is set

Actions, for when Slack is down (the same workflows and rules; the caller is --as, or
CHATOPS__SHELL__USER):
{ACTIONS}

Settings: defaults < ./chatops.toml (or $CHATOPS_CONFIG) < CHATOPS__SECTION__KEY env vars.";

/// Serves the local forge until the process is stopped.
async fn local_forge(listen: &str, dir: &str, seed: &str) -> ExitCode {
    let Ok(listen) = listen.parse::<std::net::SocketAddr>() else {
        eprintln!("chatops-bot local-forge: `{listen}` is not an address like 127.0.0.1:7396");
        return ExitCode::from(2);
    };
    let token = std::env::var("CHATOPS_LOCAL_FORGE_TOKEN").unwrap_or_default();
    if token.is_empty() {
        eprintln!("chatops-bot local-forge: set CHATOPS_LOCAL_FORGE_TOKEN to the token it accepts");
        return ExitCode::from(2);
    }
    let served = chatops_bot::shell::local_forge::LocalGitHub::serve(
        listen,
        std::path::Path::new(dir),
        std::path::Path::new(seed),
        &token,
    );
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chatops-bot local-forge: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The usage text, with the actions listed.
fn usage() -> String {
    USAGE.replace("{ACTIONS}", &chatops_bot::cli::usage())
}

#[tokio::main]
#[allow(clippy::print_stdout)] // `--mode` answers scripts on stdout.
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if chatops_bot::cli::is_action(&args) {
        let settings = match chatops_common::Settings::load() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("chatops-bot: {e}");
                return ExitCode::from(2);
            }
        };
        return chatops_bot::cli::run(&settings, &args).await;
    }
    let mut audit: Option<chatops_bot::cli::audit::AuditQuery> = None;
    let mut doctor: Option<bool> = None;
    let mut shell_roles = false;
    let (shell, mode_only) = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => (false, false),
        ["--shell"] => (true, false),
        ["--mode"] => (false, true),
        ["--shell-roles"] => {
            shell_roles = true;
            (false, false)
        }
        ["doctor"] => {
            doctor = Some(false);
            (false, false)
        }
        ["doctor", "--force"] => {
            doctor = Some(true);
            (false, false)
        }
        ["audit", rest @ ..] => {
            match chatops_bot::cli::audit::parse(rest, std::time::SystemTime::now()) {
                Ok(query) => audit = Some(query),
                Err(e) => {
                    eprintln!("chatops-bot: {e}\n\n{}", usage());
                    return ExitCode::from(2);
                }
            }
            (false, false)
        }
        ["local-forge", listen, dir, seed] => {
            return local_forge(listen, dir, seed).await;
        }
        ["-h" | "--help"] => {
            eprintln!("{}", usage());
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("chatops-bot: unknown arguments {other:?}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let settings = match chatops_common::Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chatops-bot: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(force) = doctor {
        return run_doctor(&settings, force).await;
    }
    if let Some(query) = audit {
        return chatops_bot::cli::audit::run(&settings, &query).await;
    }
    if shell_roles {
        let mut settings = settings;
        for (var, value) in chatops_bot::shell::relax(&mut settings) {
            println!("{var}={value}");
        }
        return ExitCode::SUCCESS;
    }
    if mode_only {
        if settings.slack.app_token.is_some() && settings.slack.bot_token.is_some() {
            println!("slack");
        } else {
            eprintln!(
                "No Slack tokens configured (CHATOPS__SLACK__APP_TOKEN and CHATOPS__SLACK__BOT_TOKEN): using the terminal shell."
            );
            println!("shell");
        }
        return ExitCode::SUCCESS;
    }
    if !shell {
        for check in [
            settings.app_token().map(|_| ()),
            settings.bot_token().map(|_| ()),
        ] {
            if let Err(e) = check {
                eprintln!(
                    "chatops-bot: {e} (or run `chatops-bot --shell` to try it without Slack)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let filter = if shell && std::env::var_os("RUST_LOG").is_none() {
        "warn"
    } else {
        settings.log.filter.as_str()
    };
    chatops_common::telemetry::init(settings.log.format, filter);
    let result = if shell {
        chatops_bot::shell::run(settings).await
    } else {
        match chatops_bot::App::build(settings).await {
            Ok(app) => chatops_bot::slack::serve(app, chatops_common::shutdown::signal()).await,
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("chatops-bot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `chatops-bot doctor`: the table on stdout; exit 1 when a check failed.
#[allow(clippy::print_stdout)] // The table is the command's output.
async fn run_doctor(settings: &chatops_common::Settings, force: bool) -> ExitCode {
    let checks = chatops_bot::doctor::run(settings, force).await;
    print!("{}", chatops_bot::doctor::render(&checks));
    if chatops_bot::doctor::healthy(&checks) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
