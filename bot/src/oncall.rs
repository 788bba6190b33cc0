//! Who is in a role list (`emergency.oncall`, `feature.admins`, the approvers): user ids
//! listed directly, or members of listed user groups, read from Slack and cached in the
//! store's role cache. The rules that use the lists live in `ops`.

use slack_morphism::prelude::*;

use crate::App;
use std::time::{Duration, SystemTime};

impl crate::ops::Roster for App {
    fn settings(&self) -> &chatops_common::Settings {
        &self.settings
    }

    async fn member(&self, listed: &[String], user: &str) -> Result<bool, String> {
        member(self, listed, user).await
    }

    async fn sees(&self, channel: &str, user: &str) -> bool {
        match audience(self, channel).await {
            Ok(None) => true,
            Ok(Some(members)) => members.iter().any(|m| m == user),
            Err(e) => {
                // Unknown is treated as private: nothing is shown that might not be theirs.
                tracing::warn!(error = %e, channel, "cannot tell who may see a channel");
                false
            }
        }
    }
}

/// Who may see `channel`: `None` for a public channel (anyone), its members for a private one;
/// read from Slack (`conversations.info`, `conversations.members`) and cached like user groups.
pub async fn audience(app: &App, channel: &str) -> Result<Option<Vec<String>>, String> {
    const PUBLIC: &str = "*public*";
    let key = format!("#{channel}");
    let now = SystemTime::now();
    let cached = app.store.cached_group(&key).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, channel, "role cache unavailable");
        None
    });
    let age = |at: SystemTime| now.duration_since(at).unwrap_or_default();
    let from_cache = |members: Vec<String>| (members != [PUBLIC]).then_some(members);
    if let Some((members, at)) = &cached
        && age(*at) < GROUP_CACHE_TTL
    {
        return Ok(from_cache(members.clone()));
    }
    match read_audience(app, channel).await {
        Ok(found) => {
            let stored = found.clone().unwrap_or_else(|| vec![PUBLIC.to_owned()]);
            if let Err(e) = app.store.cache_group(&key, &stored, now).await {
                tracing::warn!(error = %e, channel, "could not cache a channel's audience");
            }
            Ok(found)
        }
        Err(e) => match cached {
            Some((members, at)) if age(at) < GROUP_CACHE_STALE_LIMIT => Ok(from_cache(members)),
            _ => Err(format!("channel {channel}: {e}")),
        },
    }
}

async fn read_audience(app: &App, channel: &str) -> Result<Option<Vec<String>>, String> {
    let id = SlackChannelId(channel.to_owned());
    let info = app
        .session()
        .conversations_info(&SlackApiConversationsInfoRequest::new(id.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let flags = &info.channel.flags;
    let private = flags.is_private.unwrap_or(false)
        || flags.is_im.unwrap_or(false)
        || flags.is_mpim.unwrap_or(false);
    if !private {
        return Ok(None);
    }
    let mut members = Vec::new();
    let mut cursor: Option<SlackCursorId> = None;
    loop {
        let mut req = SlackApiConversationsMembersRequest::new()
            .with_channel(id.clone())
            .with_limit(1000);
        if let Some(c) = cursor.take() {
            req = req.with_cursor(c);
        }
        let page = app
            .session()
            .conversations_members(&req)
            .await
            .map_err(|e| e.to_string())?;
        members.extend(page.members.into_iter().map(|u| u.0));
        match page.response_metadata.and_then(|m| m.next_cursor) {
            Some(next) if !next.0.is_empty() => cursor = Some(next),
            _ => break,
        }
    }
    Ok(Some(members))
}

/// Whether `user` is in `listed`: directly, or as a member of a listed user group. `Err`
/// names a group that could not be read (when no other entry matched).
pub async fn member(app: &App, listed: &[String], user: &str) -> Result<bool, String> {
    if listed.iter().any(|who| who == user) {
        return Ok(true);
    }
    let mut unverifiable = None;
    for group in listed.iter().filter(|g| g.starts_with('S')) {
        match group_members(app, group).await {
            Ok(members) if members.iter().any(|u| u == user) => return Ok(true),
            Ok(_) => {}
            Err(e) => unverifiable = Some(e),
        }
    }
    unverifiable.map_or(Ok(false), Err)
}

/// How long user group members read from Slack are trusted before being read again.
pub const GROUP_CACHE_TTL: Duration = Duration::from_secs(300);

/// How long a cached membership may stand in when Slack cannot be asked.
pub const GROUP_CACHE_STALE_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// The members of user group `group`: from the store's role cache when read from Slack less
/// than [`GROUP_CACHE_TTL`] ago, from `usergroups.users.list` otherwise (and cached). When
/// Slack fails, a cached answer up to [`GROUP_CACHE_STALE_LIMIT`] old stands in.
pub async fn group_members(app: &App, group: &str) -> Result<Vec<String>, String> {
    let now = SystemTime::now();
    let cached = app.store.cached_group(group).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, group, "role cache unavailable");
        None
    });
    let age = |at: SystemTime| now.duration_since(at).unwrap_or_default();
    if let Some((members, at)) = &cached
        && age(*at) < GROUP_CACHE_TTL
    {
        return Ok(members.clone());
    }
    let req = SlackApiUserGroupsUsersListRequest::new(SlackUserGroupId(group.to_owned()));
    match app.session().usergroups_users_list(&req).await {
        Ok(resp) => {
            let members: Vec<String> = resp.users.into_iter().map(|u| u.0).collect();
            if let Err(e) = app.store.cache_group(group, &members, now).await {
                tracing::warn!(error = %e, group, "could not cache a user group");
            }
            Ok(members)
        }
        Err(e) => match cached {
            Some((members, at)) if age(at) < GROUP_CACHE_STALE_LIMIT => {
                tracing::warn!(error = %e, group, age_secs = age(at).as_secs(), "Slack unreachable; using the cached members");
                Ok(members)
            }
            _ => Err(format!("user group {group}: {e}")),
        },
    }
}
