//! The chatops worker's public API.
//!
//! Every workflow type, signal, query and update name the worker answers to is spelled here and
//! nowhere else, together with the JSON payloads they carry. Payloads use Temporal's standard
//! `json/plain` encoding, so the `temporal` CLI or any other SDK can drive every workflow.

pub mod actions;
pub mod feature;
pub mod freeze;
pub mod ids;
pub mod incident;
pub mod lifecycle;

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
}

/// Signal names (fire-and-forget; durable even while no worker runs).
pub mod signals {
    /// Approve a pending gate. Payload [`crate::feature::Approve`].
    pub const APPROVE: &str = "approve";
    /// Reject a pending gate. Payload [`crate::feature::Reject`].
    pub const REJECT: &str = "reject";
    /// `ContinuousMonitoring`: one alert. Payload [`crate::incident::Alert`].
    pub const ALERT: &str = "alert";
    /// `ContinuousMonitoring`: an incident it opened has closed. Payload
    /// [`crate::incident::IncidentClosed`].
    pub const INCIDENT_CLOSED: &str = "incident_closed";
    /// `IncidentSwarm`: someone is on it. Payload [`crate::incident::Acknowledge`].
    pub const ACKNOWLEDGE: &str = "acknowledge";
    /// `IncidentSwarm`: hand command to someone. Payload [`crate::incident::AssignCommander`].
    pub const ASSIGN_COMMANDER: &str = "assign_commander";
    /// `IncidentSwarm`: pick a candidate diagnosis. Payload [`crate::incident::ChooseDiagnosis`].
    pub const CHOOSE_DIAGNOSIS: &str = "choose_diagnosis";
    /// `IncidentSwarm`: run the configured rollback. Payload [`crate::incident::Rollback`].
    pub const ROLLBACK: &str = "rollback";
    /// `IncidentSwarm`: close it and write the postmortem. Payload [`crate::incident::Resolve`].
    pub const RESOLVE: &str = "resolve";
    /// `EmergencyFreeze`: stop all delivery automation. Payload
    /// [`crate::freeze::FreezeRequest`].
    pub const ENGAGE: &str = "engage";
    /// `EmergencyFreeze`: let delivery automation go on. Payload
    /// [`crate::freeze::FreezeRequest`].
    pub const RELEASE: &str = "release";
    /// `Canary`: the last stage; the canary completes.
    pub const POKE: &str = "poke";
    /// `FeatureDelivery` (and the phase child running): hold at the next safe point. Payload
    /// [`crate::lifecycle::Control`].
    pub const PAUSE: &str = "pause";
    /// `FeatureDelivery` (and the phase child running): go on. Payload
    /// [`crate::lifecycle::Control`].
    pub const RESUME: &str = "resume";
    /// `FeatureDelivery`: pass a pending gate without approvals (admins only). Payload
    /// [`crate::lifecycle::SkipGate`].
    pub const SKIP_GATE: &str = "skip_gate";
    /// `FeatureDelivery`: change the priority. Payload [`crate::lifecycle::UpdatePriority`].
    pub const UPDATE_PRIORITY: &str = "update_priority";
    /// `FeatureDelivery`: hold the next phase transition until removed. Payload
    /// [`crate::lifecycle::Blocker`].
    pub const ADD_BLOCKER: &str = "add_blocker";
    /// `FeatureDelivery`: remove a blocker. Payload [`crate::lifecycle::Blocker`].
    pub const REMOVE_BLOCKER: &str = "remove_blocker";
    /// `FeatureDelivery`, intake gate open: analyse again with this clarification. Payload
    /// [`crate::lifecycle::Feedback`].
    pub const REQUEST_CLARIFICATION: &str = "request_clarification";
    /// `FeatureDelivery`, plan gate open: plan again with this note. Payload
    /// [`crate::lifecycle::Feedback`].
    pub const REQUEST_REVISIONS: &str = "request_revisions";
    /// `FeatureDelivery`, production gate open: collect readiness again. Payload
    /// [`crate::lifecycle::Feedback`].
    pub const REQUEST_MORE_EVIDENCE: &str = "request_more_evidence";
    /// `StagingDeployment` / `ProductionDeployment`: roll back now. Payload
    /// [`crate::lifecycle::TriggerRollback`].
    pub const TRIGGER_ROLLBACK: &str = "trigger_rollback";
    /// `StagingDeployment` / `ProductionDeployment`: watch longer. Payload
    /// [`crate::lifecycle::ExtendMonitoring`].
    pub const EXTEND_MONITORING: &str = "extend_monitoring";
    /// `CodeMigration`: hold before the next step. Payload [`crate::lifecycle::Control`].
    pub const PAUSE_MIGRATION: &str = "pause_migration";
    /// `CodeMigration`: go on. Payload [`crate::lifecycle::Control`].
    pub const RESUME_MIGRATION: &str = "resume_migration";
    /// `FeatureDelivery`: stop this one delivery (phase `cancelled`); a production deploy in
    /// progress is rolled back first. Payload [`crate::lifecycle::Control`] (`reason` required).
    pub const CANCEL: &str = "cancel";
    /// `FeatureDelivery`: halt now (sent by `EmergencyFreeze`; rolls production back if the
    /// delivery touched it). Payload [`crate::freeze::FreezeRequest`].
    pub const EMERGENCY_STOP: &str = "emergency_stop";
}

/// Update names: like the signals of the same name, but validated before they are accepted,
/// so the caller learns at once whether (and why not) the decision counts.
pub mod updates {
    /// Approve a pending gate. Payload [`crate::feature::Approve`]; result: what the gate now
    /// says, e.g. `approved` or `1 of 2 approvals`. Refused when the user is not an approver,
    /// approves their own request on a self-approval-banned gate, or already approved.
    pub const APPROVE: &str = "approve";
    /// Reject a pending gate. Payload [`crate::feature::Reject`]; refused when the user is not
    /// an approver or the gate is not pending.
    pub const REJECT: &str = "reject";
}

/// Query names.
pub mod queries {
    /// Current state of a feature (result [`crate::feature::FeatureStatus`]) or an incident
    /// (result [`crate::incident::IncidentStatus`]).
    pub const STATUS: &str = "status";
    /// `IncidentSwarm`: what each agent said and the candidates. Result
    /// [`crate::incident::Diagnoses`].
    pub const DIAGNOSES: &str = "diagnoses";
    /// `IncidentSwarm`: the verdict with its policy. Result [`crate::incident::ConsensusReport`].
    pub const CONSENSUS: &str = "consensus";
    /// `IncidentSwarm` and `FeatureDelivery`: the timeline. Result `[`[`crate::incident::IncidentEvent`]`]`.
    pub const TIMELINE: &str = "timeline";
    /// `ContinuousMonitoring`: counters and open incidents. Result
    /// [`crate::incident::MonitorStats`].
    pub const STATS: &str = "stats";
    /// `Canary`: the stage it is in (`waiting for signal` once the first three passed).
    pub const STAGE: &str = "stage";
    /// `EmergencyFreeze`: whether it is engaged. Result [`crate::freeze::FreezeStatus`].
    pub const FREEZE: &str = "freeze";
    /// `FeatureDelivery`: everything collected so far. Result [`crate::lifecycle::Evidence`].
    pub const EVIDENCE: &str = "evidence";
    /// `FeatureDelivery`: the child workflows. Result `[`[`crate::lifecycle::ChildInfo`]`]`.
    pub const CHILDREN: &str = "children";
    /// `FeatureDelivery`: pending and decided gates. Result
    /// [`crate::lifecycle::ApprovalGates`].
    pub const APPROVAL_GATES: &str = "approval_gates";
    /// `CodeMigration`: every step's state. Result [`crate::lifecycle::MigrationProgress`].
    pub const PROGRESS: &str = "progress";
    /// `ProductionReadiness`: the score so far. Result [`crate::lifecycle::Readiness`].
    pub const GET_READINESS_SCORE: &str = "get_readiness_score";
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
