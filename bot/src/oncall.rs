//! Who may press the emergency stop: the users and user groups in `emergency.oncall`.

use chatops_common::Settings;
use slack_morphism::prelude::*;

use crate::App;

/// Why someone may not act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody is configured.
    NoneConfigured,
    /// The user is not on call.
    NotOnCall,
    /// A user group could not be read.
    Unverifiable(String),
}

impl Refusal {
    /// What the user is told.
    pub fn text(&self, doing: &str) -> String {
        match self {
            Self::NoneConfigured => format!(
                "Nobody may {doing}: no on-call users or groups are configured (CHATOPS__EMERGENCY__ONCALL)."
            ),
            Self::NotOnCall => format!(
                "Only on-call engineers may {doing}. Ask someone on call, or an admin to add you to CHATOPS__EMERGENCY__ONCALL."
            ),
            Self::Unverifiable(why) => format!(
                "I couldn't check whether you are on call ({why}), so I did not {doing}. Try again in a minute."
            ),
        }
    }
}

/// Whether `user` is on call: listed directly, or a member of a listed user group (read with
/// `usergroups.users.list`).
pub async fn check(app: &App, user: &str) -> Result<(), Refusal> {
    let listed = &app.settings.emergency.oncall;
    if listed.is_empty() {
        return Err(Refusal::NoneConfigured);
    }
    if directly_listed(&app.settings, user) {
        return Ok(());
    }
    let mut unverifiable = None;
    for group in listed.iter().filter(|g| g.starts_with('S')) {
        let req = SlackApiUserGroupsUsersListRequest::new(SlackUserGroupId(group.clone()));
        match app.session().usergroups_users_list(&req).await {
            Ok(resp) if resp.users.iter().any(|u| u.0 == user) => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(%group, error = %e, "cannot read an on-call user group");
                unverifiable = Some(format!("user group {group}: {e}"));
            }
        }
    }
    Err(unverifiable.map_or(Refusal::NotOnCall, Refusal::Unverifiable))
}

/// Whether `user` is in `listed`: directly, or as a member of a listed user group. `Err`
/// names a group that could not be read (when no other entry matched).
pub async fn member(app: &App, listed: &[String], user: &str) -> Result<bool, String> {
    if listed.iter().any(|who| who == user) {
        return Ok(true);
    }
    let mut unverifiable = None;
    for group in listed.iter().filter(|g| g.starts_with('S')) {
        let req = SlackApiUserGroupsUsersListRequest::new(SlackUserGroupId(group.clone()));
        match app.session().usergroups_users_list(&req).await {
            Ok(resp) if resp.users.iter().any(|u| u.0 == user) => return Ok(true),
            Ok(_) => {}
            Err(e) => unverifiable = Some(format!("user group {group}: {e}")),
        }
    }
    unverifiable.map_or(Ok(false), Err)
}

fn directly_listed(settings: &Settings, user: &str) -> bool {
    settings.emergency.oncall.iter().any(|who| who == user)
}
