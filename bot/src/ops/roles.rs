//! Who may act: on-call engineers (the emergency stop), admins (skipping a gate), a feature's
//! requester or an admin (cancelling it). People are matched through [`Roster::member`].

use super::{Refusal, Roster};

/// `user` may `doing` (e.g. `engage the emergency stop`) only when on call.
pub(crate) async fn on_call<R: Roster>(
    cx: &R,
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

/// Whether `user` may act on any incident: a responder or on call. `Err` names a user group
/// that could not be read when no other entry matched.
pub(crate) async fn responder<R: Roster>(cx: &R, user: &str) -> Result<bool, String> {
    let s = cx.settings();
    let listed: Vec<String> = s
        .incident
        .responders
        .iter()
        .chain(&s.emergency.oncall)
        .cloned()
        .collect();
    if listed.is_empty() {
        return Ok(false);
    }
    cx.member(&listed, user).await
}

/// `user` may skip a gate, or deploy outside the deploy windows (`doing`), only when an admin.
pub(crate) async fn admin<R: Roster>(
    cx: &R,
    user: &str,
    doing: &'static str,
) -> Result<(), Refusal> {
    let admins = &cx.settings().feature.admins;
    if admins.is_empty() {
        return Err(Refusal::NoAdmins(doing));
    }
    match cx.member(admins, user).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refusal::NotAdmin(doing)),
        Err(why) => Err(Refusal::AdminUnverifiable(why)),
    }
}

/// `user` may cancel feature `id`, asked for by `requester`, when they asked for it or are an
/// admin (an admin list that cannot be read counts as not an admin).
pub(crate) async fn requester_or_admin<R: Roster>(
    cx: &R,
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

/// `user` may pause, resume, block, unblock or reprioritise feature `id`, asked for by
/// `requester`: its requester, someone who may decide one of its gates (anyone, for a gate that
/// names no approvers), or an admin. A user group that cannot be read counts as not a member.
pub(crate) async fn steerer<R: Roster>(
    cx: &R,
    user: &str,
    id: &str,
    requester: &str,
) -> Result<(), Refusal> {
    if requester == user || steers_any(cx, user).await {
        return Ok(());
    }
    Err(Refusal::NotSteerer {
        id: id.to_owned(),
        requester: requester.to_owned(),
    })
}

/// Whether `user` may steer any feature, whoever asked for it: an admin, or someone who may
/// decide one of the gates (so anyone, when a gate names no approvers).
pub(crate) async fn steers_any<R: Roster>(cx: &R, user: &str) -> bool {
    let s = cx.settings();
    let mut lists = vec![s.feature.admins.as_slice()];
    for gate in chatops_contract::feature::GateName::ALL {
        let approvers = s.approvals.approvers_for(gate.as_str());
        if approvers.is_empty() {
            return true;
        }
        lists.push(approvers);
    }
    for listed in lists {
        if !listed.is_empty() && matches!(cx.member(listed, user).await, Ok(true)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_common::Settings;

    const GROUP: &str = "S0ONCALL";
    const UNREADABLE: &str = "S0GONE";

    /// Settings from `vars`, and user group `S0ONCALL` holding `U0GROUPED`; `S0GONE` cannot be
    /// read.
    struct Fake(Settings);

    impl Roster for Fake {
        fn settings(&self) -> &Settings {
            &self.0
        }

        async fn member(&self, listed: &[String], user: &str) -> Result<bool, String> {
            let mut unreadable = None;
            for who in listed {
                match who.as_str() {
                    GROUP if user == "U0GROUPED" => return Ok(true),
                    UNREADABLE => unreadable = Some(format!("user group {who}: timed out")),
                    id if id == user => return Ok(true),
                    _ => {}
                }
            }
            unreadable.map_or(Ok(false), Err)
        }

        async fn sees(&self, _channel: &str, _user: &str) -> bool {
            true
        }
    }

    fn with(vars: &[(&str, &str)]) -> Fake {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Fake(Settings::from_env_map(vars).expect("test settings"))
    }

    const ONCALL: &str = "CHATOPS__EMERGENCY__ONCALL";
    const ADMINS: &str = "CHATOPS__APPROVALS__ADMINS";
    const DOING: &str = "engage the emergency stop";

    #[tokio::test]
    async fn only_people_on_call_may_use_the_stop() {
        let none = with(&[]);
        let listed = with(&[(ONCALL, "U0ALICE,S0ONCALL,S0GONE")]);
        let table = [
            (&none, "U0ALICE", Err(Refusal::NoOnCall { doing: DOING })),
            (&listed, "U0ALICE", Ok(())),
            (&listed, "U0GROUPED", Ok(())),
            (
                &listed,
                "U0BOB",
                Err(Refusal::OnCallUnverifiable {
                    doing: DOING,
                    why: "user group S0GONE: timed out".into(),
                }),
            ),
        ];
        for (roster, user, want) in table {
            assert_eq!(on_call(roster, user, DOING).await, want, "{user}");
        }
        let readable = with(&[(ONCALL, "U0ALICE")]);
        assert_eq!(
            on_call(&readable, "U0BOB", DOING).await,
            Err(Refusal::NotOnCall { doing: DOING })
        );
    }

    const SKIP: &str = "skip a gate";

    #[tokio::test]
    async fn only_admins_may_skip_a_gate() {
        let none = with(&[]);
        let admins = with(&[(ADMINS, "U0ADMIN")]);
        let gone = with(&[(ADMINS, "S0GONE")]);
        assert_eq!(
            admin(&none, "U0ADMIN", SKIP).await,
            Err(Refusal::NoAdmins(SKIP))
        );
        assert_eq!(admin(&admins, "U0ADMIN", SKIP).await, Ok(()));
        assert_eq!(
            admin(&admins, "U0BOB", SKIP).await,
            Err(Refusal::NotAdmin(SKIP))
        );
        assert_eq!(
            admin(&gone, "U0BOB", SKIP).await,
            Err(Refusal::AdminUnverifiable(
                "user group S0GONE: timed out".into()
            ))
        );
    }

    #[tokio::test]
    async fn the_requester_or_an_admin_may_cancel() {
        let roster = with(&[(ADMINS, "U0ADMIN,S0GONE")]);
        let refused = Err(Refusal::NotRequesterOrAdmin {
            id: "feature-x-1".into(),
            requester: "U0REQ".into(),
        });
        for (user, want) in [
            ("U0REQ", Ok(())),
            ("U0ADMIN", Ok(())),
            // An admin list that cannot be read does not make anyone an admin.
            ("U0BOB", refused),
        ] {
            let got = requester_or_admin(&roster, user, "feature-x-1", "U0REQ").await;
            assert_eq!(got, want, "{user}");
        }
    }

    #[tokio::test]
    async fn the_requester_approvers_and_admins_may_steer_a_feature() {
        let roster = with(&[
            (ADMINS, "U0ADMIN"),
            ("CHATOPS__APPROVALS__APPROVERS", "U0APPROVER,S0ONCALL"),
            (
                "CHATOPS__APPROVALS__GATES",
                r#"{"production": {"approvers": "U0RELEASE"}}"#,
            ),
        ]);
        for user in ["U0REQ", "U0ADMIN", "U0APPROVER", "U0GROUPED", "U0RELEASE"] {
            let got = steerer(&roster, user, "feature-x-1", "U0REQ").await;
            assert_eq!(got, Ok(()), "{user}");
        }
        assert_eq!(
            steerer(&roster, "U0BOB", "feature-x-1", "U0REQ").await,
            Err(Refusal::NotSteerer {
                id: "feature-x-1".into(),
                requester: "U0REQ".into(),
            })
        );
        // A gate without approvers may be decided by anyone, so anyone may steer.
        let open = with(&[(ADMINS, "U0ADMIN")]);
        assert_eq!(
            steerer(&open, "U0BOB", "feature-x-1", "U0REQ").await,
            Ok(())
        );
    }

    #[test]
    fn refusals_are_audited_in_their_own_words() {
        assert_eq!(
            Refusal::NotAdmin("skip a gate").audited(),
            "refused: Only admins (CHATOPS__APPROVALS__ADMINS) may skip a gate. Nothing was changed."
        );
        let finished = Refusal::Finished {
            id: "feature-x-1".into(),
            phase: "Complete".into(),
        };
        assert_eq!(finished.audited(), "refused: finished");
        assert_eq!(
            finished.to_string(),
            "`feature-x-1` has already finished (Complete). Nothing was changed."
        );
    }
}
