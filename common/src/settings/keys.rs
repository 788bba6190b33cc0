//! The key table: every setting's file key, its default and what it means, in the order README
//! documents them.
//!
//! It is the only list of keys: unknown keys are refused against it, defaults come from it, and a
//! test holds README to it. One key per line, so a key, its default and its meaning read (and
//! grep) together.

/// Every key, its default (if any) and what it is, in the order README documents them.
#[rustfmt::skip]
pub const KEYS: &[(&str, Option<&str>, &str)] = &[
    ("temporal.address", Some("http://127.0.0.1:7233"), "Temporal frontend gRPC address"),
    ("temporal.namespace", Some("default"), "Temporal namespace"),
    ("temporal.task_queue", Some("chatops"), "task queue the worker polls and the bot starts on"),
    ("temporal.ui_url", Some("http://127.0.0.1:8233"), "Temporal web UI base URL, for deep links"),
    ("temporal.tls", Some("false"), "connect to Temporal over TLS; on by itself when the address is https:// or any key below is set"),
    ("temporal.tls_ca_file", None, "PEM file of the CA that signed the Temporal server's certificate; the system roots without it"),
    ("temporal.tls_server_name", None, "name the server's certificate is checked against (and SNI), when it is not the address's host"),
    ("temporal.tls_cert_file", None, "PEM client certificate for mTLS; needs `temporal.tls_key_file`"),
    ("temporal.tls_key_file", None, "PEM private key of `temporal.tls_cert_file`"),
    ("temporal.api_key", None, "Temporal Cloud API key, sent as `authorization: Bearer …`"),
    ("temporal.api_key_file", None, "file holding the Temporal API key (instead of `temporal.api_key`)"),
    ("slack.app_token", None, "Socket Mode app-level token (xapp-…); the bot needs it"),
    ("slack.bot_token", None, "bot token (xoxb-…); both processes need it"),
    ("slack.api_url", Some("https://slack.com/api"), "Slack Web API base URL"),
    ("slack.channel", Some("C0DELIVERY"), "default notifications channel id"),
    ("slack.socket_connections", Some("2"), "Socket Mode connections to keep open (1–10)"),
    ("database.url", Some("sqlite://.data/chatops.db"), "the bot's store: `sqlite://<file>` or `postgres://user@host/db`"),
    ("audit.fail_closed", Some("false"), "refuse a state-changing action, before anything changes, when its audit entry cannot be written; off, the action goes ahead and the lost entry is logged"),
    ("approvals.approvers", None, "comma-separated user (`U…`) and user group (`S…`) ids who may decide gates; anyone may without it"),
    ("approvals.required", Some("1"), "distinct approvals a gate needs (N of M, 1–10); the first reject still wins"),
    ("approvals.gates", None, "per-gate overrides, JSON {\"production\": {\"approvers\": \"S0SRE,U0LEAD\", \"required\": 2}}; gates not named use the keys above"),
    ("approvals.no_self_approval", Some("production"), "comma-separated gates the requester may not approve themselves"),
    ("github.token", None, "GitHub token (hotfix and postmortem pull requests); GitHub work is off without it"),
    ("github.api_url", Some("https://api.github.com"), "GitHub REST API base URL (GitHub Enterprise: https://host/api/v3)"),
    ("slack.channel_burst", Some("10"), "posts (and, separately, card edits) to one channel sent at once before they are spread ~1 per second"),
    ("feature.intake_timeout", Some("48h"), "how long the intake (requirement) gate waits before auto-rejecting"),
    ("feature.intake_escalation", Some("24h"), "how long the intake gate waits before calling `feature.escalation` (0s: never)"),
    ("feature.plan_escalation", Some("48h"), "how long the task-plan gate waits before calling `feature.escalation` (0s: never)"),
    ("feature.plan_timeout", Some("72h"), "how long the task-plan gate waits before auto-approving, with a visible warning"),
    ("feature.production_timeout", Some("72h"), "how long the production gate waits before auto-rejecting (it is never auto-approved)"),
    ("feature.escalation", None, "who gate escalations and failed phases mention: a user (`U…`) or user group (`S…`) id"),
    ("feature.repository", None, "default `owner/name` features are delivered to (a request may name its own)"),
    ("feature.checks", None, "quality checks, a JSON list of {name, command, required, weight, timeout_secs}; run in `quality.workdir`"),
    ("feature.repositories", None, "per-repository overrides, JSON {\"owner/name\": {checks, threshold, min_coverage}}"),
    ("feature.quality_threshold", Some("85"), "weighted quality score (0–100) a change needs to merge"),
    ("feature.min_coverage", Some("80"), "coverage (the `coverage` check's score=NN) a change needs to merge"),
    ("quality.workdir", Some("."), "folder the quality checks run in: the checkout of the feature branch"),
    ("approvals.admins", None, "comma-separated user (`U…`) and user group (`S…`) ids who may skip a gate; nobody may without it"),
    ("github.reviewers", None, "comma-separated GitHub logins asked to review each feature's pull request"),
    ("github.auto_merge", Some("false"), "squash-merge the feature's pull request before the production deploy"),
    ("agent.command", None, "delivery agent, command backend (`sh -c`): request JSON on stdin, answer JSON on stdout"),
    ("agent.url", None, "delivery agent, OpenAI-compatible base URL (`…/v1`); `/chat/completions` is called"),
    ("agent.model", Some("gpt-4o-mini"), "model for `agent.url`"),
    ("agent.api_key", None, "bearer key for `agent.url` and `agent.alternative_url`"),
    ("agent.alternative_command", None, "agent asked when the first keeps failing, command backend"),
    ("agent.alternative_url", None, "agent asked when the first keeps failing, OpenAI-compatible base URL"),
    ("agent.timeout", Some("5m"), "how long one agent answer may take"),
    ("agent.attempts", Some("3"), "attempts per agent before the next rung of the ladder (1–10)"),
    ("deploy.staging_command", None, "staging deploy command (`sh -c`, with CHATOPS_SHA, CHATOPS_ENVIRONMENT, CHATOPS_FEATURE)"),
    ("deploy.staging_webhook", None, "staging deploy webhook, POSTed {environment, sha, feature}"),
    ("deploy.staging_health_url", None, "staging health endpoint; 2xx is healthy"),
    ("deploy.staging_metrics_url", None, "staging metrics source answering {\"error_rate\": f, \"latency_ms\": f}"),
    ("deploy.staging_interval", Some("30s"), "between staging health checks"),
    ("deploy.staging_window", Some("5m"), "how long staging is watched"),
    ("deploy.production_command", None, "production deploy command (`sh -c`, same variables)"),
    ("deploy.production_webhook", None, "production deploy webhook"),
    ("deploy.production_health_url", None, "production health endpoint"),
    ("deploy.production_metrics_url", None, "production metrics source"),
    ("deploy.production_interval", Some("15s"), "between production health checks"),
    ("deploy.production_window", Some("10m"), "how long production is watched"),
    ("deploy.down_migration_command", None, "rollback saga's first step (`sh -c`), before the previous commit is redeployed"),
    ("deploy.max_failures", Some("3"), "roll back after more than this many failed health checks in a row"),
    ("deploy.error_rate_factor", Some("3"), "roll back when the error rate stays above this multiple of the pre-deploy baseline"),
    ("deploy.latency_factor", Some("5"), "roll back when latency stays above this multiple of the pre-deploy baseline"),
    ("feature.phase_duration", Some("2s"), "how long each placeholder phase lasts"),
    ("incident.channel", None, "channel id for incident cards; defaults to `slack.channel`"),
    ("incident.agents", Some("3"), "diagnostic agents run in parallel per incident (1–10)"),
    ("incident.agent_url", None, "HTTP agent backend: receives a POST of the incident as JSON, answers a diagnosis"),
    ("incident.agent_command", None, "command agent backend (`sh -c`): incident JSON on stdin, diagnosis JSON on stdout"),
    ("incident.agent_timeout", Some("2m"), "how long one agent may take before it is retried (3 attempts)"),
    ("incident.threshold", Some("0.70"), "consensus confidence needed to act without a human (0–1)"),
    ("incident.similarity", Some("0.5"), "word overlap (Jaccard, 0–1) at which two root causes count as the same"),
    ("incident.choose_timeout", Some("30m"), "how long candidate diagnoses wait for a pick before escalating, and between escalations"),
    ("incident.escalation", None, "who escalations mention: a user (`U…`) or user group (`S…`) id"),
    ("incident.responders", None, "comma-separated user (`U…`) and user group (`S…`) ids who may acknowledge, roll back, resolve, choose and hand over any incident; its commander and the people on call may too"),
    ("incident.rollback_command", None, "command the Roll back button runs (`sh -c`, with `SERVICE` and `INCIDENT` set)"),
    ("incident.context_urls", None, "comma-separated metrics/log URLs fetched before diagnosis; `{service}` (path or query only) is replaced by the service, percent-encoded; no other host is fetched"),
    ("incident.repository", None, "`owner/name` that hotfix and postmortem pull requests go to"),
    ("incident.postmortem_path", None, "folder in `incident.repository` for postmortem pull requests; none are opened without it"),
    ("incident.checks_timeout", Some("30m"), "how long a hotfix pull request's checks are waited for"),
    ("incident.checks_interval", Some("30s"), "how often a hotfix pull request's checks are read"),
    ("incident.monitor_events", Some("500"), "alerts one monitor run handles before it continues as new"),
    ("emergency.oncall", None, "comma-separated user (`U…`) and user group (`S…`) ids allowed to engage and release the emergency stop"),
    ("emergency.recheck", Some("1m"), "how often a delivery held by the emergency stop checks whether it was released"),
    ("alerts.listen", Some("127.0.0.1:7398"), "where the bot's alert intake (`POST /alerts`) and `/healthz` listen"),
    ("alerts.token", None, "bearer token alert senders must present; alert intake is off without it"),
    ("alerts.request_timeout", Some("10s"), "how long an alert sender has to deliver a request's body once its headers are in; slower ones are answered 408"),
    ("alerts.max_in_flight", Some("256"), "alert requests handled at once (1–100000); more are answered 503 with Retry-After"),
    ("worker.listen", Some("127.0.0.1:7397"), "where the worker serves `/healthz`, `/readyz` and `/metrics`"),
    ("worker.child_env", None, "comma-separated variables of the worker's environment passed on to the commands it runs (checks, deploys, agents), besides PATH, HOME, USER, LOGNAME, SHELL, LANG, LC_ALL, LC_CTYPE, TZ, TMPDIR; `CHATOPS__*` and `TEMPORAL_*` are refused"),
    ("shell.listen", Some("127.0.0.1:7399"), "where the shell's local Slack Web API listens"),
    ("shell.user", Some("U0SHELL"), "Slack user id the shell acts as"),
    ("shell.state_file", Some(".data/shell-messages.json"), "where the shell keeps its channel's messages"),
    ("log.format", Some("pretty"), "`pretty` or `json`"),
    ("log.filter", Some("info"), "tracing filter when RUST_LOG is unset"),
];

/// The default of `key`, if it has one.
pub(super) fn default_of(key: &str) -> Option<&'static str> {
    KEYS.iter()
        .find(|(k, ..)| *k == key)
        .and_then(|(_, d, _)| *d)
}

/// Whether `key` is in the table.
pub(super) fn is_known(key: &str) -> bool {
    KEYS.iter().any(|(k, ..)| *k == key)
}
