//! The postmortem an incident's record adds up to.

use super::Incident;
use std::time::{Duration, SystemTime};

impl Incident {
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
