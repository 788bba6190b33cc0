//! `EmergencyFreeze`: the big red button, and it stays pressed.
//!
//! One run per task queue, started by the first `engage`. Engaging signals `emergency_stop` to
//! every running `FeatureDelivery` and reports each in the delivery channel; while engaged,
//! deliveries check the freeze before every phase transition and hold. The state lives in
//! workflow history, so it survives worker and server restarts until someone releases it.

use chatops_blocks::feature::thread_note;
use chatops_contract::freeze::{FreezeEvent, FreezeRequest, FreezeStatus};
use chatops_contract::{Signal, queries, signals, workflows};
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ContinueAsNewOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use crate::activities::freeze::FreezeActivities;
use crate::activities::policy::{FeaturePolicy, PolicyActivities};
use crate::activities::slack::{PostMessage, SlackActivities};
use crate::workflows::clock::{self, Started, now};
use crate::workflows::options;
use crate::workflows::signals::decode;

/// Entries of history kept across a continue-as-new.
const KEEP_HISTORY: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Engage,
    Release,
}

impl Ask {
    fn signal(self) -> Signal<FreezeRequest> {
        match self {
            Ask::Engage => signals::ENGAGE,
            Ask::Release => signals::RELEASE,
        }
    }
}

/// Someone not on call is refused before the stop's state is looked at, so every such attempt
/// is refused and audited (runs recorded before looked at the state first).
const REFUSE_FIRST: &str = "freeze-refuse-first";

/// The emergency stop.
#[workflow]
pub struct EmergencyFreeze {
    status: FreezeStatus,
    asks: VecDeque<(Ask, FreezeRequest)>,
    /// Deliveries that asked to be woken on release, not yet looked at.
    holds: VecDeque<String>,
    now: SystemTime,
}

#[workflow_methods]
impl EmergencyFreeze {
    #[init]
    pub fn new(ctx: &WorkflowContextView, carried: FreezeStatus) -> Self {
        Self {
            status: carried,
            asks: VecDeque::new(),
            holds: VecDeque::new(),
            now: ctx.start_time().unwrap_or(SystemTime::UNIX_EPOCH),
        }
    }

    #[run(name = workflows::EMERGENCY_FREEZE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<FreezeStatus> {
        let policy: FeaturePolicy = ctx
            .execute_activity(PolicyActivities::feature, (), options::slack())
            .await?;
        loop {
            ctx.wait_condition(|s: &Self| !s.asks.is_empty() || !s.holds.is_empty())
                .await?;
            while let Some((ask, req)) = ctx.state_mut(|s| s.asks.pop_front()) {
                match ask {
                    Ask::Engage => Self::engage(ctx, &policy, req).await,
                    Ask::Release => Self::release(ctx, &policy, req).await,
                }
            }
            Self::take_holds(ctx).await;
            if ctx.continue_as_new_suggested() && ctx.state(|s| s.asks.is_empty()) {
                let mut carried = ctx.state(|s| s.status.clone());
                let drop = carried.history.len().saturating_sub(KEEP_HISTORY);
                carried.history.drain(..drop);
                ctx.continue_as_new(carried, ContinueAsNewOptions::default())?;
            }
        }
    }

    #[signal(name = signals::name::ENGAGE)]
    pub fn engage_signal(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.ask(ctx, Ask::Engage, payload);
    }

    #[signal(name = signals::name::RELEASE)]
    pub fn release_signal(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        payload: serde_json::Value,
    ) {
        self.ask(ctx, Ask::Release, payload);
    }

    /// A held delivery asks to be woken on release.
    #[signal(name = signals::name::HOLD)]
    pub fn hold_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        let history = &mut self.status.history;
        if let Some(held) = decode(signals::HOLD, payload, |e| {
            history.push(FreezeEvent {
                at,
                event: format!("ignored {e}"),
                user: String::new(),
                reason: String::new(),
            })
        }) {
            self.holds.push_back(held.id);
        }
    }

    #[query(name = queries::name::FREEZE)]
    pub fn freeze(&self, _ctx: &WorkflowContextView) -> FreezeStatus {
        self.status.clone()
    }
}

impl Started for EmergencyFreeze {
    fn started(&self) -> SystemTime {
        self.now
    }
}

impl EmergencyFreeze {
    /// Queues the ask; a malformed payload is recorded in the history instead.
    fn ask(&mut self, ctx: &SyncWorkflowContext<Self>, ask: Ask, payload: serde_json::Value) {
        let at = clock::at(self, ctx);
        let history = &mut self.status.history;
        let Some(req) = decode(ask.signal(), payload, |e| {
            history.push(FreezeEvent {
                at,
                event: format!("ignored {e}"),
                user: String::new(),
                reason: String::new(),
            })
        }) else {
            return;
        };
        self.asks.push_back((ask, req));
    }

    async fn engage(ctx: &WorkflowContext<Self>, policy: &FeaturePolicy, req: FreezeRequest) {
        let at = now(ctx);
        if ctx.patched(REFUSE_FIRST) && Self::refused(ctx, policy, "engage", &req, &at) {
            return;
        }
        let already = ctx.state(|s| s.status.clone());
        // The red button pressed while a scheduled freeze holds takes the engagement over: it
        // stops what runs, and the freeze's end no longer releases it.
        let takes_over = already.scheduled.is_some() && req.scheduled.is_none();
        if already.engaged && !takes_over {
            ctx.state_mut(|s| {
                s.status
                    .history
                    .push(event(&at, "engage ignored: already engaged", &req))
            });
            let who = match &req.scheduled {
                Some(h) => format!(
                    "The scheduled freeze `{}` began, but the emergency stop",
                    h.name
                ),
                None => format!("<@{}> pressed the emergency stop again; it", req.user),
            };
            let text = format!(
                "{who} has been engaged since {} (by <@{}>: {}). Nothing more to do.",
                already.since.unwrap_or_default(),
                already.engaged_by.unwrap_or_default(),
                chatops_blocks::escape(&already.reason.unwrap_or_default())
            );
            post(ctx, &policy.channel, ":information_source:", &text).await;
            return;
        }
        if Self::refused(ctx, policy, "engage", &req, &at) {
            return;
        }
        if takes_over {
            ctx.state_mut(|s| {
                s.status
                    .history
                    .push(event(&at, "took over from the scheduled freeze", &req))
            });
        }
        ctx.state_mut(|s| {
            s.status.engaged = true;
            s.status.engaged_by = Some(req.user.clone());
            s.status.reason = Some(req.reason.clone());
            s.status.since = Some(at.clone());
            s.status.stopped.clear();
            s.status.scheduled = req.scheduled.clone();
            s.status.history.push(event(&at, "engaged", &req));
        });
        // A scheduled freeze holds deliveries before their next phase; it stops nothing.
        if let Some(hold) = &req.scheduled {
            let text = format!(
                "*Scheduled freeze `{}` engaged* (scheduled by <@{}>: {}). Deliveries hold before their next phase until {}; running phases finish.",
                hold.name,
                req.user,
                chatops_blocks::escape(&req.reason),
                hold.until
            );
            post(ctx, &policy.channel, ":calendar:", &text).await;
            return;
        }
        let engaged = format!(
            "*EMERGENCY STOP engaged* by <@{}>: {}. Stopping every running delivery.",
            req.user,
            chatops_blocks::escape(&req.reason)
        );
        // The stop acts first and tells Slack after: a Slack outage never holds it up.
        let act_first = ctx.patched("stop-acts-first");
        if !act_first {
            post(ctx, &policy.channel, ":rotating_light:", &engaged).await;
        }
        let report = match ctx
            .execute_activity(FreezeActivities::stop_deliveries, req, options::long())
            .await
        {
            Ok(stopped) => {
                let mut lines = vec![match stopped.len() {
                    0 => "No delivery was running.".to_owned(),
                    1 => "Stopped 1 delivery:".to_owned(),
                    n => format!("Stopped {n} deliveries:"),
                }];
                for d in &stopped {
                    let phase = d
                        .phase
                        .as_deref()
                        .map(|p| format!(" in {p}"))
                        .unwrap_or_default();
                    lines.push(format!("• `{}`{phase}: {}", d.id, d.result));
                }
                lines.push("Deliveries hold before their next phase until `/emergency-stop release <reason>`.".to_owned());
                ctx.state_mut(|s| s.status.stopped = stopped);
                lines.join("\n")
            }
            Err(e) => format!(
                "Could not reach every delivery ({e}). The freeze is engaged anyway: deliveries hold before their next phase."
            ),
        };
        if act_first {
            post(ctx, &policy.channel, ":rotating_light:", &engaged).await;
        }
        post(ctx, &policy.channel, ":octagonal_sign:", &report).await;
    }

    async fn release(ctx: &WorkflowContext<Self>, policy: &FeaturePolicy, req: FreezeRequest) {
        let at = now(ctx);
        if ctx.patched(REFUSE_FIRST) && Self::refused(ctx, policy, "release", &req, &at) {
            return;
        }
        if !ctx.state(|s| s.status.engaged) {
            ctx.state_mut(|s| {
                s.status
                    .history
                    .push(event(&at, "release ignored: not engaged", &req))
            });
            let text = format!(
                "<@{}> released the emergency stop, but it was not engaged. Nothing changed.",
                req.user
            );
            post(ctx, &policy.channel, ":information_source:", &text).await;
            return;
        }
        if Self::refused(ctx, policy, "release", &req, &at) {
            return;
        }
        // A scheduled freeze's end releases only its own engagement.
        if let Some(hold) = &req.scheduled
            && ctx.state(|s| s.status.scheduled.as_ref().map(|h| h.name.clone()))
                != Some(hold.name.clone())
        {
            let what = format!(
                "scheduled release of `{}` ignored: not its engagement",
                hold.name
            );
            ctx.state_mut(|s| s.status.history.push(event(&at, &what, &req)));
            let text = format!(
                "The scheduled freeze `{}` has ended; the emergency stop stays engaged, as someone else engaged it.",
                hold.name
            );
            post(ctx, &policy.channel, ":information_source:", &text).await;
            return;
        }
        let held = ctx.state_mut(|s| {
            s.status.scheduled = None;
            s.status.engaged = false;
            s.status.history.push(event(&at, "released", &req));
            std::mem::take(&mut s.status.held)
        });
        // The deliveries that asked are woken by name, whatever visibility lists below.
        if !held.is_empty() {
            Self::wake(ctx, held, req.clone()).await;
        }
        // Held deliveries are woken before Slack is told, so they never wait for it.
        let wakes = ctx.patched("release-wakes-deliveries");
        let mut when = format!(
            "within {}",
            chatops_contract::human_duration(Duration::from_millis(policy.freeze_recheck_ms))
        );
        if wakes {
            match ctx
                .execute_activity(
                    FreezeActivities::wake_deliveries,
                    req.clone(),
                    options::long(),
                )
                .await
            {
                Ok(_) => when = "now".to_owned(),
                Err(e) => {
                    tracing::warn!(error = %e, "could not wake held deliveries; they look again on their own")
                }
            }
        }
        let text = match &req.scheduled {
            Some(hold) => format!(
                "*Scheduled freeze `{}` ended.* Held deliveries go on {when}.",
                hold.name
            ),
            None => format!(
                "*Emergency stop released* by <@{}>: {}. Held deliveries go on {when}.",
                req.user,
                chatops_blocks::escape(&req.reason),
            ),
        };
        post(ctx, &policy.channel, ":large_green_circle:", &text).await;
    }
}

impl EmergencyFreeze {
    /// Looks at the deliveries that asked to be woken: kept while the stop is engaged, woken at
    /// once when it is not (their ask crossed the release).
    async fn take_holds(ctx: &WorkflowContext<Self>) {
        let late = ctx.state_mut(|s| {
            let asked: Vec<String> = s.holds.drain(..).collect();
            if !s.status.engaged {
                return asked;
            }
            for id in asked {
                if !s.status.held.contains(&id) {
                    s.status.held.push(id);
                }
            }
            Vec::new()
        });
        if !late.is_empty() {
            let already = FreezeRequest {
                user: String::new(),
                reason: "the emergency stop is not engaged".to_owned(),
                scheduled: None,
            };
            Self::wake(ctx, late, already).await;
        }
    }

    /// Wakes the deliveries `ids` (`freeze_released`), retrying until Temporal takes it.
    async fn wake(ctx: &WorkflowContext<Self>, ids: Vec<String>, release: FreezeRequest) {
        let wake = crate::activities::freeze::Wake { ids, release };
        if let Err(e) = ctx
            .execute_activity(FreezeActivities::wake, wake, options::long())
            .await
        {
            tracing::warn!(error = %e, "could not wake held deliveries");
        }
    }

    /// Whether `req`'s `doing` (engage or release) is refused: only people on call may, checked
    /// here again whatever path the signal came by. A refusal is kept in the history and
    /// audited. Allowed in runs recorded before the check (their policy names no on-call list).
    fn refused(
        ctx: &WorkflowContext<Self>,
        policy: &FeaturePolicy,
        doing: &str,
        req: &FreezeRequest,
        at: &str,
    ) -> bool {
        let Some(listed) = policy.oncall.as_ref() else {
            return false;
        };
        if listed.contains(&req.user) {
            return false;
        }
        let why = format!(
            "{doing} by {} refused: only people on call (CHATOPS__EMERGENCY__ONCALL) may",
            req.user
        );
        if !ctx.is_replaying() {
            tracing::warn!(target: "audit", %why, "emergency stop signal refused");
        }
        ctx.state_mut(|s| s.status.history.push(event(at, &why, req)));
        true
    }
}

fn event(at: &str, what: &str, req: &FreezeRequest) -> FreezeEvent {
    FreezeEvent {
        at: at.to_owned(),
        event: what.to_owned(),
        user: req.user.clone(),
        reason: req.reason.clone(),
    }
}

/// Posts in the delivery channel; a refusal is logged, never fatal: the freeze holds anyway.
async fn post(ctx: &WorkflowContext<EmergencyFreeze>, channel: &str, emoji: &str, text: &str) {
    let msg = PostMessage::of(channel, None, thread_note(emoji, text));
    if let Err(e) = ctx
        .execute_activity(SlackActivities::post_message, msg, options::slack())
        .await
    {
        tracing::error!(error = %e, "emergency stop could not post to Slack");
    }
}
