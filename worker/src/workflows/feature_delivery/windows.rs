//! Deploy windows: before a deploy phase the delivery asks whether its environment may be
//! deployed to now. Outside its windows it says so in the thread, with the opening, and waits
//! on a durable timer for it, for an admin's `override_window`, or for a stop.

use chatops_blocks::feature as blocks;
use chatops_contract::feature::{FeatureOutcome, Phase};
use chatops_contract::lifecycle::OverrideWindow;
use chatops_contract::signals;
use std::time::Duration;
use temporalio_sdk::WorkflowContext;

use super::FeatureDelivery;
use crate::activities::delivery::DeliveryActivities;
use crate::activities::policy::FeaturePolicy;
use crate::domain::feature_state::FeatureState;
use crate::workflows::clock::{self, rfc3339};
use crate::workflows::options;

/// Deploys wait for their environment's windows (runs recorded before deploy at once).
const DEPLOY_WINDOWS: &str = "deploy-windows";

/// How the wait for a deploy window ended.
enum Window {
    /// Open when asked: nothing was waited for.
    Open,
    /// It was closed and has opened (or was overridden) since: the holds are looked at again.
    Waited,
    /// Stopped, cancelled, or failed while waiting.
    Ended(FeatureOutcome),
}

impl FeatureDelivery {
    /// Before `phase`: a deploy starts inside its environment's windows; after waiting for
    /// one, the stop, the freeze and the holds are looked at again. `Some` when the delivery
    /// ended meanwhile.
    pub(super) async fn deploy_window(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        policy: &FeaturePolicy,
        phase: Phase,
    ) -> Option<FeatureOutcome> {
        if !matches!(phase, Phase::Staging | Phase::Production) || !ctx.patched(DEPLOY_WINDOWS) {
            return None;
        }
        match Self::await_window(ctx, id, link, phase).await {
            Window::Open => None,
            Window::Ended(outcome) => Some(outcome),
            Window::Waited => match Self::transition(ctx, id, link, policy, phase, true).await {
                Some(outcome) => Some(outcome),
                None => Self::hold(ctx, id, link, phase).await,
            },
        }
    }

    /// Waits until `phase`'s environment may be deployed to.
    async fn await_window(
        ctx: &WorkflowContext<Self>,
        id: &str,
        link: &str,
        phase: Phase,
    ) -> Window {
        let environment = match phase {
            Phase::Staging => "staging",
            Phase::Production => "production",
            _ => return Window::Open,
        };
        let mut waited = false;
        loop {
            let verdict = match ctx
                .execute_activity(
                    DeliveryActivities::deploy_window,
                    environment.to_owned(),
                    options::slack(),
                )
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    let why = format!("could not read the {environment} deploy windows: {e}");
                    return Window::Ended(Self::fail(ctx, id, link, phase, why).await);
                }
            };
            let overridden = ctx.state(|s| s.window_override.clone());
            if verdict.open || overridden.is_some() {
                let text = match overridden.filter(|_| !verdict.open) {
                    Some(o) => format!(
                        "Outside the {environment} deploy window, deploying now: overridden by <@{}> ({}).",
                        o.user,
                        chatops_blocks::escape(&o.reason)
                    ),
                    None if waited => format!(
                        "The {environment} deploy window is open: going on with *{}*.",
                        phase.label()
                    ),
                    None => return Window::Open,
                };
                Self::report(ctx, id, link, blocks::thread_note(":arrow_forward:", &text)).await;
                return if waited { Window::Waited } else { Window::Open };
            }
            if !waited {
                waited = true;
                let at = rfc3339(clock::time(ctx));
                ctx.state_mut(|s| {
                    s.state.event(
                        &at,
                        format!(
                            "waiting for the {environment} deploy window; it opens {}",
                            verdict.opens
                        ),
                        None,
                    )
                });
                let text = format!(
                    "Waiting for the {environment} deploy window (`{}`): it opens *{}*, and *{}* starts then. An admin can deploy now with `/feature override-window {id} &lt;reason&gt;`.",
                    chatops_blocks::escape(&verdict.windows),
                    verdict.opens,
                    phase.label()
                );
                Self::report(ctx, id, link, blocks::thread_note(":clock3:", &text)).await;
            }
            temporalio_sdk::workflows::select! {
                _ = ctx.timer(Duration::from_millis(verdict.wait_ms.max(1))) => {}
                _ = ctx.wait_condition(|s: &Self| s.stop.is_some()) => {}
                _ = ctx.wait_condition(|s: &Self| s.window_override.is_some()) => {}
            };
            if let Some(outcome) = Self::halt_if_stopped(ctx, id, link).await {
                return Window::Ended(outcome);
            }
        }
    }

    /// `override_window` arrived: an admin's, with a reason, lets the feature deploy outside
    /// its windows from now on; anyone else's is refused and audited.
    pub(super) fn override_checked(
        &mut self,
        payload: serde_json::Value,
        at: &str,
        replaying: bool,
    ) {
        let Some(o) = self.decode::<OverrideWindow>(signals::OVERRIDE_WINDOW, payload, at) else {
            return;
        };
        if !self.allowed(
            "override_window",
            &o.user,
            FeatureState::may_override_window,
            "admins",
            at,
            replaying,
        ) {
            return;
        }
        if o.reason.trim().is_empty() {
            self.state.event(
                at,
                "ignored override_window without a reason".to_owned(),
                Some(&o.user),
            );
            return;
        }
        self.state.event(
            at,
            format!("deploy windows overridden: {}", o.reason.trim()),
            Some(&o.user),
        );
        if !replaying {
            tracing::info!(target: "audit", user = %o.user, reason = %o.reason, "deploy windows overridden");
        }
        self.window_override = Some(o);
    }
}
