//! One test's world: a local Slack, a task queue of its own, the worker and the bot.

use chatops_blocks::text::Button;
use chatops_bot::shell::local_slack::{self, Ack, Ephemeral, LocalSlack, PostedMessage, Recorded};
use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;

use crate::process::Supervised;
use crate::temporal::{DevServer, dev_server};

/// Who types the commands.
pub const REQUESTER: &str = "U0REQUESTER";
/// Who presses the buttons.
pub const APPROVER: &str = "U0APPROVER";
/// Where it all happens.
pub const CHANNEL: &str = "C0DELIVERY";
/// A second approver.
pub const SECOND_APPROVER: &str = "U0SECOND";
/// The approvers' user group: the approver, the second approver and the requester.
pub const APPROVER_GROUP: &str = "S0APPROVERS";
/// The on-call user group (its one member is the approver).
pub const ONCALL_GROUP: &str = "S0ONCALL";
/// Where incident cards go.
pub const INCIDENT_CHANNEL: &str = "C0INCIDENT";
/// Bearer token the alert intake accepts.
pub const ALERT_TOKEN: &str = "e2e-alert-token-0123456789";
/// Bot token the local Slack accepts.
pub const BOT_TOKEN: &str = "xoxb-e2e-bot";
/// App token the local Slack accepts.
pub const APP_TOKEN: &str = "xapp-e2e-app";
/// How long any one expected thing may take to show up.
pub const WAIT: Duration = Duration::from_secs(30);

/// Knobs a test may turn.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// `CHATOPS__FEATURE__INTAKE_TIMEOUT`.
    pub intake_timeout: &'static str,
    /// `CHATOPS__FEATURE__PHASE_DURATION`.
    pub phase_duration: &'static str,
    /// Extra env for the bot only.
    pub bot_env: Vec<(String, String)>,
    /// Extra env for both processes (e.g. `CHATOPS__INCIDENT__…`).
    pub env: Vec<(String, String)>,
    /// The bot token's scopes the local Slack reports; the manifest's when `None`.
    pub scopes: Option<String>,
    /// `chat.postMessage` calls the local Slack answers with 429 first.
    pub rate_limited_posts: u32,
    /// Channels the local Slack says do not exist.
    pub missing_channels: Vec<String>,
    /// Private channels the local Slack knows, with their members.
    pub private_channels: std::collections::BTreeMap<String, Vec<String>>,
    /// How long the waits for cards, replies and endings last; [`WAIT`] when `None`.
    pub patience: Option<Duration>,
}

impl StackOptions {
    /// The defaults with `env` for both processes.
    pub fn with_env(env: Vec<(String, String)>) -> Self {
        Self {
            env,
            ..Self::default()
        }
    }

    /// Placeholder phases that last an hour, so a feature stays where a test looks at it.
    pub fn slow_phases() -> Self {
        Self {
            phase_duration: "1h",
            ..Self::default()
        }
    }
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            intake_timeout: "1h",
            phase_duration: "0s",
            bot_env: Vec::new(),
            env: Vec::new(),
            scopes: None,
            rate_limited_posts: 0,
            missing_channels: Vec::new(),
            private_channels: Default::default(),
            patience: None,
        }
    }
}

/// A running stack. Dropping it stops the bot, the worker and the local Slack.
#[derive(Debug)]
pub struct Stack {
    /// The local Slack both processes talk to.
    pub slack: LocalSlack,
    /// This test's task queue.
    pub task_queue: String,
    /// The shared dev server.
    pub server: &'static DevServer,
    /// Where this test's logs go.
    pub dir: PathBuf,
    /// The bot process.
    pub bot: Option<Supervised>,
    /// The worker process.
    pub worker: Option<Supervised>,
    /// The bot's alert intake, e.g. `http://127.0.0.1:40123`.
    pub alerts_url: String,
    /// The worker's operations endpoint.
    pub worker_url: String,
    opts: StackOptions,
}

impl Stack {
    /// Starts everything for test `name` and waits until the bot is connected.
    pub async fn start(name: &str, opts: StackOptions) -> anyhow::Result<Self> {
        Self::start_on(dev_server(), name, opts).await
    }

    /// Like [`Stack::start`], on a server of the test's own.
    pub async fn start_on(
        server: &'static DevServer,
        name: &str,
        opts: StackOptions,
    ) -> anyhow::Result<Self> {
        let slack = LocalSlack::start(local_slack::Options {
            api_listen: "127.0.0.1:0".parse()?,
            bot_token: BOT_TOKEN.into(),
            app_token: APP_TOKEN.into(),
            state_file: None,
            user_groups: [
                (ONCALL_GROUP.to_owned(), vec![APPROVER.to_owned()]),
                (
                    APPROVER_GROUP.to_owned(),
                    vec![
                        APPROVER.to_owned(),
                        SECOND_APPROVER.to_owned(),
                        REQUESTER.to_owned(),
                    ],
                ),
            ]
            .into(),
            scopes: opts.scopes.clone(),
            rate_limited_posts: opts.rate_limited_posts,
            missing_channels: opts.missing_channels.clone(),
            private_channels: opts.private_channels.clone(),
            channel_rate_limit: None,
        })
        .await?;
        let dir = crate::bin_dir()
            .join("e2e")
            .join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let alerts_port = crate::temporal::free_port()?;
        let worker_port = crate::temporal::free_port()?;
        let mut stack = Self {
            alerts_url: format!("http://127.0.0.1:{alerts_port}"),
            worker_url: format!("http://127.0.0.1:{worker_port}"),
            slack,
            task_queue: format!("e2e-{name}-{}", std::process::id()),
            server,
            dir,
            bot: None,
            worker: None,
            opts,
        };
        stack.start_worker()?;
        stack.start_bot()?;
        if let Err(e) = stack.slack.wait_connected(1, WAIT).await {
            anyhow::bail!("{e:#}\nbot log:\n{}", stack.bot_log());
        }
        Ok(stack)
    }

    /// The env both processes share.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("CHATOPS__TEMPORAL__ADDRESS", self.server.address()),
            ("CHATOPS__TEMPORAL__TASK_QUEUE", self.task_queue.clone()),
            ("CHATOPS__SLACK__API_URL", self.slack.api_url()),
            ("CHATOPS__SLACK__BOT_TOKEN", BOT_TOKEN.into()),
            ("CHATOPS__SLACK__APP_TOKEN", APP_TOKEN.into()),
            ("CHATOPS__SLACK__CHANNEL", CHANNEL.into()),
            ("CHATOPS__SLACK__SOCKET_CONNECTIONS", "1".into()),
            (
                "CHATOPS__FEATURE__INTAKE_TIMEOUT",
                self.opts.intake_timeout.into(),
            ),
            (
                "CHATOPS__FEATURE__PHASE_DURATION",
                self.opts.phase_duration.into(),
            ),
            ("CHATOPS__INCIDENT__CHANNEL", INCIDENT_CHANNEL.into()),
            ("CHATOPS__ALERTS__TOKEN", ALERT_TOKEN.into()),
            (
                "CHATOPS__WORKER__LISTEN",
                self.worker_url.trim_start_matches("http://").to_owned(),
            ),
            ("CHATOPS__EMERGENCY__ONCALL", ONCALL_GROUP.into()),
            (
                "CHATOPS__DATABASE__URL",
                format!("sqlite://{}", self.dir.join("chatops.db").display()),
            ),
            (
                "CHATOPS__ALERTS__LISTEN",
                self.alerts_url.trim_start_matches("http://").to_owned(),
            ),
            ("RUST_LOG", "info,temporalio_sdk_core=warn".into()),
            // Each test's workers keep their checkouts in its own folder.
            (
                "CHATOPS__WORKSPACE__DIR",
                self.dir.join("workspaces").display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(self.opts.env.iter().cloned())
        .collect()
    }

    /// POSTs `body` to the alert intake with `headers`; returns the status and the JSON answer.
    pub async fn post_alert(
        &self,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let resp = chatops_common::http::Http::new()
            .post(
                &format!("{}/alerts", self.alerts_url),
                headers,
                body.to_owned().into(),
                Duration::from_secs(10),
            )
            .await?;
        let json = serde_json::from_slice(&resp.body).unwrap_or(serde_json::Value::Null);
        Ok((resp.status, json))
    }

    /// POSTs an alert as an authorized JSON sender.
    pub async fn send_alert(&self, body: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let auth = format!("Bearer {ALERT_TOKEN}");
        let (status, answer) = self
            .post_alert(
                &[
                    ("authorization", &auth),
                    ("content-type", "application/json"),
                ],
                &body.to_string(),
            )
            .await?;
        anyhow::ensure!(status == 202, "alert refused with {status}: {answer}");
        Ok(answer)
    }

    /// Waits until the worker's `/readyz` answers 200 (it starts alongside the bot, which the
    /// stack waits for; the worker may take a moment longer).
    pub async fn worker_ready(&self) -> anyhow::Result<()> {
        let http = chatops_common::http::Http::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let answer = http
                .get(
                    &format!("{}/readyz", self.worker_url),
                    Duration::from_secs(2),
                )
                .await;
            if matches!(&answer, Ok(r) if r.status == 200) {
                return Ok(());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the worker never got ready: {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `chatops-bot doctor` with this stack's settings: (exit code, table).
    pub fn doctor(&self, extra_env: &[(&str, &str)]) -> anyhow::Result<(i32, String)> {
        self.doctor_with(&[], extra_env)
    }

    /// `chatops-bot doctor <args>` with this stack's settings and `extra_env`.
    pub fn doctor_with(
        &self,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<(i32, String)> {
        let out = std::process::Command::new(crate::binary("chatops-bot")?)
            .arg("doctor")
            .args(args)
            .envs(self.env())
            .envs(extra_env.iter().copied())
            .output()?;
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    /// `chatops-bot <args>` with this stack's settings: (exit code, stdout, stderr).
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
        let out = std::process::Command::new(crate::binary("chatops-bot")?)
            .args(args)
            .envs(self.env())
            .output()?;
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// `chatops-bot audit 100` against this stack's store: one line per entry.
    pub fn audit_log(&self) -> anyhow::Result<String> {
        let out = std::process::Command::new(crate::binary("chatops-bot")?)
            .arg("audit")
            .arg("100")
            .envs(self.env())
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "chatops-bot audit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Queries workflow `id` with `query` through the `temporal` CLI.
    pub fn query(&self, id: &str, query: impl Display) -> anyhow::Result<serde_json::Value> {
        let query = query.to_string();
        let out = self.temporal(&[
            "workflow", "query", "-w", id, "--name", &query, "-o", "json",
        ])?;
        let v: serde_json::Value = serde_json::from_str(&out)?;
        Ok(v.get("queryResult")
            .and_then(|r| r.get(0))
            .cloned()
            .unwrap_or(v))
    }

    /// The monitor's workflow id for this stack's task queue.
    pub fn monitor_id(&self) -> String {
        chatops_contract::incident::monitor_workflow_id(&self.task_queue)
    }

    /// Polls query `query` of workflow `id` until `check` holds.
    pub async fn wait_query(
        &self,
        id: &str,
        query: impl Display,
        what: &str,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> anyhow::Result<serde_json::Value> {
        let query = query.to_string();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let answer = self.query(id, &query);
            if let Ok(a) = &answer
                && check(a)
            {
                return answer;
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; last answer: {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// (Re)starts the worker.
    pub fn start_worker(&mut self) -> anyhow::Result<()> {
        self.worker = None;
        let n = std::fs::read_dir(&self.dir).map(|d| d.count()).unwrap_or(0);
        let log = self.dir.join(format!("worker-{n}.log"));
        self.worker = Some(Supervised::spawn(
            "worker",
            &crate::binary("chatops-worker")?,
            &[],
            &self.env(),
            log,
        )?);
        Ok(())
    }

    /// Starts one more worker, with `extra` replacing or adding to its environment and its
    /// operations endpoint on a free port; it stops when the handle is dropped.
    pub fn another_worker(&self, extra: &[(&str, String)]) -> anyhow::Result<Supervised> {
        let mut env: Vec<(String, String)> = self
            .env()
            .into_iter()
            .filter(|(k, _)| k != "CHATOPS__WORKER__LISTEN" && extra.iter().all(|(x, _)| x != k))
            .collect();
        env.push(("CHATOPS__WORKER__LISTEN".into(), "127.0.0.1:0".into()));
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let n = std::fs::read_dir(&self.dir).map(|d| d.count()).unwrap_or(0);
        Supervised::spawn(
            "worker",
            &crate::binary("chatops-worker")?,
            &[],
            &env,
            self.dir.join(format!("worker-extra-{n}.log")),
        )
    }

    /// (Re)starts the bot.
    pub fn start_bot(&mut self) -> anyhow::Result<()> {
        self.bot = None;
        let mut env = self.env();
        env.extend(self.opts.bot_env.iter().cloned());
        let log = self.dir.join("bot.log");
        self.bot = Some(Supervised::spawn(
            "bot",
            &crate::binary("chatops-bot")?,
            &[],
            &env,
            log,
        )?);
        Ok(())
    }

    /// Sends `e` down a Socket Mode connection; while every connection is being replaced there
    /// may be none open for a moment, and Slack holds the envelope until one is.
    pub async fn send_held(&self, e: &local_slack::Envelope) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.slack.send(e) {
                Ok(()) => return Ok(()),
                Err(err) if tokio::time::Instant::now() >= deadline => return Err(err),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Starts one more bot on this stack (a replica: the same Slack, Temporal and store), with
    /// `extra` replacing or adding to its environment and its alert listener on a port of its
    /// own. Dropping it stops it.
    pub fn another_bot(&self, extra: &[(&str, String)]) -> anyhow::Result<Supervised> {
        let mut env: Vec<(String, String)> = self
            .env()
            .into_iter()
            .chain(self.opts.bot_env.iter().cloned())
            .filter(|(k, _)| k != "CHATOPS__ALERTS__LISTEN" && extra.iter().all(|(x, _)| x != k))
            .collect();
        env.push(("CHATOPS__ALERTS__LISTEN".into(), "127.0.0.1:0".into()));
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let n = std::fs::read_dir(&self.dir).map(|d| d.count()).unwrap_or(0);
        Supervised::spawn(
            "bot",
            &crate::binary("chatops-bot")?,
            &[],
            &env,
            self.dir.join(format!("bot-extra-{n}.log")),
        )
    }

    /// Starts the bot again with `bot_env` in place of the options' bot environment.
    pub fn restart_bot_with(&mut self, bot_env: Vec<(String, String)>) -> anyhow::Result<()> {
        self.opts.bot_env = bot_env;
        self.start_bot()
    }

    /// The bot's output so far.
    pub fn bot_log(&self) -> String {
        self.bot
            .as_ref()
            .map(Supervised::output)
            .unwrap_or_default()
    }

    /// Waits until the bot's log contains every one of `needles`.
    pub async fn bot_logged(&self, needles: &[&str]) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let log = self.bot_log();
            if needles.iter().all(|n| log.contains(n)) {
                return Ok(());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the bot never logged {needles:?}:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `/command text` as the requester and waits for the ack.
    pub async fn command(&self, command: &str, text: &str) -> anyhow::Result<Ack> {
        self.command_as(REQUESTER, command, text).await
    }

    /// Types `/command text` as `user` and waits for the ack.
    pub async fn command_as(&self, user: &str, command: &str, text: &str) -> anyhow::Result<Ack> {
        let envelope = self.slack.slash_command(command, text, user, CHANNEL);
        self.slack
            .send_and_ack(&envelope, Duration::from_secs(3))
            .await
    }

    /// Types `command text` as `user` in `channel`.
    pub async fn command_in(
        &self,
        user: &str,
        channel: &str,
        command: &str,
        text: &str,
    ) -> anyhow::Result<Ack> {
        let envelope = self.slack.slash_command(command, text, user, channel);
        self.slack
            .send_and_ack(&envelope, Duration::from_secs(3))
            .await
    }

    /// The text of the ephemeral reply carried by `ack`.
    pub fn ack_text(&self, ack: &Ack) -> String {
        self.slack
            .recorded()
            .ephemerals
            .iter()
            .find(|e| e.via == local_slack::Via::Ack(ack.envelope_id.clone()))
            .map(Ephemeral::rendered)
            .unwrap_or_default()
    }

    /// Starts a feature and returns its workflow id, read from the ack.
    pub async fn new_feature(&self, request: &str) -> anyhow::Result<String> {
        let ack = self.command("/feature", &format!("new {request}")).await?;
        self.feature_in_ack(&ack)
    }

    /// The feature id an ack of `/feature new` names.
    pub fn feature_in_ack(&self, ack: &Ack) -> anyhow::Result<String> {
        let text = self.ack_text(ack);
        let id = text
            .split('`')
            .nth(1)
            .filter(|id| id.starts_with("feature-"))
            .ok_or_else(|| anyhow::anyhow!("no feature id in the ack: {text:?}"))?;
        Ok(id.to_owned())
    }

    /// Waits for the incident card about `service` in the incident channel; returns it and the
    /// incident id it shows.
    pub async fn incident_card(&self, service: &str) -> anyhow::Result<(PostedMessage, String)> {
        let card = self
            .slack
            .wait_for(
                &format!("the incident card for {service}"),
                self.patience(),
                |r| {
                    r.messages
                        .iter()
                        .find(|m| {
                            m.channel == INCIDENT_CHANNEL
                                && m.thread_ts.is_none()
                                && m.text.contains(&format!(" on {service}:"))
                        })
                        .cloned()
                },
            )
            .await?;
        let id = card
            .text
            .split_whitespace()
            .find(|w| w.starts_with("incident-"))
            .unwrap_or_default()
            .to_owned();
        Ok((card, id))
    }

    /// Starts a feature and waits for its card and for the approval request in its thread.
    pub async fn feature_at_intake(
        &self,
        request: &str,
    ) -> anyhow::Result<(String, PostedMessage, PostedMessage)> {
        let id = self.new_feature(request).await?;
        let card = self.card(&id).await?;
        let approval = self.reply_containing(&card, "Approval needed").await?;
        Ok((id, card, approval))
    }

    /// Waits for the approval request of `gate` in the thread of `card`.
    pub async fn gate_request(
        &self,
        card: &PostedMessage,
        gate: &str,
    ) -> anyhow::Result<PostedMessage> {
        self.reply_containing(card, &format!("Approval needed: {gate} gate"))
            .await
    }

    /// Requests `request` and approves its intake and plan gates; its id and card.
    pub async fn through_plan(&self, request: &str) -> anyhow::Result<(String, PostedMessage)> {
        let (id, card, intake) = self.feature_at_intake(request).await?;
        self.press(&intake, "Approve")?;
        self.press(&self.gate_request(&card, "plan").await?, "Approve")?;
        Ok((id, card))
    }

    /// How long the waits for cards, replies and endings last.
    pub fn patience(&self) -> Duration {
        self.opts.patience.unwrap_or(WAIT)
    }

    /// Waits for the card (root message) of workflow `id`.
    pub async fn card(&self, id: &str) -> anyhow::Result<PostedMessage> {
        self.slack
            .wait_for(&format!("the card of {id}"), self.patience(), |r| {
                r.cards_mentioning(id).first().map(|m| (*m).clone())
            })
            .await
    }

    /// Waits for a reply in the thread of `root` whose rendered text contains `needle`.
    pub async fn reply_containing(
        &self,
        root: &PostedMessage,
        needle: &str,
    ) -> anyhow::Result<PostedMessage> {
        let ts = root.ts.clone();
        self.slack
            .wait_for(
                &format!("a reply containing {needle:?}"),
                self.patience(),
                |r| {
                    r.thread(&ts)
                        .into_iter()
                        .find(|m| m.rendered().contains(needle))
                        .cloned()
                },
            )
            .await
    }

    /// Waits until the card of `root` renders `needle`; returns the edited card.
    pub async fn card_showing(
        &self,
        root: &PostedMessage,
        needle: &str,
    ) -> anyhow::Result<PostedMessage> {
        let ts = root.ts.clone();
        self.slack
            .wait_for(
                &format!("the card to show {needle:?}"),
                self.patience(),
                |r| {
                    r.messages
                        .iter()
                        .find(|m| m.ts == ts && m.rendered().contains(needle))
                        .cloned()
                },
            )
            .await
    }

    /// Waits for an ephemeral answer containing `needle`.
    pub async fn ephemeral_containing(&self, needle: &str) -> anyhow::Result<Ephemeral> {
        self.slack
            .wait_for(
                &format!("an ephemeral answer containing {needle:?}"),
                WAIT,
                |r| {
                    r.ephemerals
                        .iter()
                        .find(|e| e.rendered().contains(needle))
                        .cloned()
                },
            )
            .await
    }

    /// Presses the button labelled `label` on `message` as the approver.
    pub fn press(&self, message: &PostedMessage, label: &str) -> anyhow::Result<()> {
        self.press_as(APPROVER, message, label)
    }

    /// Presses the button labelled `label` on `message` as `user`.
    pub fn press_as(&self, user: &str, message: &PostedMessage, label: &str) -> anyhow::Result<()> {
        let button = message
            .buttons()
            .into_iter()
            .find(|b| b.label == label)
            .ok_or_else(|| anyhow::anyhow!("no {label:?} button on {:?}", message.rendered()))?;
        self.slack
            .send(&self.slack.button_press(user, message, &button))
    }

    /// Presses `button` on `message` as the approver.
    pub fn press_button(&self, message: &PostedMessage, button: &Button) -> anyhow::Result<()> {
        self.slack
            .send(&self.slack.button_press(APPROVER, message, button))
    }

    /// Every reply in the thread of `root`, rendered as text, one per line.
    pub fn thread_text(&self, root: &PostedMessage) -> String {
        self.recorded()
            .thread(&root.ts)
            .iter()
            .map(|m| m.rendered())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A copy of what the local Slack recorded.
    pub fn recorded(&self) -> Recorded {
        self.slack.recorded()
    }

    /// Runs the `temporal` CLI against the dev server.
    pub fn temporal(&self, args: &[&str]) -> anyhow::Result<String> {
        self.server.cli(args)
    }

    /// How many workflows on this stack's task queue match the visibility `filter` (e.g.
    /// `WorkflowType = 'FeatureDelivery'`), as `temporal workflow count` says.
    pub fn workflow_count(&self, filter: &str) -> anyhow::Result<u64> {
        let query = format!("({filter}) AND TaskQueue = '{}'", self.task_queue);
        let out = self.temporal(&["workflow", "count", "--query", &query])?;
        out.trim()
            .rsplit(':')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("`temporal workflow count` answered {out:?}"))
    }

    /// Sends signal `name` with JSON `input` to workflow `id` through the `temporal` CLI.
    pub fn signal(&self, id: &str, name: impl Display, input: &str) -> anyhow::Result<()> {
        let name = name.to_string();
        self.temporal(&[
            "workflow", "signal", "-w", id, "--name", &name, "--input", input,
        ])
        .map(drop)
    }

    /// Waits until workflow `id` has closed; returns `temporal workflow describe` output.
    pub async fn workflow_closed(&self, id: &str) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + self.patience();
        loop {
            let out = self.temporal(&["workflow", "describe", "-w", id, "-o", "json"])?;
            let v: serde_json::Value = serde_json::from_str(&out)?;
            let status = v
                .pointer("/workflowExecutionInfo/status")
                .and_then(|s| s.as_str())
                .unwrap_or_default();
            if status != "WORKFLOW_EXECUTION_STATUS_RUNNING" {
                return Ok(status.to_owned());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "{id} still running after {:?}",
                self.patience()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The `status` query's answer, through the `temporal` CLI (as an operator would ask).
    pub fn status(&self, id: &str) -> anyhow::Result<serde_json::Value> {
        self.query(id, chatops_contract::queries::STATUS)
    }

    /// Polls the `status` query until `check` holds.
    pub async fn wait_status(
        &self,
        id: &str,
        what: &str,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> anyhow::Result<serde_json::Value> {
        self.wait_query(id, chatops_contract::queries::STATUS, what, check)
            .await
    }
}

/// Whether a `status` answer's timeline has an event starting with `prefix`.
pub fn has_event(status: &serde_json::Value, prefix: &str) -> bool {
    status["timeline"].as_array().is_some_and(|t| {
        t.iter()
            .any(|e| e["event"].as_str().is_some_and(|e| e.starts_with(prefix)))
    })
}

/// An Alertmanager webhook with one alert about `service` (`status` `firing` or `resolved`).
pub fn alertmanager(fingerprint: &str, service: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "version": "4",
        "status": status,
        "alerts": [{
            "status": status,
            "fingerprint": fingerprint,
            "labels": {"alertname": "HighErrorRate", "service": service, "severity": "error"},
            "annotations": {"summary": format!("{service} 5xx above 5%")},
        }],
    })
}
