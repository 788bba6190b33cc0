//! `conversations.history` and `conversations.replies` over the recorded messages, in Slack's
//! documented shapes: history is a channel's top-level messages newest first, replies a thread's
//! parent then its replies oldest first; `oldest` / `latest` bound the window (exclusive unless
//! `inclusive`), `limit` and `cursor` page it, and message metadata is included only when
//! `include_all_metadata` is set.

use serde_json::{Value, json};

use super::PostedMessage;

/// Slack's default page size for both methods.
const DEFAULT_LIMIT: usize = 100;

/// `conversations.history`.
pub(super) fn history(messages: &[PostedMessage], args: &Value) -> Value {
    let Some(channel) = arg(args, "channel") else {
        return json!({"ok": false, "error": "channel_not_found"});
    };
    let mut found: Vec<&PostedMessage> = messages
        .iter()
        .filter(|m| m.channel == channel)
        .filter(|m| m.thread_ts.as_ref().is_none_or(|t| *t == m.ts))
        .filter(|m| in_window(&m.ts, args))
        .collect();
    found.sort_by_key(|m| std::cmp::Reverse(ts_key(&m.ts)));
    let (page, next) = paged(&found, args);
    json!({
        "ok": true,
        "messages": page.iter().map(|m| shape(m, messages, args)).collect::<Vec<_>>(),
        "has_more": !next.is_empty(),
        "pin_count": 0,
        "response_metadata": {"next_cursor": next},
    })
}

/// `conversations.replies`.
pub(super) fn replies(messages: &[PostedMessage], args: &Value) -> Value {
    let (Some(channel), Some(ts)) = (arg(args, "channel"), arg(args, "ts")) else {
        return json!({"ok": false, "error": "thread_not_found"});
    };
    let Some(parent) = messages.iter().find(|m| m.channel == channel && m.ts == ts) else {
        return json!({"ok": false, "error": "thread_not_found"});
    };
    let mut thread: Vec<&PostedMessage> = messages
        .iter()
        .filter(|m| m.channel == channel && m.ts != ts)
        .filter(|m| m.thread_ts.as_deref() == Some(ts.as_str()))
        .filter(|m| in_window(&m.ts, args))
        .collect();
    thread.sort_by_key(|m| ts_key(&m.ts));
    thread.insert(0, parent);
    let (page, next) = paged(&thread, args);
    json!({
        "ok": true,
        "messages": page.iter().map(|m| shape(m, messages, args)).collect::<Vec<_>>(),
        "has_more": !next.is_empty(),
        "response_metadata": {"next_cursor": next},
    })
}

/// A message as both methods return it.
fn shape(m: &PostedMessage, all: &[PostedMessage], args: &Value) -> Value {
    let mut v = json!({
        "type": "message",
        "ts": m.ts,
        "text": m.text,
        "bot_id": "B0BOT",
        "user": "U0BOT",
    });
    if !m.blocks.is_null() {
        v["blocks"] = m.blocks.clone();
    }
    if let Some(t) = &m.thread_ts {
        v["thread_ts"] = json!(t);
    } else {
        let replies = all
            .iter()
            .filter(|r| r.channel == m.channel && r.thread_ts.as_deref() == Some(m.ts.as_str()))
            .count();
        if replies > 0 {
            v["thread_ts"] = json!(m.ts);
            v["reply_count"] = json!(replies);
        }
    }
    if let (Some(meta), true) = (&m.metadata, flag(args, "include_all_metadata")) {
        v["metadata"] = meta.clone();
    }
    v
}

/// One page of `items` from `cursor`, and the cursor of the next (empty on the last page).
fn paged<'a>(items: &[&'a PostedMessage], args: &Value) -> (Vec<&'a PostedMessage>, String) {
    let start = arg(args, "cursor")
        .and_then(|c| {
            c.strip_prefix("next:")
                .and_then(|n| n.parse::<usize>().ok())
        })
        .unwrap_or(0);
    let limit = arg(args, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(DEFAULT_LIMIT);
    let page: Vec<_> = items.iter().skip(start).take(limit).copied().collect();
    let end = start + page.len();
    let next = if end < items.len() {
        format!("next:{end}")
    } else {
        String::new()
    };
    (page, next)
}

/// Whether `ts` is between `oldest` and `latest`.
fn in_window(ts: &str, args: &Value) -> bool {
    let inclusive = flag(args, "inclusive");
    let key = ts_key(ts);
    let after = arg(args, "oldest").is_none_or(|o| {
        let o = ts_key(&o);
        key > o || (inclusive && key == o)
    });
    let before = arg(args, "latest").is_none_or(|l| {
        let l = ts_key(&l);
        key < l || (inclusive && key == l)
    });
    after && before
}

/// A ts as seconds and microseconds, for ordering.
fn ts_key(ts: &str) -> (u64, u64) {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    (secs.parse().unwrap_or(0), frac.parse().unwrap_or(0))
}

/// A string argument (query strings and form bodies carry everything as strings).
fn arg(args: &Value, key: &str) -> Option<String> {
    match args.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(args: &Value, key: &str) -> bool {
    match args.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(ts: &str, thread_ts: Option<&str>, key: Option<&str>) -> PostedMessage {
        PostedMessage {
            channel: "C1".into(),
            ts: ts.into(),
            thread_ts: thread_ts.map(str::to_owned),
            text: format!("m{ts}"),
            blocks: Value::Null,
            edits: 0,
            metadata: key.map(|k| json!({"event_type": "t", "event_payload": {"key": k}})),
        }
    }

    fn tss(answer: &Value) -> Vec<&str> {
        answer["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["ts"].as_str().expect("ts"))
            .collect()
    }

    #[test]
    fn history_is_top_level_newest_first_within_the_window() {
        let all = [
            message("10.000001", None, None),
            message("11.000002", None, Some("a")),
            message("11.000003", Some("11.000002"), None),
            message("12.000004", None, None),
        ];
        let answer = history(&all, &json!({"channel": "C1", "oldest": "10.000001"}));
        assert_eq!(tss(&answer), ["12.000004", "11.000002"]);
        assert_eq!(answer["messages"][1]["reply_count"], 1);
        assert!(answer["messages"][1].get("metadata").is_none());
        let inclusive = history(
            &all,
            &json!({"channel": "C1", "oldest": "10.000001", "inclusive": "true"}),
        );
        assert_eq!(tss(&inclusive).len(), 3);
    }

    #[test]
    fn metadata_comes_back_only_when_asked_for() {
        let all = [message("11.000002", None, Some("a"))];
        let answer = history(
            &all,
            &json!({"channel": "C1", "include_all_metadata": "true"}),
        );
        assert_eq!(
            answer["messages"][0]["metadata"]["event_payload"]["key"],
            "a"
        );
    }

    #[test]
    fn pages_follow_the_cursor() {
        let all: Vec<_> = (1..=5)
            .map(|n| message(&format!("10.00000{n}"), None, None))
            .collect();
        let first = history(&all, &json!({"channel": "C1", "limit": "2"}));
        assert_eq!(tss(&first), ["10.000005", "10.000004"]);
        assert_eq!(first["has_more"], true);
        let cursor = first["response_metadata"]["next_cursor"]
            .as_str()
            .expect("cursor");
        let second = history(
            &all,
            &json!({"channel": "C1", "limit": "2", "cursor": cursor}),
        );
        assert_eq!(tss(&second), ["10.000003", "10.000002"]);
    }

    #[test]
    fn replies_are_the_parent_then_its_thread_oldest_first() {
        let all = [
            message("10.000001", None, None),
            message("10.000003", Some("10.000001"), Some("b")),
            message("10.000002", Some("10.000001"), None),
            message("10.000004", Some("10.000009"), None),
        ];
        let answer = replies(&all, &json!({"channel": "C1", "ts": "10.000001"}));
        assert_eq!(tss(&answer), ["10.000001", "10.000002", "10.000003"]);
        let missing = replies(&all, &json!({"channel": "C1", "ts": "9.0"}));
        assert_eq!(missing["error"], "thread_not_found");
    }
}
