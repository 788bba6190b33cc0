//! The chatops worker's public API.
//!
//! Every workflow type, signal, query and update name the worker answers to is spelled here and
//! nowhere else, together with the JSON payloads they carry. Payloads use Temporal's standard
//! `json/plain` encoding, so the `temporal` CLI or any other SDK can drive every workflow.

pub mod actions;
pub mod feature;
pub mod freeze;
pub mod gate;
pub mod ids;
pub mod incident;
pub mod lifecycle;
pub mod migration;
mod names;
pub mod quality;

/// Default task queue the worker polls and the bot starts workflows on.
pub const DEFAULT_TASK_QUEUE: &str = "chatops";
/// Default Temporal namespace.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Workflow type names.
pub mod workflows {
    /// The feature-delivery orchestrator. Input [`crate::feature::FeatureRequest`], result
    /// [`crate::feature::FeatureOutcome`].
    pub const FEATURE_DELIVERY: &str = "FeatureDelivery";
    /// One incident: triage, parallel diagnosis, consensus, mitigation, postmortem. Input
    /// [`crate::incident::IncidentInput`], result [`crate::incident::IncidentOutcome`].
    pub const INCIDENT_SWARM: &str = "IncidentSwarm";
    /// The long-running alert router (one run, id
    /// [`crate::incident::monitor_workflow_id`]): de-duplicates alerts by fingerprint and opens
    /// one `IncidentSwarm` per new incident. Input [`crate::incident::MonitorStats`] (carried
    /// across continue-as-new; start it with `{}`).
    pub const CONTINUOUS_MONITORING: &str = "ContinuousMonitoring";
    /// The emergency stop (one run, id [`crate::freeze::freeze_workflow_id`]): stops every
    /// running `FeatureDelivery` and holds new transitions until released, across restarts.
    /// Input [`crate::freeze::FreezeStatus`] (start it with `{}`).
    pub const EMERGENCY_FREEZE: &str = "EmergencyFreeze";
    /// The self-test `chatops-bot doctor` runs: an activity, a timer, a child workflow, then it
    /// waits for the [`crate::signals::POKE`] signal while answering [`crate::queries::STAGE`].
    /// Input `null`, result a summary string.
    pub const CANARY: &str = "Canary";
    /// The canary's child.
    pub const CANARY_CHILD: &str = "CanaryChild";
    /// Phase child (`<parent>/intake`): the agent's feasibility and ambiguity analysis.
    pub const REQUIREMENT_INTAKE: &str = "RequirementIntake";
    /// Phase child (`<parent>/planning`): the task breakdown and effort estimate.
    pub const TASK_PLANNING: &str = "TaskPlanning";
    /// Phase child (`<parent>/development`): the feature branch, one `TaskExecution` per task
    /// (dependencies first, at most 4 at once), the pull request, then `CodeReview`.
    pub const DEVELOPMENT: &str = "Development";
    /// Development's child (`<parent>/task-<id>`): one task's code change, committed.
    pub const TASK_EXECUTION: &str = "TaskExecution";
    /// Development's child (`<parent>/review`): the agent's review, posted on the pull request.
    pub const CODE_REVIEW: &str = "CodeReview";
    /// Phase child (`<parent>/testing`): runs `QualityGate` and records its verdict.
    pub const TESTING: &str = "Testing";
    /// Testing's child (`<parent>/quality`): the configured checks in parallel (at most 8),
    /// weighted score, merge verdict, commit statuses and a pull request comment.
    pub const QUALITY_GATE: &str = "QualityGate";
    /// Phase child (`<parent>/staging`): deploy, watch health, roll back when sick.
    pub const STAGING_DEPLOYMENT: &str = "StagingDeployment";
    /// Phase child (`<parent>/readiness`): the readiness score from the evidence.
    pub const PRODUCTION_READINESS: &str = "ProductionReadiness";
    /// Phase child (`<parent>/production`): merge (when enabled), deploy, watch, roll back.
    pub const PRODUCTION_DEPLOYMENT: &str = "ProductionDeployment";
    /// A code migration: analysis → ordered steps → incremental or batch execution → rollback
    /// on failure → report. Input [`crate::lifecycle::MigrationRequest`], result
    /// [`crate::lifecycle::MigrationProgress`].
    pub const CODE_MIGRATION: &str = "CodeMigration";
    /// One per watched repository (`quality-<owner>-<name>`): the checks on the default branch
    /// on a schedule and after every merge chatops makes; the score history. Input
    /// [`crate::quality::QualityWatch`], carried across continue-as-new.
    pub const CONTINUOUS_QUALITY: &str = "ContinuousQuality";
    /// One occurrence of a freeze calendar entry, started by its Temporal Schedule
    /// (`chatops-freeze-<name>`): engage the emergency stop (holding, not stopping), wait,
    /// release. Input [`crate::freeze::ScheduledFreeze`].
    pub const SCHEDULED_FREEZE: &str = "ScheduledFreeze";
}

pub use names::{MalformedPayload, Query, Signal, Update};

/// Signal names, each paired with the payload it carries (fire-and-forget; durable even while
/// no worker runs).
pub mod signals {
    use crate::feature::{Approve, Reject};
    use crate::freeze::{FreezeRequest, HeldDelivery};
    use crate::incident::{
        Acknowledge, Alert, AssignCommander, ChooseDiagnosis, IncidentClosed, Resolve, Rollback,
    };
    use crate::lifecycle::{
        Blocker, Control, ExtendMonitoring, Feedback, OverrideWindow, PassFreeze, SkipGate,
        TriggerRollback, UpdatePriority,
    };
    use crate::names::Signal;

    /// Approve a pending gate.
    pub const APPROVE: Signal<Approve> = Signal::new(name::APPROVE);
    /// Reject a pending gate.
    pub const REJECT: Signal<Reject> = Signal::new(name::REJECT);
    /// `ContinuousMonitoring` (and the `IncidentSwarm` it routes to): one alert.
    pub const ALERT: Signal<Alert> = Signal::new(name::ALERT);
    /// `ContinuousMonitoring`: an incident it opened has closed.
    pub const INCIDENT_CLOSED: Signal<IncidentClosed> = Signal::new(name::INCIDENT_CLOSED);
    /// `IncidentSwarm`: someone is on it.
    pub const ACKNOWLEDGE: Signal<Acknowledge> = Signal::new(name::ACKNOWLEDGE);
    /// `IncidentSwarm`: hand command to someone.
    pub const ASSIGN_COMMANDER: Signal<AssignCommander> = Signal::new(name::ASSIGN_COMMANDER);
    /// `IncidentSwarm`: pick a candidate diagnosis.
    pub const CHOOSE_DIAGNOSIS: Signal<ChooseDiagnosis> = Signal::new(name::CHOOSE_DIAGNOSIS);
    /// `IncidentSwarm`: run the configured rollback.
    pub const ROLLBACK: Signal<Rollback> = Signal::new(name::ROLLBACK);
    /// `IncidentSwarm`: close it and write the postmortem.
    pub const RESOLVE: Signal<Resolve> = Signal::new(name::RESOLVE);
    /// `EmergencyFreeze`: stop all delivery automation.
    pub const ENGAGE: Signal<FreezeRequest> = Signal::new(name::ENGAGE);
    /// `EmergencyFreeze`: let delivery automation go on.
    pub const RELEASE: Signal<FreezeRequest> = Signal::new(name::RELEASE);
    /// `FeatureDelivery`: the emergency stop was released (sent by `EmergencyFreeze`); a
    /// delivery held by it looks again at once.
    pub const FREEZE_RELEASED: Signal<FreezeRequest> = Signal::new(name::FREEZE_RELEASED);
    /// `EmergencyFreeze`: a delivery it holds asks to be woken on release (sent by the
    /// delivery); one that arrives after the release is woken at once.
    pub const HOLD: Signal<HeldDelivery> = Signal::new(name::HOLD);
    /// `Canary`: the last stage; the canary completes. Payload `null`.
    pub const POKE: Signal<()> = Signal::new(name::POKE);
    /// `FeatureDelivery` (and the phase child running): hold at the next safe point.
    pub const PAUSE: Signal<Control> = Signal::new(name::PAUSE);
    /// `FeatureDelivery` (and the phase child running): go on.
    pub const RESUME: Signal<Control> = Signal::new(name::RESUME);
    /// `FeatureDelivery`: pass a pending gate without approvals (admins only).
    pub const SKIP_GATE: Signal<SkipGate> = Signal::new(name::SKIP_GATE);
    /// `FeatureDelivery`: deploy outside the deploy windows from now on (admins only).
    pub const OVERRIDE_WINDOW: Signal<OverrideWindow> = Signal::new(name::OVERRIDE_WINDOW);
    /// `FeatureDelivery`, a hotfix: go on while a freeze holds deliveries (on call only).
    pub const PASS_FREEZE: Signal<PassFreeze> = Signal::new(name::PASS_FREEZE);
    /// `FeatureDelivery`: change the priority.
    pub const UPDATE_PRIORITY: Signal<UpdatePriority> = Signal::new(name::UPDATE_PRIORITY);
    /// `FeatureDelivery`: hold the next phase transition until removed.
    pub const ADD_BLOCKER: Signal<Blocker> = Signal::new(name::ADD_BLOCKER);
    /// `FeatureDelivery`: remove a blocker.
    pub const REMOVE_BLOCKER: Signal<Blocker> = Signal::new(name::REMOVE_BLOCKER);
    /// `FeatureDelivery`, intake gate open: analyse again with this clarification.
    pub const REQUEST_CLARIFICATION: Signal<Feedback> = Signal::new(name::REQUEST_CLARIFICATION);
    /// `FeatureDelivery`, plan gate open: plan again with this note.
    pub const REQUEST_REVISIONS: Signal<Feedback> = Signal::new(name::REQUEST_REVISIONS);
    /// `FeatureDelivery`, production gate open: collect readiness again.
    pub const REQUEST_MORE_EVIDENCE: Signal<Feedback> = Signal::new(name::REQUEST_MORE_EVIDENCE);
    /// `StagingDeployment` / `ProductionDeployment`: roll back now.
    pub const TRIGGER_ROLLBACK: Signal<TriggerRollback> = Signal::new(name::TRIGGER_ROLLBACK);
    /// `StagingDeployment` / `ProductionDeployment`: watch longer.
    pub const EXTEND_MONITORING: Signal<ExtendMonitoring> = Signal::new(name::EXTEND_MONITORING);
    /// `CodeMigration`: hold before the next step.
    pub const PAUSE_MIGRATION: Signal<Control> = Signal::new(name::PAUSE_MIGRATION);
    /// `CodeMigration`: go on.
    pub const RESUME_MIGRATION: Signal<Control> = Signal::new(name::RESUME_MIGRATION);
    /// `FeatureDelivery`: stop this one delivery (phase `cancelled`); a production deploy in
    /// progress is rolled back first (`reason` required).
    pub const CANCEL: Signal<Control> = Signal::new(name::CANCEL);
    /// `ContinuousQuality`: look at the default branch now (a merge chatops made, a worker
    /// start).
    pub const CHECK: Signal<crate::quality::QualityCheck> = Signal::new(name::CHECK);
    /// `FeatureDelivery`: halt now (sent by `EmergencyFreeze`; rolls production back if the
    /// delivery touched it).
    pub const EMERGENCY_STOP: Signal<FreezeRequest> = Signal::new(name::EMERGENCY_STOP);

    /// The bare names, for the SDK's attributes, which match on them:
    /// `#[signal(name = signals::name::X)]`.
    pub mod name {
        pub const APPROVE: &str = "approve";
        pub const REJECT: &str = "reject";
        pub const ALERT: &str = "alert";
        pub const INCIDENT_CLOSED: &str = "incident_closed";
        pub const ACKNOWLEDGE: &str = "acknowledge";
        pub const ASSIGN_COMMANDER: &str = "assign_commander";
        pub const CHOOSE_DIAGNOSIS: &str = "choose_diagnosis";
        pub const ROLLBACK: &str = "rollback";
        pub const RESOLVE: &str = "resolve";
        pub const ENGAGE: &str = "engage";
        pub const RELEASE: &str = "release";
        pub const FREEZE_RELEASED: &str = "freeze_released";
        pub const HOLD: &str = "hold";
        pub const POKE: &str = "poke";
        pub const PAUSE: &str = "pause";
        pub const RESUME: &str = "resume";
        pub const SKIP_GATE: &str = "skip_gate";
        pub const OVERRIDE_WINDOW: &str = "override_window";
        pub const PASS_FREEZE: &str = "pass_freeze";
        pub const UPDATE_PRIORITY: &str = "update_priority";
        pub const ADD_BLOCKER: &str = "add_blocker";
        pub const REMOVE_BLOCKER: &str = "remove_blocker";
        pub const REQUEST_CLARIFICATION: &str = "request_clarification";
        pub const REQUEST_REVISIONS: &str = "request_revisions";
        pub const REQUEST_MORE_EVIDENCE: &str = "request_more_evidence";
        pub const TRIGGER_ROLLBACK: &str = "trigger_rollback";
        pub const EXTEND_MONITORING: &str = "extend_monitoring";
        pub const PAUSE_MIGRATION: &str = "pause_migration";
        pub const RESUME_MIGRATION: &str = "resume_migration";
        pub const CANCEL: &str = "cancel";
        pub const EMERGENCY_STOP: &str = "emergency_stop";
        pub const CHECK: &str = "check";
    }
}

/// Update names: like the signals of the same name, but validated before they are accepted,
/// so the caller learns at once whether (and why not) the decision counts.
pub mod updates {
    use crate::feature::{Approve, Reject};
    use crate::names::Update;

    /// Approve a pending gate; the result says what the gate now says, e.g. `approved` or
    /// `1 of 2 approvals`. Refused when the user is not an approver, approves their own request
    /// on a self-approval-banned gate, or already approved.
    pub const APPROVE: Update<Approve, String> = Update::new(name::APPROVE);
    /// Reject a pending gate; refused when the user is not an approver or the gate is not
    /// pending.
    pub const REJECT: Update<Reject, String> = Update::new(name::REJECT);

    /// The bare names, for the SDK's attributes: `#[update(name = updates::name::X)]`. Each is
    /// the name of the signal that carries the same decision.
    pub mod name {
        pub use crate::signals::name::{APPROVE, REJECT};
    }
}

/// Query names, each paired with its result. Where one name is answered by several workflow
/// types with different results, each pairing has a constant of its own.
pub mod queries {
    use crate::feature::{FeatureStatus, TimelineEntry};
    use crate::freeze::FreezeStatus;
    use crate::incident::{
        ConsensusReport, Diagnoses, IncidentEvent, IncidentStatus, MonitorStats,
    };
    use crate::lifecycle::{
        ApprovalGates, ChildInfo, DeployReport, Evidence, MigrationProgress, Readiness,
    };
    use crate::names::Query;

    /// `FeatureDelivery`: where a feature stands.
    pub const STATUS: Query<FeatureStatus> = Query::new(name::STATUS);
    /// `IncidentSwarm`: where an incident stands (the same name as [`STATUS`]).
    pub const INCIDENT_STATUS: Query<IncidentStatus> = Query::new(name::STATUS);
    /// `StagingDeployment` / `ProductionDeployment`: the deploy report so far (the same name as
    /// [`STATUS`]).
    pub const DEPLOYMENT_STATUS: Query<DeployReport> = Query::new(name::STATUS);
    /// `IncidentSwarm`: what each agent said and the candidates.
    pub const DIAGNOSES: Query<Diagnoses> = Query::new(name::DIAGNOSES);
    /// `IncidentSwarm`: the verdict with its policy.
    pub const CONSENSUS: Query<ConsensusReport> = Query::new(name::CONSENSUS);
    /// `FeatureDelivery`: the timeline.
    pub const TIMELINE: Query<Vec<TimelineEntry>> = Query::new(name::TIMELINE);
    /// `IncidentSwarm`: the timeline (the same name as [`TIMELINE`]).
    pub const INCIDENT_TIMELINE: Query<Vec<IncidentEvent>> = Query::new(name::TIMELINE);
    /// `ContinuousMonitoring`: counters and open incidents.
    pub const STATS: Query<MonitorStats> = Query::new(name::STATS);
    /// `Canary`: the stage it is in (`waiting for signal` once the first three passed).
    pub const STAGE: Query<String> = Query::new(name::STAGE);
    /// `EmergencyFreeze`: whether it is engaged.
    pub const FREEZE: Query<FreezeStatus> = Query::new(name::FREEZE);
    /// `ContinuousQuality`: the score history of the default branch.
    pub const TREND: Query<crate::quality::QualityTrend> = Query::new(name::TREND);
    /// `FeatureDelivery`: everything collected so far.
    pub const EVIDENCE: Query<Evidence> = Query::new(name::EVIDENCE);
    /// `FeatureDelivery`: the child workflows.
    pub const CHILDREN: Query<Vec<ChildInfo>> = Query::new(name::CHILDREN);
    /// `FeatureDelivery`: pending and decided gates.
    pub const APPROVAL_GATES: Query<ApprovalGates> = Query::new(name::APPROVAL_GATES);
    /// `CodeMigration`: every step's state.
    pub const PROGRESS: Query<MigrationProgress> = Query::new(name::PROGRESS);
    /// `ProductionReadiness`: the score so far.
    pub const GET_READINESS_SCORE: Query<Readiness> = Query::new(name::GET_READINESS_SCORE);

    /// The bare names, for the SDK's attributes, which match on them:
    /// `#[query(name = queries::name::X)]`. One name may be answered by several workflow types.
    pub mod name {
        pub const STATUS: &str = "status";
        pub const TIMELINE: &str = "timeline";
        pub const DIAGNOSES: &str = "diagnoses";
        pub const CONSENSUS: &str = "consensus";
        pub const STATS: &str = "stats";
        pub const STAGE: &str = "stage";
        pub const FREEZE: &str = "freeze";
        pub const TREND: &str = "trend";
        pub const EVIDENCE: &str = "evidence";
        pub const CHILDREN: &str = "children";
        pub const APPROVAL_GATES: &str = "approval_gates";
        pub const PROGRESS: &str = "progress";
        pub const GET_READINESS_SCORE: &str = "get_readiness_score";
    }
}

/// Formats a duration the way config takes it: `24h`, `90s`, `1h 30m`, `500ms`.
pub fn human_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let mut secs = d.as_secs();
    // Days only from 48h on: "24h" reads better than "1d".
    let units: &[(&str, u64)] = if secs >= 2 * 86_400 {
        &[("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
    } else {
        &[("h", 3600), ("m", 60), ("s", 1)]
    };
    let mut parts = Vec::new();
    for (unit, size) in units {
        if secs >= *size {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::human_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_like_config_values() {
        let table = [
            (0, "0s"),
            (90, "1m 30s"),
            (3600 * 24, "24h"),
            (3600 * 48, "2d"),
            (3600 * 72 + 60, "3d 1m"),
            (5, "5s"),
        ];
        for (secs, want) in table {
            assert_eq!(human_duration(Duration::from_secs(secs)), want);
        }
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
    }
}
