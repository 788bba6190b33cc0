//! An incident's state and the rules of its signals, free of Temporal so they can be tested
//! directly. `IncidentSwarm` owns one [`Incident`] and turns its [`Pending`] work into Slack
//! messages and activities. Its postmortem is written in `postmortem.rs`.

mod access;
mod carry;
mod postmortem;

pub use access::{Action, Roles};
pub use carry::{Carried, Stage};

use chatops_contract::incident::{
    Acknowledge, Alert, AlertStatus, AssignCommander, ChooseDiagnosis, Consensus, ConsensusGroup,
    ConsensusPolicy, ConsensusReport, Diagnoses, Diagnosis, IncidentEvent, IncidentInput,
    IncidentState, IncidentStatus, Resolve, Rollback,
};
use std::collections::VecDeque;

/// Work a signal left for the workflow to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// Post this in the incident's thread: `(emoji, text)`.
    Note(&'static str, String),
    /// Run the configured rollback.
    Rollback(Rollback),
}

/// What a signal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It changed the incident.
    Applied,
    /// It changed nothing; the reason is on the timeline.
    Ignored(String),
    /// Its person may not act on this incident; the refusal is on the timeline.
    Refused(String),
}

/// One incident.
#[derive(Debug, Clone)]
pub struct Incident {
    /// Input as started.
    pub input: IncidentInput,
    /// What `status` answers.
    pub status: IncidentStatus,
    /// Every agent's answer.
    pub diagnoses: Vec<Diagnosis>,
    /// The consensus verdict and its policy.
    pub report: ConsensusReport,
    /// Work left by signals, oldest first.
    pub pending: VecDeque<Pending>,
    /// How it was resolved.
    pub resolution: Option<Resolve>,
    /// Bumped on every change the card shows.
    pub card_version: u64,
    /// Who may act beside the commander.
    pub roles: Roles,
    /// Actions that arrived before the roles were read, in order.
    pub held: Vec<Action>,
    /// The rollback that succeeded: who asked and when. Later requests run nothing.
    pub rolled_back: Option<(String, String)>,
    /// Repeats of the alert since the last other event: one timeline entry counts them.
    pub repeats_in_a_row: u32,
}

impl Incident {
    /// A new incident opened by `input` at `at` (RFC 3339).
    pub fn new(id: &str, input: IncidentInput, at: &str) -> Self {
        let alert = &input.alert;
        let status = IncidentStatus {
            id: id.to_owned(),
            service: alert.service.clone(),
            summary: alert.summary.clone(),
            severity: alert.severity,
            state: IncidentState::Triage,
            commander: input.opened_by.clone(),
            acknowledged_by: None,
            alerts: 1,
            opened_at: at.to_owned(),
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: None,
            chosen: None,
            confidence: None,
            card: None,
            timeline: Vec::new(),
        };
        let opened = match &input.opened_by {
            Some(_) => "opened by hand".to_owned(),
            None => format!("opened by a {} alert", alert.source),
        };
        let by = input.opened_by.clone();
        let mut incident = Self {
            input,
            status,
            diagnoses: Vec::new(),
            report: ConsensusReport {
                policy: ConsensusPolicy::default(),
                verdict: None,
                error: None,
            },
            pending: VecDeque::new(),
            resolution: None,
            card_version: 0,
            roles: Roles::Unknown,
            held: Vec::new(),
            rolled_back: None,
            repeats_in_a_row: 0,
        };
        incident.event(at, opened, by);
        incident
    }

    /// Appends to the timeline.
    pub fn event(&mut self, at: &str, event: impl Into<String>, by: Option<String>) {
        self.repeats_in_a_row = 0;
        self.status.timeline.push(IncidentEvent {
            at: at.to_owned(),
            event: event.into(),
            by,
        });
    }

    /// Moves to `state` and marks the card stale.
    pub fn enter(&mut self, state: IncidentState, at: &str) {
        if self.status.state == state || self.is_resolved() {
            return;
        }
        self.status.state = state;
        if state == IncidentState::Mitigating && self.status.mitigated_at.is_none() {
            self.status.mitigated_at = Some(at.to_owned());
        }
        self.event(at, format!("now {}", state.label()), None);
        self.touch();
    }

    /// Marks the card stale.
    pub fn touch(&mut self) {
        self.card_version += 1;
    }

    /// Whether it is over.
    pub fn is_resolved(&self) -> bool {
        self.status.state == IncidentState::Resolved
    }

    /// Records the agents' answers and the verdict (or why there is none).
    pub fn decided(
        &mut self,
        diagnoses: Vec<Diagnosis>,
        policy: ConsensusPolicy,
        verdict: Result<Consensus, String>,
        at: &str,
    ) {
        self.diagnoses = diagnoses;
        self.report.policy = policy;
        match verdict {
            Ok(v) => {
                self.event(
                    at,
                    format!(
                        "consensus {:.2} on `{}` ({} of {} agents)",
                        v.confidence,
                        v.best.root_cause,
                        v.best.agents.len(),
                        self.diagnoses.len()
                    ),
                    None,
                );
                self.status.confidence = Some(v.confidence);
                self.report.verdict = Some(v);
            }
            Err(e) => {
                self.event(at, format!("no consensus: {e}"), None);
                self.report.error = Some(e);
            }
        }
        self.touch();
    }

    /// Candidate diagnoses, best first: `choose_diagnosis` indexes into these.
    pub fn candidates(&self) -> &[ConsensusGroup] {
        self.report
            .verdict
            .as_ref()
            .map(|v| v.groups.as_slice())
            .unwrap_or_default()
    }

    /// What `diagnoses` answers.
    pub fn diagnoses_view(&self) -> Diagnoses {
        Diagnoses {
            diagnoses: self.diagnoses.clone(),
            candidates: self.candidates().to_vec(),
        }
    }

    /// The diagnosis that stands: by choice, else by confident consensus.
    pub fn standing(&self) -> Option<&ConsensusGroup> {
        self.status.chosen.and_then(|i| self.candidates().get(i))
    }

    /// A repeat of the opening alert, or its resolution.
    pub fn alert(&mut self, alert: &Alert, at: &str) -> Outcome {
        if self.is_resolved() {
            return self.ignore(at, "alert after resolution ignored".into(), None);
        }
        self.status.alerts += 1;
        self.touch();
        match alert.status {
            AlertStatus::Firing => {
                // A storm of repeats is one timeline entry with a count, so neither the
                // timeline nor what a continued run carries grows with it.
                let n = self.repeats_in_a_row + 1;
                let text = if n == 1 {
                    format!("alert repeated: {}", alert.summary)
                } else {
                    format!("alert repeated {n} times: {}", alert.summary)
                };
                if n > 1
                    && let Some(last) = self.status.timeline.last_mut()
                {
                    last.at = at.to_owned();
                    last.event = text;
                } else {
                    self.event(at, text, None);
                }
                self.repeats_in_a_row = n;
            }
            AlertStatus::Resolved => {
                self.event(at, "the alert source reports it resolved", None);
                self.pending.push_back(Pending::Note(
                    ":large_green_circle:",
                    format!(
                        "{} reports the alert resolved. Resolve the incident when you agree.",
                        alert.source
                    ),
                ));
            }
        }
        Outcome::Applied
    }

    /// `acknowledge`.
    pub fn acknowledge(&mut self, a: &Acknowledge, at: &str) -> Outcome {
        if let Some(by) = &self.status.acknowledged_by {
            let why = format!(
                "acknowledge by {} ignored: already acknowledged by {by}",
                a.user
            );
            return self.ignore(at, why, Some(a.user.clone()));
        }
        self.status.acknowledged_by = Some(a.user.clone());
        self.status.acknowledged_at = Some(at.to_owned());
        let mut text = format!("Acknowledged by <@{}>.", a.user);
        if self.status.commander.is_none() {
            self.status.commander = Some(a.user.clone());
            text.push_str(&format!(" <@{}> is the incident commander.", a.user));
        }
        self.event(at, "acknowledged", Some(a.user.clone()));
        self.pending.push_back(Pending::Note(":eyes:", text));
        self.touch();
        Outcome::Applied
    }

    /// `assign_commander`.
    pub fn assign_commander(&mut self, a: &AssignCommander, at: &str) -> Outcome {
        if self.status.commander.as_deref() == Some(a.commander.as_str()) {
            let why = format!("{} is already the commander", a.commander);
            return self.ignore(at, why, Some(a.user.clone()));
        }
        self.status.commander = Some(a.commander.clone());
        self.event(
            at,
            format!("commander is now {}", a.commander),
            Some(a.user.clone()),
        );
        self.pending.push_back(Pending::Note(
            ":bust_in_silhouette:",
            format!(
                "<@{}> is now the incident commander (assigned by <@{}>).",
                a.commander, a.user
            ),
        ));
        self.touch();
        Outcome::Applied
    }

    /// `choose_diagnosis`.
    pub fn choose(&mut self, c: &ChooseDiagnosis, at: &str) -> Outcome {
        let by = Some(c.user.clone());
        if self.is_resolved() {
            return self.ignore(at, "choice after resolution ignored".into(), by);
        }
        let count = self.candidates().len();
        if count == 0 {
            return self.ignore(at, "choice ignored: no candidates yet".into(), by);
        }
        let Some(group) = self.candidates().get(c.index).cloned() else {
            let why = format!(
                "choice {} ignored: there are {count} candidates",
                c.index + 1
            );
            return self.ignore(at, why, by);
        };
        if self.status.chosen == Some(c.index) {
            let why = format!("choice {} ignored: already chosen", c.index + 1);
            return self.ignore(at, why, by);
        }
        self.status.chosen = Some(c.index);
        self.event(
            at,
            format!("diagnosis {} chosen: {}", c.index + 1, group.root_cause),
            by,
        );
        self.pending.push_back(Pending::Note(
            ":dart:",
            format!(
                "<@{}> chose diagnosis {}: *{}* ({}).",
                c.user,
                c.index + 1,
                chatops_blocks::escape(&group.root_cause),
                chatops_blocks::escape(&group.category)
            ),
        ));
        self.enter(IncidentState::Mitigating, at);
        Outcome::Applied
    }

    /// `rollback`.
    pub fn rollback(&mut self, r: &Rollback, at: &str) -> Outcome {
        if self.is_resolved() {
            return self.ignore(
                at,
                "rollback after resolution ignored".into(),
                Some(r.user.clone()),
            );
        }
        self.event(
            at,
            format!("rollback requested: {}", r.reason),
            Some(r.user.clone()),
        );
        self.pending.push_back(Pending::Rollback(r.clone()));
        Outcome::Applied
    }

    /// `resolve`.
    pub fn resolve(&mut self, r: &Resolve, at: &str) -> Outcome {
        if self.is_resolved() {
            return self.ignore(
                at,
                format!("resolve by {} ignored: already resolved", r.user),
                Some(r.user.clone()),
            );
        }
        self.resolution = Some(r.clone());
        self.status.resolved_at = Some(at.to_owned());
        self.status.state = IncidentState::Resolved;
        self.event(at, format!("resolved: {}", r.summary), Some(r.user.clone()));
        self.touch();
        Outcome::Applied
    }

    fn ignore(&mut self, at: &str, why: String, by: Option<String>) -> Outcome {
        self.event(at, why.clone(), by);
        Outcome::Ignored(why)
    }
}

#[cfg(test)]
mod tests;
