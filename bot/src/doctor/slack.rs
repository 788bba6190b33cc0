//! The Slack rows of `doctor`: both tokens, and the bot token's scopes.

use chatops_common::Settings;
use chatops_common::http::Http;
use secrecy::ExposeSecret;
use serde_json::Value;
use std::time::Duration;

use super::{Check, REQUIRED_SCOPES, Status};

pub(super) async fn slack(settings: &Settings, http: &Http) -> Vec<Check> {
    let api = settings.slack.api_url.as_str().trim_end_matches('/');
    let mut out = Vec::new();
    match settings.slack.bot_token.as_ref() {
        None => out.push(Check::fail(
            "slack bot token",
            "not set",
            "set CHATOPS__SLACK__BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)",
        )),
        Some(token) => match call(http, &format!("{api}/auth.test"), token.expose_secret()).await {
            Ok((body, scopes)) if body["ok"] == true => {
                out.push(Check::pass(
                    "slack bot token",
                    format!(
                        "team {} as {}",
                        body["team"].as_str().unwrap_or("?"),
                        body["user"].as_str().unwrap_or("?")
                    ),
                ));
                let have: Vec<&str> = scopes
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .collect();
                let missing: Vec<&str> = REQUIRED_SCOPES
                    .iter()
                    .copied()
                    .filter(|s| !have.contains(s))
                    .collect();
                out.push(if scopes.is_none() {
                    Check {
                        name: "slack scopes",
                        status: Status::Warn,
                        detail: "Slack did not report the token's scopes".into(),
                        remedy: None,
                    }
                } else if missing.is_empty() {
                    Check::pass("slack scopes", have.join(", "))
                } else {
                    Check::fail(
                        "slack scopes",
                        format!("missing {}", missing.join(", ")),
                        "add them under OAuth & Permissions (manifests/slack-app.yaml lists them) and reinstall the app",
                    )
                });
            }
            Ok((body, _)) => out.push(Check::fail(
                "slack bot token",
                format!(
                    "Slack at {api} said {}",
                    body["error"].as_str().unwrap_or("not ok")
                ),
                "set CHATOPS__SLACK__BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)",
            )),
            Err(e) => out.push(Check::fail(
                "slack bot token",
                format!("Slack at {api} unreachable: {e}"),
                "check CHATOPS__SLACK__API_URL and the network",
            )),
        },
    }
    out.push(match settings.slack.app_token.as_ref() {
        None => Check::fail(
            "slack app token",
            "not set",
            "create an app-level token with connections:write and set CHATOPS__SLACK__APP_TOKEN (xapp-…)",
        ),
        Some(token) => {
            match call(http, &format!("{api}/apps.connections.open"), token.expose_secret()).await
            {
                Ok((body, _)) if body["ok"] == true => {
                    Check::pass("slack app token", "Socket Mode connections can be opened")
                }
                Ok((body, _)) => Check::fail(
                    "slack app token",
                    format!("Slack said {}", body["error"].as_str().unwrap_or("not ok")),
                    "create an app-level token with connections:write and set CHATOPS__SLACK__APP_TOKEN (xapp-…)",
                ),
                Err(e) => Check::fail(
                    "slack app token",
                    format!("Slack at {api} unreachable: {e}"),
                    "check CHATOPS__SLACK__API_URL and the network",
                ),
            }
        }
    });
    out
}

/// POSTs a Web API method with `token`; the JSON answer and the token's scopes.
async fn call(
    http: &Http,
    url: &str,
    token: &str,
) -> Result<(Value, Option<String>), chatops_common::http::HttpError> {
    let auth = format!("Bearer {token}");
    let resp = http
        .post(
            url,
            &[
                ("authorization", &auth),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Vec::new().into(),
            Duration::from_secs(10),
        )
        .await?;
    let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    Ok((body, resp.scopes))
}
