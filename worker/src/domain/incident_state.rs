//! An incident's state and the rules of its signals, free of Temporal so they can be tested
//! directly. `IncidentSwarm` owns one [`Incident`] and turns its [`Pending`] work into Slack
//! messages and activities.

use chatops_contract::incident::{
    Acknowledge, Alert, AlertStatus, AssignCommander, ChooseDiagnosis, Consensus, ConsensusGroup,
    ConsensusPolicy, ConsensusReport, Diagnoses, Diagnosis, IncidentEvent, IncidentInput,
    IncidentState, IncidentStatus, Resolve, Rollback,
};
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

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
        };
        incident.event(at, opened, by);
        incident
    }

    /// Appends to the timeline.
    pub fn event(&mut self, at: &str, event: impl Into<String>, by: Option<String>) {
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
                self.event(at, format!("alert repeated: {}", alert.summary), None);
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

    /// The postmortem, in Markdown.
    pub fn postmortem(&self) -> String {
        let s = &self.status;
        let mut out = format!("# Postmortem: {} — {}\n\n", s.service, s.summary);
        out.push_str(&format!(
            "- Incident: `{}`\n- Severity: {:?}\n- Alerts received: {}\n- Commander: {}\n",
            s.id,
            s.severity,
            s.alerts,
            s.commander.as_deref().unwrap_or("none")
        ));
        if let Some(r) = &self.resolution {
            out.push_str(&format!(
                "- Resolved by: {}\n- Resolution: {}\n",
                r.user, r.summary
            ));
        }
        out.push_str("\n## Response times\n\n");
        for (what, at) in [
            ("acknowledge", &s.acknowledged_at),
            ("mitigate", &s.mitigated_at),
            ("resolve", &s.resolved_at),
        ] {
            let took = at
                .as_deref()
                .and_then(|at| between(&s.opened_at, at))
                .map_or_else(|| "—".to_owned(), chatops_contract::human_duration);
            out.push_str(&format!("- Time to {what}: {took}\n"));
        }
        out.push_str("\n## Diagnoses\n\n");
        if self.diagnoses.is_empty() {
            out.push_str("No agent returned a diagnosis.\n");
        }
        for d in &self.diagnoses {
            out.push_str(&format!(
                "- {} ({:.2}, {}): {}",
                d.agent, d.confidence, d.category, d.root_cause
            ));
            if let Some(fix) = &d.suggested_fix {
                out.push_str(&format!(" — suggested fix: {fix}"));
            }
            out.push('\n');
        }
        out.push_str("\n## Consensus\n\n");
        match (&self.report.verdict, &self.report.error) {
            (Some(v), _) => {
                out.push_str(&format!(
                    "Policy: similarity ≥ {:.2}, threshold {:.2}. Score = mean confidence × agreement share.\n\n",
                    self.report.policy.similarity, self.report.policy.threshold
                ));
                for (i, g) in v.groups.iter().enumerate() {
                    out.push_str(&format!(
                        "{}. {} ({}): {:.2} × {:.2} = {:.2} [{}]\n",
                        i + 1,
                        g.root_cause,
                        g.category,
                        g.mean_confidence,
                        g.agreement,
                        g.score,
                        g.agents.join(", ")
                    ));
                }
                out.push_str(&format!(
                    "\nConsensus confidence {:.2}: {}.\n",
                    v.confidence,
                    if v.auto_fix {
                        "at or above the threshold"
                    } else {
                        "below the threshold, so a human chose"
                    }
                ));
            }
            (None, Some(e)) => out.push_str(&format!("No verdict: {e}.\n")),
            (None, None) => out.push_str("Not reached.\n"),
        }
        if let Some(g) = self.standing() {
            out.push_str(&format!(
                "\nDiagnosis that stood: {} ({}).\n",
                g.root_cause, g.category
            ));
        }
        out.push_str("\n## Timeline\n\n");
        for e in &s.timeline {
            match &e.by {
                Some(by) => out.push_str(&format!("- {} {} ({by})\n", e.at, e.event)),
                None => out.push_str(&format!("- {} {}\n", e.at, e.event)),
            }
        }
        out
    }
}

/// Time from one RFC 3339 instant to another.
fn between(from: &str, to: &str) -> Option<Duration> {
    let from: SystemTime = humantime::parse_rfc3339(from).ok()?;
    let to: SystemTime = humantime::parse_rfc3339(to).ok()?;
    to.duration_since(from).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::incident::Severity;

    fn alert(status: AlertStatus) -> Alert {
        Alert {
            fingerprint: "fp1".into(),
            service: "checkout".into(),
            summary: "5xx above 5%".into(),
            severity: Severity::High,
            status,
            labels: Default::default(),
            source: "alertmanager".into(),
        }
    }

    fn incident() -> Incident {
        Incident::new(
            "incident-1",
            IncidentInput {
                alert: alert(AlertStatus::Firing),
                opened_by: None,
                monitor: None,
            },
            "2026-01-01T00:00:00Z",
        )
    }

    fn group(root: &str, score: f64) -> ConsensusGroup {
        ConsensusGroup {
            category: "database".into(),
            root_cause: root.into(),
            agents: vec!["agent-1".into()],
            mean_confidence: score,
            agreement: 1.0,
            score,
        }
    }

    fn with_candidates(i: &mut Incident) {
        let groups = vec![group("pool exhausted", 0.4), group("slow query", 0.3)];
        let verdict = Consensus {
            best: groups[0].clone(),
            runner_up: Some(groups[1].clone()),
            confidence: 0.4,
            auto_fix: false,
            groups,
        };
        i.decided(
            Vec::new(),
            ConsensusPolicy::default(),
            Ok(verdict),
            "2026-01-01T00:01:00Z",
        );
    }

    #[test]
    fn acknowledging_once_makes_a_commander_and_twice_changes_nothing() {
        let mut i = incident();
        let ack = |u: &str| Acknowledge { user: u.into() };
        assert_eq!(
            i.acknowledge(&ack("U1"), "2026-01-01T00:02:00Z"),
            Outcome::Applied
        );
        assert_eq!(i.status.commander.as_deref(), Some("U1"));
        let second = i.acknowledge(&ack("U2"), "2026-01-01T00:03:00Z");
        assert!(
            matches!(second, Outcome::Ignored(ref w) if w.contains("already acknowledged by U1"))
        );
        assert_eq!(i.status.acknowledged_by.as_deref(), Some("U1"));
        assert_eq!(i.pending.len(), 1, "one note for one acknowledgement");
    }

    #[test]
    fn a_choice_must_name_an_existing_candidate() {
        let mut i = incident();
        let choose = |index| ChooseDiagnosis {
            index,
            user: "U1".into(),
        };
        assert!(
            matches!(i.choose(&choose(0), "t"), Outcome::Ignored(ref w) if w.contains("no candidates"))
        );
        with_candidates(&mut i);
        assert!(
            matches!(i.choose(&choose(2), "t"), Outcome::Ignored(ref w) if w.contains("there are 2"))
        );
        assert_eq!(
            i.choose(&choose(1), "2026-01-01T00:05:00Z"),
            Outcome::Applied
        );
        assert_eq!(i.status.state, IncidentState::Mitigating);
        assert_eq!(
            i.standing().map(|g| g.root_cause.as_str()),
            Some("slow query")
        );
        assert!(
            matches!(i.choose(&choose(1), "t"), Outcome::Ignored(ref w) if w.contains("already chosen"))
        );
    }

    #[test]
    fn nothing_changes_a_resolved_incident() {
        let mut i = incident();
        with_candidates(&mut i);
        let r = Resolve {
            user: "U1".into(),
            summary: "restarted the pool".into(),
        };
        assert_eq!(i.resolve(&r, "2026-01-01T00:30:00Z"), Outcome::Applied);
        assert!(matches!(i.resolve(&r, "t"), Outcome::Ignored(_)));
        assert!(matches!(
            i.choose(
                &ChooseDiagnosis {
                    index: 0,
                    user: "U1".into()
                },
                "t"
            ),
            Outcome::Ignored(_)
        ));
        assert!(matches!(
            i.rollback(
                &Rollback {
                    user: "U1".into(),
                    reason: "x".into()
                },
                "t"
            ),
            Outcome::Ignored(_)
        ));
        assert!(matches!(
            i.alert(&alert(AlertStatus::Firing), "t"),
            Outcome::Ignored(_)
        ));
        assert_eq!(i.status.state, IncidentState::Resolved);
        assert!(i.pending.is_empty());
    }

    #[test]
    fn repeats_are_counted_and_a_resolved_alert_is_announced() {
        let mut i = incident();
        i.alert(&alert(AlertStatus::Firing), "t");
        assert_eq!(i.status.alerts, 2);
        assert!(i.pending.is_empty());
        i.alert(&alert(AlertStatus::Resolved), "t");
        assert_eq!(i.status.alerts, 3);
        assert!(
            matches!(i.pending.front(), Some(Pending::Note(_, t)) if t.contains("reports the alert resolved"))
        );
    }

    #[test]
    fn the_postmortem_shows_the_arithmetic_and_response_times() {
        let mut i = incident();
        i.acknowledge(&Acknowledge { user: "U1".into() }, "2026-01-01T00:02:00Z");
        with_candidates(&mut i);
        i.choose(
            &ChooseDiagnosis {
                index: 0,
                user: "U1".into(),
            },
            "2026-01-01T00:10:00Z",
        );
        i.resolve(
            &Resolve {
                user: "U1".into(),
                summary: "raised the pool size".into(),
            },
            "2026-01-01T01:00:00Z",
        );
        let pm = i.postmortem();
        for want in [
            "# Postmortem: checkout — 5xx above 5%",
            "- Time to acknowledge: 2m",
            "- Time to mitigate: 10m",
            "- Time to resolve: 1h",
            "1. pool exhausted (database): 0.40 × 1.00 = 0.40",
            "below the threshold, so a human chose",
            "Diagnosis that stood: pool exhausted",
            "- Resolution: raised the pool size",
        ] {
            assert!(pm.contains(want), "missing {want:?} in\n{pm}");
        }
    }
}
