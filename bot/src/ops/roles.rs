//! Who may act: on-call engineers (the emergency stop), admins (skipping a gate), a feature's
//! requester or an admin (cancelling it). People are matched through [`Context::member`].

use super::{Context, Refusal};

/// `user` may `doing` (e.g. `engage the emergency stop`) only when on call.
pub(crate) async fn on_call<C: Context>(
    cx: &C,
    user: &str,
    doing: &'static str,
) -> Result<(), Refusal> {
    let listed = &cx.settings().emergency.oncall;
    if listed.is_empty() {
        return Err(Refusal::NoOnCall { doing });
    }
    match cx.member(listed, user).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refusal::NotOnCall { doing }),
        Err(why) => {
            tracing::warn!(error = %why, "cannot read an on-call user group");
            Err(Refusal::OnCallUnverifiable { doing, why })
        }
    }
}

/// `user` may skip a gate only when an admin.
pub(crate) async fn admin<C: Context>(cx: &C, user: &str) -> Result<(), Refusal> {
    let admins = &cx.settings().feature.admins;
    if admins.is_empty() {
        return Err(Refusal::NoAdmins);
    }
    match cx.member(admins, user).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refusal::NotAdmin),
        Err(why) => Err(Refusal::AdminUnverifiable(why)),
    }
}

/// `user` may cancel feature `id`, asked for by `requester`, when they asked for it or are an
/// admin (an admin list that cannot be read counts as not an admin).
pub(crate) async fn requester_or_admin<C: Context>(
    cx: &C,
    user: &str,
    id: &str,
    requester: &str,
) -> Result<(), Refusal> {
    if requester == user
        || matches!(
            cx.member(&cx.settings().feature.admins, user).await,
            Ok(true)
        )
    {
        return Ok(());
    }
    Err(Refusal::NotRequesterOrAdmin {
        id: id.to_owned(),
        requester: requester.to_owned(),
    })
}
