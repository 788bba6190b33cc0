//! The Web API methods chatops calls, plus `response_url` posts.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::HeaderMap,
};
use serde_json::{Value, json};
use std::sync::Arc;

use super::recorded::blocks_of;
use super::{ApiCall, Ephemeral, Event, Inner, PostedMessage, TEAM_ID, Via};

/// The bot scopes the app manifest asks for; Slack reports a token's scopes in `x-oauth-scopes`.
/// The `*:history` scopes let the worker find a post whose answer it lost before posting again.
pub const MANIFEST_SCOPES: &str = "commands,chat:write,chat:write.public,usergroups:read,users:read,channels:history,groups:history,channels:read,groups:read";

pub(super) async fn api_method(
    State(inner): State<Arc<Inner>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let scopes = inner
        .opts
        .scopes
        .clone()
        .unwrap_or_else(|| MANIFEST_SCOPES.to_owned());
    if matches!(method.as_str(), "chat.postMessage" | "chat.update")
        && inner.outage.load(std::sync::atomic::Ordering::SeqCst)
    {
        inner.record(|r| {
            r.calls.push(ApiCall {
                method: format!("{method}:503"),
                body: json!({}),
            });
            None
        });
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ok": false, "error": "service_unavailable"})),
        )
            .into_response();
    }
    if method == "chat.postMessage" {
        let throttled = inner
            .throttle
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok();
        if throttled {
            inner.record(|r| {
                r.calls.push(ApiCall {
                    method: "chat.postMessage:429".into(),
                    body: json!({}),
                });
                None
            });
            return (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response();
        }
    }
    if matches!(method.as_str(), "chat.postMessage" | "chat.update") {
        let channel = parse_body(&headers, &body)
            .get("channel")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Err(wait) = inner.take_budget(&method, &channel) {
            inner.record(|r| {
                r.calls.push(ApiCall {
                    method: format!("{method}:429"),
                    body: json!({"channel": channel}),
                });
                None
            });
            // Slack sends whole seconds.
            let secs = wait.as_secs_f64().ceil().max(1.0).to_string();
            return (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs)],
                Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response();
        }
    }
    let answer = answer(&inner, &method, query, &headers, &body, &scopes);
    let lose = method == "chat.postMessage"
        && answer.0["ok"] == true
        && inner
            .lost_answers
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok();
    if lose {
        // Posted and recorded above; the caller never hears of it.
        inner.record(|r| {
            r.calls.push(ApiCall {
                method: "chat.postMessage:lost".into(),
                body: answer.0.clone(),
            });
            None
        });
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"ok": false, "error": "internal_error"})),
        )
            .into_response();
    }
    ([("x-oauth-scopes", scopes)], answer).into_response()
}

fn answer(
    inner: &Arc<Inner>,
    method: &str,
    query: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
    scopes: &str,
) -> Json<Value> {
    let method = method.to_owned();
    let mut args = parse_body(headers, body);
    // GET methods carry their arguments in the query string.
    if let (Some(q), Value::Object(map)) = (query, &mut args) {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or_else(|| args.get("token").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    inner.record(|r| {
        r.calls.push(ApiCall {
            method: method.clone(),
            body: args.clone(),
        });
        None
    });
    let expected = if method == "apps.connections.open" {
        &inner.opts.app_token
    } else {
        &inner.opts.bot_token
    };
    if token.is_empty() {
        return Json(json!({"ok": false, "error": "not_authed"}));
    }
    if &token != expected {
        return Json(json!({"ok": false, "error": "invalid_auth"}));
    }
    let str_arg = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
    let blocks_arg = || blocks_of(&args);
    Json(match method.as_str() {
        "auth.test" => json!({
            "ok": true, "url": "http://local-slack/", "team": "Local", "user": "chatops",
            "team_id": TEAM_ID, "user_id": "U0BOT", "bot_id": "B0BOT"
        }),
        "apps.connections.open" => {
            json!({"ok": true, "url": format!("ws://{}/link/?ticket=local", inner.ws_addr)})
        }
        "chat.postMessage" => {
            let Some(channel) = str_arg("channel") else {
                return Json(json!({"ok": false, "error": "channel_not_found"}));
            };
            if inner.opts.missing_channels.contains(&channel) {
                return Json(json!({"ok": false, "error": "channel_not_found"}));
            }
            let msg = PostedMessage {
                channel: channel.clone(),
                ts: inner.next_ts(),
                thread_ts: str_arg("thread_ts"),
                text: str_arg("text").unwrap_or_default(),
                blocks: blocks_arg(),
                edits: 0,
                metadata: metadata_of(&args),
            };
            let mut reply = json!({
                "ok": true, "channel": channel, "ts": msg.ts,
                "message": {"type": "message", "ts": msg.ts, "text": msg.text, "bot_id": "B0BOT", "thread_ts": msg.thread_ts}
            });
            if let Some(meta) = &msg.metadata {
                reply["message"]["metadata"] = meta.clone();
            }
            inner.record(|r| {
                r.messages.push(msg.clone());
                Some(Event::Posted(msg))
            });
            reply
        }
        "chat.update" => {
            let (Some(channel), Some(ts)) = (str_arg("channel"), str_arg("ts")) else {
                return Json(json!({"ok": false, "error": "message_not_found"}));
            };
            let mut found = false;
            inner.record(|r| {
                let m = r
                    .messages
                    .iter_mut()
                    .find(|m| m.channel == channel && m.ts == ts)?;
                m.text = str_arg("text").unwrap_or_default();
                m.blocks = blocks_arg();
                m.edits += 1;
                found = true;
                Some(Event::Updated(m.clone()))
            });
            if found {
                json!({
                    "ok": true, "channel": channel, "ts": ts, "text": str_arg("text").unwrap_or_default(),
                    "message": {"type": "message", "ts": ts, "text": str_arg("text").unwrap_or_default(), "bot_id": "B0BOT"}
                })
            } else {
                json!({"ok": false, "error": "message_not_found"})
            }
        }
        "chat.postEphemeral" => {
            let eph = Ephemeral::from_message(Via::PostEphemeral, &args);
            inner.record(|r| {
                r.ephemerals.push(eph.clone());
                Some(Event::Ephemeral(eph))
            });
            json!({"ok": true, "message_ts": inner.next_ts()})
        }
        "views.open" | "views.publish" => {
            let view = match args.get("view") {
                Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            };
            if !view.is_object() {
                return Json(json!({"ok": false, "error": "invalid_arguments"}));
            }
            let user = str_arg("user_id");
            if method == "views.open" {
                let trigger = str_arg("trigger_id").unwrap_or_default();
                // A trigger opens one view, within its lifetime.
                let refused = match super::lock(&inner.triggers).get_mut(&trigger) {
                    None => Some("invalid_trigger_id"),
                    Some((_, true)) => Some("exchanged_trigger_id"),
                    Some((at, _)) if at.elapsed() > super::TRIGGER_TTL => {
                        Some("expired_trigger_id")
                    }
                    Some((_, used)) => {
                        *used = true;
                        None
                    }
                };
                if let Some(error) = refused {
                    return Json(json!({"ok": false, "error": error}));
                }
            } else if user.is_none() {
                return Json(json!({"ok": false, "error": "invalid_arguments"}));
            }
            let recorded = super::RecordedView {
                method: method.clone(),
                id: format!(
                    "V{:08}",
                    inner.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                ),
                user,
                view: view.clone(),
            };
            let mut answer = view;
            if let Value::Object(map) = &mut answer {
                map.insert("id".into(), json!(recorded.id));
                map.insert("team_id".into(), json!(TEAM_ID));
                map.insert("hash".into(), json!("local.hash"));
                map.insert("state".into(), json!({"values": {}}));
            }
            inner.record(|r| {
                r.views.push(recorded.clone());
                Some(Event::View(recorded))
            });
            json!({"ok": true, "view": answer})
        }
        "conversations.info" | "conversations.members" => {
            let channel = str_arg("channel").unwrap_or_default();
            let private = inner.opts.private_channels.get(&channel);
            let needed = if private.is_some() {
                "groups:read"
            } else {
                "channels:read"
            };
            if !scopes.split(',').any(|s| s.trim() == needed) {
                json!({"ok": false, "error": "missing_scope", "needed": needed, "provided": scopes})
            } else if channel.is_empty() || inner.opts.missing_channels.contains(&channel) {
                json!({"ok": false, "error": "channel_not_found"})
            } else if method == "conversations.info" {
                json!({"ok": true, "channel": {
                    "id": channel, "name": channel.to_lowercase(), "is_channel": true,
                    "created": 1_700_000_000, "creator": "U0CREATOR", "is_archived": false,
                    "is_private": private.is_some(), "is_im": false, "is_mpim": false,
                }})
            } else {
                json!({"ok": true, "members": private.cloned().unwrap_or_default(),
                       "response_metadata": {"next_cursor": ""}})
            }
        }
        "conversations.history" | "conversations.replies" => {
            if !scopes.split(',').any(|s| s.trim() == "channels:history") {
                return Json(json!({
                    "ok": false, "error": "missing_scope",
                    "needed": "channels:history", "provided": scopes
                }));
            }
            let rec = super::lock(&inner.rec);
            if method == "conversations.history" {
                super::history::history(&rec.messages, &args)
            } else {
                super::history::replies(&rec.messages, &args)
            }
        }
        "usergroups.users.list" => {
            let group = str_arg("usergroup").unwrap_or_default();
            match inner.opts.user_groups.get(&group) {
                Some(users) => json!({"ok": true, "users": users}),
                None => json!({"ok": false, "error": "no_such_subteam"}),
            }
        }
        _ => json!({"ok": false, "error": "unknown_method"}),
    })
}

pub(super) async fn response_url(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let args = parse_body(&headers, &body);
    let eph = Ephemeral::from_message(Via::ResponseUrl(id), &args);
    inner.record(|r| {
        r.calls.push(ApiCall {
            method: "response_url".into(),
            body: args.clone(),
        });
        r.ephemerals.push(eph.clone());
        Some(Event::Ephemeral(eph))
    });
    Json(json!({"ok": true}))
}

/// A post's `metadata`: an object, or a string holding one (form-encoded calls); kept only
/// when it has Slack's required `event_type`.
fn metadata_of(args: &Value) -> Option<Value> {
    let meta = match args.get("metadata")? {
        Value::String(s) => serde_json::from_str(s).ok()?,
        v => v.clone(),
    };
    meta.get("event_type")
        .and_then(Value::as_str)
        .is_some()
        .then_some(meta)
}

/// JSON bodies as they are; form bodies as an object of strings; anything else as `{}`.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Value {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Value::Object(map);
    }
    serde_json::from_slice(body).unwrap_or_else(|_| json!({}))
}
