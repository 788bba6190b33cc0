//! Posting once when Slack's answer is lost: every post carries an idempotency key in Slack's
//! message metadata, and a retried post first looks for a message carrying its key
//! (`conversations.history`, or `conversations.replies` in a thread, with
//! `include_all_metadata`) and, when Slack already has it, answers that message's `ts`.

use chatops_common::slack::Client;
use slack_morphism::prelude::*;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use temporalio_sdk::activities::ActivityInfo;

use super::PostMessage;
use super::sender::{SendError, classify};

/// The metadata `event_type` of chatops' posts.
pub const EVENT_TYPE: &str = "chatops_post";
/// The `event_payload` field holding the key.
const KEY_FIELD: &str = "idempotency_key";
/// Messages read per page, and pages read at most, looking for an earlier post.
const PAGE: u16 = 200;
const MAX_PAGES: usize = 5;
/// Looked for from this long before the post was first scheduled (clocks differ).
const CLOCK_SLACK: Duration = Duration::from_secs(300);
/// Looked back this far when the schedule time is unknown.
const FALLBACK_WINDOW: Duration = Duration::from_secs(3600);

/// What names one post across its attempts, and where to look for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostKey {
    /// `<workflow id>/<run id>/<activity id>`: the same on every attempt of one scheduled post,
    /// different for every other post (a continued-as-new run numbers its activities again).
    pub key: String,
    /// Whether an earlier attempt may have posted.
    pub retry: bool,
    /// No earlier attempt posted before this (Slack's `oldest`).
    pub oldest: String,
}

impl PostKey {
    /// The key of the post `info` runs; `None` outside a workflow.
    pub fn of(info: &ActivityInfo) -> Option<Self> {
        Self::new(
            info.workflow_id.as_deref(),
            info.workflow_run_id.as_deref(),
            &info.activity_id,
            info.attempt,
            info.scheduled_time,
        )
    }

    fn new(
        workflow: Option<&str>,
        run: Option<&str>,
        activity: &str,
        attempt: u32,
        scheduled: Option<SystemTime>,
    ) -> Option<Self> {
        let workflow = workflow?;
        let run = run.unwrap_or_default();
        let since = scheduled
            .and_then(|t| t.checked_sub(CLOCK_SLACK))
            .or_else(|| SystemTime::now().checked_sub(FALLBACK_WINDOW));
        Some(Self {
            key: format!("{workflow}/{run}/{activity}"),
            retry: attempt > 1,
            oldest: since
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or_else(|| "0".to_owned(), |d| format!("{}.000000", d.as_secs())),
        })
    }

    /// The metadata a post carries.
    pub fn metadata(&self) -> SlackMessageMetadata {
        SlackMessageMetadata {
            event_type: EVENT_TYPE.to_owned(),
            event_payload: Some(HashMap::from([(KEY_FIELD.to_owned(), self.key.clone())])),
        }
    }

    /// Whether `m` is this post.
    fn marks(&self, m: &SlackHistoryMessage) -> bool {
        m.content.metadata.as_ref().is_some_and(|meta| {
            meta.event_type == EVENT_TYPE
                && meta
                    .event_payload
                    .as_ref()
                    .and_then(|p| p.get(KEY_FIELD))
                    .is_some_and(|k| *k == self.key)
        })
    }
}

/// The `ts` of the message Slack already has for `key` in `msg`'s channel (or thread), if any.
pub async fn find(
    client: &Client,
    token: &SlackApiToken,
    msg: &PostMessage,
    key: &PostKey,
) -> Result<Option<String>, SendError> {
    let method = if msg.thread_ts.is_some() {
        "conversations.replies"
    } else {
        "conversations.history"
    };
    let session = client.open_session(token);
    let (limit, yes) = (PAGE.to_string(), "true".to_owned());
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let params: Vec<(&str, Option<&String>)> = vec![
            ("channel", Some(&msg.channel)),
            ("ts", msg.thread_ts.as_ref()),
            ("oldest", Some(&key.oldest)),
            ("include_all_metadata", Some(&yes)),
            ("limit", Some(&limit)),
            ("cursor", cursor.as_ref()),
        ];
        let page: SlackApiConversationsRepliesResponse = session
            .http_session_api
            .http_get(method, &params, None)
            .await
            .map_err(|e| classify(method, &msg.channel, e))?;
        if let Some(found) = page.messages.iter().find(|m| key.marks(m)) {
            return Ok(Some(found.origin.ts.0.clone()));
        }
        cursor = page
            .response_metadata
            .and_then(|r| r.next_cursor)
            .map(|c| c.0)
            .filter(|c| !c.is_empty());
        if cursor.is_none() {
            break;
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(attempt: u32) -> Option<PostKey> {
        PostKey::new(
            Some("feature-1"),
            Some("run-a"),
            "4",
            attempt,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)),
        )
    }

    #[test]
    fn every_attempt_of_a_post_has_the_same_key_and_only_retries_look() {
        let first = key(1).expect("key");
        let second = key(2).expect("key");
        assert_eq!(first.key, "feature-1/run-a/4");
        assert_eq!(first.key, second.key);
        assert!(!first.retry && second.retry);
        assert_eq!(first.oldest, "999700.000000");
    }

    #[test]
    fn a_post_outside_a_workflow_has_no_key() {
        assert_eq!(PostKey::new(None, Some("run-a"), "4", 2, None), None);
    }

    #[test]
    fn only_a_message_carrying_the_key_is_the_post() {
        let key = key(2).expect("key");
        let message = |meta: Option<SlackMessageMetadata>| -> SlackHistoryMessage {
            serde_json::from_value(serde_json::json!({
                "type": "message", "ts": "1.000001", "text": "x", "metadata": meta
            }))
            .expect("message")
        };
        assert!(key.marks(&message(Some(key.metadata()))));
        let other = PostKey {
            key: "feature-1/run-a/5".into(),
            ..key.clone()
        };
        assert!(!key.marks(&message(Some(other.metadata()))));
        assert!(!key.marks(&message(None)));
    }
}
