//! The worker's Slack [`Sender`] driven directly against a local Slack, the way Temporal drives
//! its activities: an error with a next-retry delay is tried again after exactly that delay.

use chatops_worker::activities::slack::{SendError, Sender};
use std::future::Future;
use std::time::Duration;

/// A local Slack of its own (no bot, no worker) for driving the sender; with
/// `channel_rate_limit`, it enforces Slack's per-channel write rate with that burst.
pub async fn standalone_slack(
    channel_rate_limit: Option<u32>,
) -> anyhow::Result<chatops_bot::shell::local_slack::LocalSlack> {
    use chatops_bot::shell::local_slack::{LocalSlack, Options};
    Ok(LocalSlack::start(Options {
        api_listen: "127.0.0.1:0".parse()?,
        bot_token: crate::stack::BOT_TOKEN.into(),
        app_token: crate::stack::APP_TOKEN.into(),
        state_file: None,
        user_groups: Default::default(),
        scopes: None,
        rate_limited_posts: 0,
        missing_channels: Vec::new(),
        private_channels: Default::default(),
        channel_rate_limit,
    })
    .await?)
}

/// A sender writing to `api_url` with the e2e bot token, `burst` writes per channel at once.
pub fn sender(api_url: &str, burst: u32) -> anyhow::Result<Sender> {
    let client = chatops_common::slack::client(&api_url.parse()?);
    let token = secrecy::SecretString::from(crate::stack::BOT_TOKEN.to_owned());
    Ok(Sender::new(client, &token, burst))
}

/// What it took to get one write through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tries {
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// Attempts Slack answered 429.
    pub rate_limited: u32,
}

/// Calls `attempt` until it succeeds, as Temporal retries an activity: after the error's
/// next-retry delay when it has one (pacer or `Retry-After`), after 100 ms for a transient
/// error. A permanent error, or more than 30 attempts, ends it.
pub async fn until_done<T, F, Fut>(mut attempt: F) -> anyhow::Result<(T, Tries)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SendError>>,
{
    let mut tries = Tries::default();
    loop {
        tries.attempts += 1;
        anyhow::ensure!(tries.attempts <= 30, "still failing after 30 attempts");
        match attempt().await {
            Ok(v) => return Ok((v, tries)),
            Err(SendError::Permanent(why)) => anyhow::bail!("refused for good: {why}"),
            Err(e) => {
                if matches!(e, SendError::RateLimited(..)) {
                    tries.rate_limited += 1;
                }
                tokio::time::sleep(e.retry_after().unwrap_or(Duration::from_millis(100))).await;
            }
        }
    }
}
