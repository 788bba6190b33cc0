//! What a feature's evidence says: its readiness score, its pull request's description and its
//! release notes.

use super::req_id;
use chatops_contract::lifecycle::{Evidence, Readiness, TaskResult};
use std::collections::BTreeMap;

/// The readiness score, from what the earlier phases collected: each finding's points, out
/// of 100.
pub fn readiness(e: &Evidence) -> Readiness {
    let mut score = 0.0;
    let mut findings = Vec::new();
    let mut count = |ok: bool, points: f64, yes: String, no: String| {
        if ok {
            score += points;
            findings.push(format!("+{points}: {yes}"));
        } else {
            findings.push(format!("+0 of {points}: {no}"));
        }
    };
    let q = e.quality.as_ref();
    count(
        q.is_some_and(|q| q.can_merge),
        40.0,
        format!(
            "quality gate passed (score {})",
            q.map(|q| q.score).unwrap_or_default()
        ),
        "quality gate did not pass".to_owned(),
    );
    let st = e.staging.as_ref();
    count(
        st.is_some_and(|s| s.healthy && s.rolled_back.is_none()),
        30.0,
        format!(
            "staging healthy for {} checks",
            st.map(|s| s.samples.len()).unwrap_or_default()
        ),
        "staging was not validated".to_owned(),
    );
    count(
        e.review.as_ref().is_some_and(|r| r.approved),
        20.0,
        "code review approved".to_owned(),
        "no approving code review".to_owned(),
    );
    count(
        e.pull_request.is_some(),
        10.0,
        "changes are in a pull request".to_owned(),
        "no pull request".to_owned(),
    );
    Readiness { score, findings }
}

/// Task results by id, for the pull request description.
pub fn describe_pull_request(workflow_id: &str, request: &str, e: &Evidence) -> String {
    let mut out = format!(
        "{}: {}\n\nDelivered by chatops (`{workflow_id}`).\n",
        req_id(workflow_id),
        request
    );
    if let Some(n) = e.issue {
        out.push_str(&format!("\nTracking issue: #{n}\n"));
    }
    if let Some(a) = &e.analysis {
        out.push_str(&format!("\n## Analysis\n{}\n", a.summary));
    }
    let by_id: BTreeMap<&str, &TaskResult> = e.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    if let Some(plan) = &e.plan {
        out.push_str("\n## Tasks\n");
        for t in &plan.tasks {
            let files = by_id
                .get(t.id.as_str())
                .map(|r| r.files.join(", "))
                .unwrap_or_default();
            out.push_str(&format!("- [{}] {} ({files})\n", t.id, t.title));
        }
        if plan.estimate_hours > 0.0 {
            out.push_str(&format!("\nEstimate: {} h\n", plan.estimate_hours));
        }
    }
    out
}

/// Release notes for a delivered feature, from its evidence (Markdown).
pub fn release_notes(workflow_id: &str, request: &str, e: &Evidence) -> String {
    let mut out = format!("## {}: {request}\n\n", req_id(workflow_id));
    if let Some(plan) = &e.plan {
        for t in &plan.tasks {
            out.push_str(&format!("- {} ({})\n", t.title, t.id));
        }
    }
    if let Some(pr) = &e.pull_request {
        out.push_str(&format!(
            "\nPull request #{}{}.",
            pr.number,
            if pr.merged { ", squash-merged" } else { "" }
        ));
    }
    if let Some(q) = &e.quality {
        out.push_str(&format!(" Quality score {} of 100.", q.score));
    }
    if let Some(p) = &e.production {
        out.push_str(&format!(
            " Deployed to production as `{}`, healthy for {} checks.",
            p.sha.get(..12).unwrap_or(&p.sha),
            p.samples.len()
        ));
    }
    out.push('\n');
    out
}
