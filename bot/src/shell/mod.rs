//! The shell adapter: chat with the bot from a terminal.
//!
//! It starts a [`local_slack::LocalSlack`], runs the real bot against it over Socket Mode, and
//! turns what you type into the same envelopes Slack would send. The worker posts to the same
//! local Web API (point `CHATOPS__SLACK__API_URL` at it), so cards, threads, edits and buttons
//! go through exactly the code paths they take with Slack.

pub mod local_forge;
pub mod local_slack;

use chatops_common::Settings;
use secrecy::SecretString;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

use local_slack::{Event, LocalSlack, PostedMessage};

/// Bot token the shell's local Slack accepts when none is configured.
pub const LOCAL_BOT_TOKEN: &str = "xoxb-shell-local";
/// App token the shell's local Slack accepts when none is configured.
pub const LOCAL_APP_TOKEN: &str = "xapp-shell-local";

const HELP: &str =
    "Type a slash command (/feature new <request>, /incident list, /emergency-stop status; each
takes `help`), a button's number to press it, `home` for your App Home tab, `/as U0SOMEONE` to act
as another person (to decide a gate you may not decide yourself; `/as me` to be yourself again),
`help`, or `quit`.";

type Buttons = Arc<Mutex<Vec<(PostedMessage, chatops_blocks::text::Button)>>>;

/// The roles the shell gives its one local user because the config names nobody for them: on
/// call (the emergency stop) and incident responder. Returns each as `(variable, value)`, the
/// way `scripts/run` hands them to the worker so it checks the same lists.
pub fn relax(settings: &mut Settings) -> Vec<(&'static str, String)> {
    let user = settings.shell.user.clone();
    let mut relaxed = Vec::new();
    if settings.emergency.oncall.is_empty() {
        settings.emergency.oncall.push(user.clone());
        relaxed.push(("CHATOPS__EMERGENCY__ONCALL", user.clone()));
    }
    if settings.incident.responders.is_empty() {
        settings.incident.responders.push(user.clone());
        relaxed.push(("CHATOPS__INCIDENT__RESPONDERS", user));
    }
    relaxed
}

/// Runs the shell until `quit` or end of input.
pub async fn run(mut settings: Settings) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    let bot_token = settings
        .slack
        .bot_token
        .clone()
        .unwrap_or_else(|| SecretString::from(LOCAL_BOT_TOKEN));
    let app_token = settings
        .slack
        .app_token
        .clone()
        .unwrap_or_else(|| SecretString::from(LOCAL_APP_TOKEN));
    if let Some(dir) = settings
        .shell
        .state_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create {} (CHATOPS__SHELL__STATE_FILE): {e}",
                dir.display()
            )
        })?;
    }
    let local = LocalSlack::start(local_slack::Options {
        api_listen: settings.shell.listen,
        bot_token: bot_token.expose_secret().to_owned(),
        app_token: app_token.expose_secret().to_owned(),
        state_file: Some(settings.shell.state_file.clone()),
        user_groups: Default::default(),
        scopes: None,
        rate_limited_posts: 0,
        missing_channels: Vec::new(),
        private_channels: Default::default(),
        channel_rate_limit: None,
    })
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {} (CHATOPS__SHELL__LISTEN): {e}",
            settings.shell.listen
        )
    })?;
    settings.slack.api_url = local.api_url().parse()?;
    settings.slack.bot_token = Some(bot_token);
    settings.slack.app_token = Some(app_token);
    settings.slack.socket_connections = 1;
    let relaxed = relax(&mut settings);
    let (me, channel) = (settings.shell.user.clone(), settings.slack.channel.clone());
    let mut user = me.clone();

    let app = crate::App::build(settings).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let bot = tokio::spawn(crate::slack::serve(app, async {
        let _ = stopped.await;
    }));
    local.wait_connected(1, Duration::from_secs(15)).await?;

    let buttons: Buttons = Arc::default();
    let printer = tokio::spawn(print_events(local.subscribe(), buttons.clone()));
    say(&format!(
        "chatops shell: you are {me} in #{channel}. The worker posts here through {}.\n{HELP}",
        local.api_url()
    ));
    for (var, value) in &relaxed {
        say(&format!(
            "(relaxed for this terminal: {var}={value}, since the config names nobody)"
        ));
    }

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim();
        match line {
            "" => continue,
            "quit" | "exit" => break,
            "help" => say(HELP),
            _ if line == "/as" || line.starts_with("/as ") => {
                match acting_as(line.trim_start_matches("/as").trim(), &me) {
                    Ok(who) => {
                        user = who;
                        say(&format!("(you are {user} now)"));
                    }
                    Err(why) => say(&why),
                }
            }
            "home" => {
                if let Err(e) = local.send(&local.app_home_opened(&user)) {
                    say(&format!("(could not reach the bot: {e:#})"));
                }
            }
            _ if line.starts_with('/') => {
                let (command, text) = line.split_once(' ').unwrap_or((line, ""));
                let envelope = local.slash_command(command, text, &user, &channel);
                if let Err(e) = local.send_and_ack(&envelope, Duration::from_secs(3)).await {
                    say(&format!("(no answer from the bot: {e:#})"));
                }
            }
            _ => match line.parse::<usize>() {
                Ok(n) => press(&local, &buttons, &user, n),
                Err(_) => say(HELP),
            },
        }
    }
    let _ = stop.send(());
    printer.abort();
    let _ = bot.await;
    Ok(())
}

/// Who `/as <who>` makes you: a Slack user id, or `me` (the configured shell user).
fn acting_as(who: &str, me: &str) -> Result<String, String> {
    if who.is_empty() {
        return Err("Say who to act as: /as U0SOMEONE (a Slack user id), or /as me.".to_owned());
    }
    if who == "me" {
        return Ok(me.to_owned());
    }
    let well_formed = who.len() >= 2
        && (who.starts_with('U') || who.starts_with('W'))
        && who
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if well_formed {
        Ok(who.to_owned())
    } else {
        Err(format!(
            "`{who}` is not a Slack user id (U… or W…, capitals and digits); try /as U0APPROVER or /as me."
        ))
    }
}

fn press(local: &LocalSlack, buttons: &Buttons, user: &str, n: usize) {
    let picked = buttons
        .lock()
        .ok()
        .and_then(|b| b.get(n.wrapping_sub(1)).cloned());
    let Some((message, button)) = picked else {
        say(&format!("There is no button [{n}]."));
        return;
    };
    say(&format!("(you pressed [{n}] {})", button.label));
    if let Err(e) = local.send(&local.button_press(user, &message, &button)) {
        say(&format!("(could not reach the bot: {e:#})"));
    }
}

async fn print_events(mut events: tokio::sync::broadcast::Receiver<Event>, buttons: Buttons) {
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return,
        };
        match event {
            Event::Posted(m) | Event::Updated(m) if m.blocks.is_null() && m.text.is_empty() => {}
            Event::Posted(m) => {
                let head = match &m.thread_ts {
                    None => format!("\n#{} (card {})", m.channel, m.ts),
                    Some(root) => format!("  ↳ in thread {root}"),
                };
                say(&format!("{head}\n{}", indent(&render(&m, &buttons))));
            }
            Event::Updated(m) => say(&format!(
                "  ✎ edited {}\n{}",
                m.ts,
                indent(&render(&m, &buttons))
            )),
            Event::Ephemeral(e) => {
                // Its buttons join the numbering like any other message's.
                let as_message = PostedMessage {
                    channel: String::new(),
                    ts: "0.0".into(),
                    thread_ts: None,
                    text: e.text.clone(),
                    blocks: e.blocks.clone(),
                    edits: 0,
                    metadata: None,
                };
                say(&format!(
                    "  (only you) {}",
                    render(&as_message, &buttons).replace('\n', "\n             ")
                ));
            }
            Event::View(v) if v.method == "views.open" => {
                say("  (a form opened; the shell can't fill forms: type `/feature new <request>`)")
            }
            Event::View(v) => {
                // Home buttons join the numbering; a press goes through the message path.
                let as_message = PostedMessage {
                    channel: String::new(),
                    ts: "0.0".into(),
                    thread_ts: None,
                    text: String::new(),
                    blocks: v.view.get("blocks").cloned().unwrap_or_default(),
                    edits: 0,
                    metadata: None,
                };
                say(&format!(
                    "\n⌂ App Home\n{}",
                    indent(&render(&as_message, &buttons))
                ));
            }
        }
    }
}

fn render(m: &PostedMessage, buttons: &Buttons) -> String {
    let Ok(mut registry) = buttons.lock() else {
        return m.rendered();
    };
    let (text, found) = chatops_blocks::text::render(&m.text, Some(&m.blocks), registry.len() + 1);
    registry.extend(found.into_iter().map(|b| (m.clone(), b)));
    text
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn say(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::acting_as;

    #[test]
    fn as_switches_to_a_user_id_or_back_and_refuses_anything_else() {
        assert_eq!(acting_as("U0APPROVER", "U0ME"), Ok("U0APPROVER".to_owned()));
        assert_eq!(acting_as("W123", "U0ME"), Ok("W123".to_owned()));
        assert_eq!(acting_as("me", "U0ME"), Ok("U0ME".to_owned()));
        for bad in ["", "alice", "u0lower", "S0GROUP", "U"] {
            assert!(acting_as(bad, "U0ME").is_err(), "{bad}");
        }
    }
}
