//! `[feature]` and `[quality]`: the feature-delivery policy the worker reads once per run —
//! gate timeouts and escalations, the default repository, the quality bar, and the delivery
//! keys kept here from `[approvals]` (`admins`) and `[github]` (`auto_merge`, `reviewers`).

use super::{SettingsError, parse, quality, source::Source};
use chatops_contract::lifecycle::CheckSpec;
use std::{collections::BTreeMap, path::PathBuf, time::Duration};

/// `[feature]` and `[quality]`
#[derive(Debug, Clone)]
pub struct FeatureSettings {
    pub intake_timeout: Duration,
    pub phase_duration: Duration,
    pub intake_escalation: Duration,
    pub plan_escalation: Duration,
    pub plan_timeout: Duration,
    pub production_timeout: Duration,
    pub escalation: Option<String>,
    pub repository: Option<String>,
    pub checks: Vec<CheckSpec>,
    /// Per-repository overrides, as JSON objects keyed by `owner/name`.
    pub repositories: BTreeMap<String, serde_json::Value>,
    pub quality_threshold: f64,
    pub min_coverage: f64,
    pub workdir: PathBuf,
    /// `quality.watch`: repositories whose default branch `ContinuousQuality` watches.
    pub watch: Vec<String>,
    /// `quality.watch_interval`: between scheduled looks at a watched default branch.
    pub watch_interval: Duration,
    /// `migration.commands`: the commands migration steps may name, by name.
    pub migration_commands: BTreeMap<String, String>,
    pub admins: Vec<String>,
    pub auto_merge: bool,
    pub reviewers: Vec<String>,
}

impl FeatureSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            intake_timeout: src.get("feature.intake_timeout", parse::duration)?,
            phase_duration: src.get("feature.phase_duration", parse::duration)?,
            intake_escalation: src.get("feature.intake_escalation", parse::duration)?,
            plan_escalation: src.get("feature.plan_escalation", parse::duration)?,
            plan_timeout: src.get("feature.plan_timeout", parse::duration)?,
            production_timeout: src.get("feature.production_timeout", parse::duration)?,
            escalation: src.optional_text("feature.escalation")?,
            repository: src.optional("feature.repository", parse::repository)?,
            checks: src
                .optional("feature.checks", quality::checks)?
                .unwrap_or_default(),
            repositories: src
                .optional("feature.repositories", quality::repositories)?
                .unwrap_or_default(),
            quality_threshold: src.get("feature.quality_threshold", parse::percent)?,
            min_coverage: src.get("feature.min_coverage", parse::percent)?,
            workdir: src.get("quality.workdir", |v| Ok(PathBuf::from(v)))?,
            watch: src
                .optional("quality.watch", |v| {
                    parse::list(v)?
                        .iter()
                        .map(|r| parse::repository(r))
                        .collect()
                })?
                .unwrap_or_default(),
            watch_interval: src.get("quality.watch_interval", parse::duration)?,
            migration_commands: src
                .optional("migration.commands", quality::named_commands)?
                .unwrap_or_default(),
            admins: src
                .optional("approvals.admins", parse::principals)?
                .unwrap_or_default(),
            auto_merge: src.get("github.auto_merge", parse::flag)?,
            reviewers: src
                .optional("github.reviewers", parse::list)?
                .unwrap_or_default(),
        })
    }
}
