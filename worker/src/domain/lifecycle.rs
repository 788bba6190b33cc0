//! The delivery lifecycle's rules, pure and tested without a server: names, plan checks and
//! scheduling, the quality verdict, the health judge and the readiness score.

use chatops_contract::lifecycle::{
    CheckResult, Evidence, HealthSample, Plan, QualityReport, Readiness,
};
use std::collections::{BTreeMap, BTreeSet};

/// Most tasks a plan may have.
pub const MAX_TASKS: usize = 50;
/// `TaskExecution` children running at once.
pub const MAX_PARALLEL_TASKS: usize = 4;
/// Quality checks running at once.
pub const MAX_PARALLEL_CHECKS: usize = 8;

/// `REQ-<short id>`: the feature's requirement id, from its workflow id.
pub fn req_id(workflow_id: &str) -> String {
    let short = workflow_id.rsplit('-').next().unwrap_or(workflow_id);
    format!("REQ-{short}")
}

/// The feature branch: `feature/REQ-<id>-<kebab summary>`.
pub fn branch_name(workflow_id: &str, request: &str) -> String {
    let slug = chatops_contract::ids::slug(request);
    if slug.is_empty() {
        format!("feature/{}", req_id(workflow_id))
    } else {
        format!("feature/{}-{slug}", req_id(workflow_id))
    }
}

/// Checks a plan: at least one task, at most [`MAX_TASKS`], unique ids, known dependencies,
/// no cycle. The error names the first problem.
pub fn validate_plan(plan: &Plan) -> Result<(), String> {
    if plan.tasks.is_empty() {
        return Err("the plan has no tasks".to_owned());
    }
    if plan.tasks.len() > MAX_TASKS {
        return Err(format!(
            "the plan has {} tasks; at most {MAX_TASKS} are allowed",
            plan.tasks.len()
        ));
    }
    let mut ids = BTreeSet::new();
    for t in &plan.tasks {
        let id = t.id.trim();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "task id `{}` must be letters, digits, - or _",
                t.id
            ));
        }
        if !ids.insert(id) {
            return Err(format!("task id `{id}` appears twice"));
        }
        if t.title.trim().is_empty() {
            return Err(format!("task `{id}` has no title"));
        }
    }
    for t in &plan.tasks {
        for d in &t.depends_on {
            if !ids.contains(d.as_str()) {
                return Err(format!("task `{}` depends on unknown task `{d}`", t.id));
            }
        }
    }
    // Every task must become ready when the ones before it are done.
    let mut done = BTreeSet::new();
    while done.len() < plan.tasks.len() {
        let ready = ready_tasks(plan, &done, &BTreeSet::new(), usize::MAX);
        if ready.is_empty() {
            let stuck: Vec<&str> = plan
                .tasks
                .iter()
                .filter(|t| !done.contains(&t.id))
                .map(|t| t.id.as_str())
                .collect();
            return Err(format!(
                "tasks {} depend on each other in a cycle",
                stuck.join(", ")
            ));
        }
        done.extend(ready);
    }
    Ok(())
}

/// Checks migration steps: at least one, unique ids, a command each.
pub fn validate_steps(steps: &[chatops_contract::lifecycle::MigrationStep]) -> Result<(), String> {
    if steps.is_empty() {
        return Err("the migration has no steps".to_owned());
    }
    let mut ids = BTreeSet::new();
    for s in steps {
        if s.id.trim().is_empty() || !ids.insert(s.id.as_str()) {
            return Err(format!("step id `{}` is empty or appears twice", s.id));
        }
        if s.command.trim().is_empty() {
            return Err(format!("step `{}` has no command", s.id));
        }
    }
    Ok(())
}

/// Tasks that may start now: not done, not running, every dependency done; at most
/// `max - running` of them, in plan order.
pub fn ready_tasks(
    plan: &Plan,
    done: &BTreeSet<String>,
    running: &BTreeSet<String>,
    max: usize,
) -> Vec<String> {
    let room = max.saturating_sub(running.len());
    plan.tasks
        .iter()
        .filter(|t| !done.contains(&t.id) && !running.contains(&t.id))
        .filter(|t| t.depends_on.iter().all(|d| done.contains(d)))
        .take(room)
        .map(|t| t.id.clone())
        .collect()
}

/// Reads `score=NN` and `critical=N` from a check's output (last occurrence wins).
pub fn parse_check_output(output: &str) -> (Option<f64>, Option<u32>) {
    let mut score = None;
    let mut critical = None;
    for word in output.split_whitespace() {
        if let Some(v) = word.strip_prefix("score=") {
            score = v
                .trim_end_matches('%')
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=100.0).contains(x));
        } else if let Some(v) = word.strip_prefix("critical=") {
            critical = v.parse().ok();
        }
    }
    (score, critical)
}

/// The quality verdict: score = weighted average of the checks' scores; merging needs every
/// required check to pass, score ≥ `threshold`, coverage (the check named `coverage`) ≥
/// `min_coverage`, and no critical vulnerability reported by any check.
pub fn quality_verdict(
    checks: Vec<CheckResult>,
    threshold: f64,
    min_coverage: f64,
) -> QualityReport {
    let mut blocking = Vec::new();
    if checks.is_empty() {
        blocking.push("no quality checks are configured (CHATOPS__FEATURE__CHECKS)".to_owned());
    }
    let total_weight: f64 = checks.iter().map(|c| c.weight.max(0.0)).sum();
    let score = if total_weight > 0.0 {
        checks
            .iter()
            .map(|c| c.weight.max(0.0) * c.score)
            .sum::<f64>()
            / total_weight
    } else {
        0.0
    };
    let score = (score * 10.0).round() / 10.0;
    for c in checks.iter().filter(|c| c.required && !c.passed) {
        blocking.push(format!("required check {} failed", c.name));
    }
    if !checks.is_empty() && score < threshold {
        blocking.push(format!("score {score} is below the threshold {threshold}"));
    }
    if let Some(cov) = checks.iter().find(|c| c.name == "coverage")
        && cov.score < min_coverage
    {
        blocking.push(format!(
            "coverage {}% is below the minimum {min_coverage}%",
            cov.score
        ));
    }
    let critical: u32 = checks.iter().filter_map(|c| c.critical).sum();
    if critical > 0 {
        blocking.push(format!("{critical} critical vulnerabilities"));
    }
    QualityReport {
        checks,
        score,
        threshold,
        can_merge: blocking.is_empty(),
        blocking,
        head_sha: None,
    }
}

/// When a deployment is sick enough to roll back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthRules {
    /// Roll back after more than this many failed checks in a row.
    pub max_failures: u32,
    /// Roll back when the error rate exceeds this multiple of the baseline…
    pub error_rate_factor: f64,
    /// …or latency exceeds this multiple of the baseline…
    pub latency_factor: f64,
    /// …for this many samples in a row.
    pub sustain: u32,
}

/// The metrics seen before the deploy.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Baseline {
    /// Error rate, when reported.
    pub error_rate: Option<f64>,
    /// Latency in ms, when reported.
    pub latency_ms: Option<f64>,
}

/// Why the samples so far call for a rollback, if they do.
pub fn judge(samples: &[HealthSample], baseline: Baseline, rules: HealthRules) -> Option<String> {
    let failed_run = samples.iter().rev().take_while(|s| !s.healthy).count();
    if failed_run > rules.max_failures as usize {
        return Some(format!(
            "{failed_run} health checks failed in a row (more than {})",
            rules.max_failures
        ));
    }
    let sustain = rules.sustain.max(1) as usize;
    if samples.len() < sustain {
        return None;
    }
    let recent = &samples[samples.len() - sustain..];
    // A zero baseline still allows a small absolute floor, so one stray error is not 3× zero.
    if let Some(base) = baseline.error_rate {
        let limit = rules.error_rate_factor * base.max(0.001);
        if recent
            .iter()
            .all(|s| s.error_rate.is_some_and(|e| e > limit))
        {
            return Some(format!(
                "error rate above {}× the baseline ({base}) for {sustain} checks",
                rules.error_rate_factor
            ));
        }
    }
    if let Some(base) = baseline.latency_ms {
        let limit = rules.latency_factor * base.max(1.0);
        if recent
            .iter()
            .all(|s| s.latency_ms.is_some_and(|l| l > limit))
        {
            return Some(format!(
                "latency above {}× the baseline ({base} ms) for {sustain} checks",
                rules.latency_factor
            ));
        }
    }
    None
}

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
    let by_id: BTreeMap<&str, &chatops_contract::lifecycle::TaskResult> =
        e.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::lifecycle::PlannedTask;

    fn task(id: &str, deps: &[&str]) -> PlannedTask {
        PlannedTask {
            id: id.into(),
            title: format!("do {id}"),
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn plan(tasks: Vec<PlannedTask>) -> Plan {
        Plan {
            tasks,
            estimate_hours: 3.0,
            agent: "primary".into(),
        }
    }

    #[test]
    fn names_carry_the_requirement_id() {
        assert_eq!(req_id("feature-add-login-ab12cd"), "REQ-ab12cd");
        assert_eq!(
            branch_name("feature-add-login-ab12cd", "Add login (OAuth)"),
            "feature/REQ-ab12cd-add-login-oauth"
        );
    }

    #[test]
    fn plans_are_checked_and_problems_named() {
        assert_eq!(
            validate_plan(&plan(vec![task("T1", &[]), task("T2", &["T1"])])),
            Ok(())
        );
        let table = [
            (plan(vec![]), "no tasks"),
            (
                plan(vec![task("T1", &[]), task("T1", &[])]),
                "`T1` appears twice",
            ),
            (plan(vec![task("T1", &["T9"])]), "unknown task `T9`"),
            (
                plan(vec![
                    task("T1", &["T2"]),
                    task("T2", &["T1"]),
                    task("T3", &[]),
                ]),
                "T1, T2 depend on each other in a cycle",
            ),
            (plan(vec![task("a b", &[])]), "must be letters"),
        ];
        for (p, want) in table {
            let err = validate_plan(&p).expect_err(want);
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn scheduling_honours_dependencies_and_the_limit() {
        let p = plan(vec![
            task("A", &[]),
            task("B", &[]),
            task("C", &["A"]),
            task("D", &[]),
            task("E", &[]),
            task("F", &["A", "B"]),
        ]);
        let none = BTreeSet::new();
        assert_eq!(ready_tasks(&p, &none, &none, 4), ["A", "B", "D", "E"]);
        let running: BTreeSet<String> = ["B".to_owned()].into();
        let done: BTreeSet<String> = ["A".to_owned()].into();
        assert_eq!(ready_tasks(&p, &done, &running, 4), ["C", "D", "E"]);
        assert_eq!(ready_tasks(&p, &done, &running, 2), ["C"]);
    }

    fn check(name: &str, passed: bool, required: bool, weight: f64, score: f64) -> CheckResult {
        CheckResult {
            name: name.into(),
            passed,
            required,
            weight,
            score,
            critical: None,
            output: String::new(),
            fixed: false,
        }
    }

    #[test]
    fn quality_needs_required_checks_score_coverage_and_no_criticals() {
        let ok = quality_verdict(
            vec![
                check("unit_tests", true, true, 3.0, 100.0),
                check("coverage", true, true, 1.0, 84.0),
                check("lint", false, false, 1.0, 0.0),
            ],
            80.0,
            80.0,
        );
        // (300 + 84 + 0) / 5 = 76.8: below 80 although every required check passed.
        assert_eq!(ok.score, 76.8);
        assert!(!ok.can_merge);
        assert_eq!(ok.blocking, ["score 76.8 is below the threshold 80"]);

        let low_cov = quality_verdict(
            vec![
                check("unit_tests", true, true, 1.0, 100.0),
                check("coverage", true, true, 1.0, 70.0),
            ],
            80.0,
            80.0,
        );
        assert_eq!(low_cov.blocking, ["coverage 70% is below the minimum 80%"]);

        let mut scan = check("security_scan", true, false, 1.0, 100.0);
        scan.critical = Some(2);
        let vuln = quality_verdict(vec![scan], 85.0, 80.0);
        assert_eq!(vuln.blocking, ["2 critical vulnerabilities"]);

        let failed = quality_verdict(vec![check("unit_tests", false, true, 1.0, 0.0)], 0.0, 0.0);
        assert_eq!(failed.blocking, ["required check unit_tests failed"]);

        let good = quality_verdict(
            vec![check("unit_tests", true, true, 1.0, 100.0)],
            85.0,
            80.0,
        );
        assert!(good.can_merge);
        assert!(!quality_verdict(vec![], 85.0, 80.0).can_merge);
    }

    #[test]
    fn check_output_reports_score_and_criticals() {
        assert_eq!(
            parse_check_output("ran 10 tests\nscore=91.5%\ncritical=0\n"),
            (Some(91.5), Some(0))
        );
        assert_eq!(parse_check_output("score=150"), (None, None));
        assert_eq!(parse_check_output("nothing"), (None, None));
    }

    fn sample(healthy: bool, err: Option<f64>, lat: Option<f64>) -> HealthSample {
        HealthSample {
            at: "t".into(),
            healthy,
            error_rate: err,
            latency_ms: lat,
            detail: String::new(),
        }
    }

    const RULES: HealthRules = HealthRules {
        max_failures: 3,
        error_rate_factor: 3.0,
        latency_factor: 5.0,
        sustain: 2,
    };

    #[test]
    fn more_than_three_failures_in_a_row_roll_back() {
        let base = Baseline::default();
        let mut s = vec![sample(false, None, None); 3];
        assert_eq!(judge(&s, base, RULES), None, "3 is not more than 3");
        s.insert(0, sample(true, None, None));
        s.push(sample(false, None, None));
        assert_eq!(
            judge(&s, base, RULES).as_deref(),
            Some("4 health checks failed in a row (more than 3)")
        );
        let recovered = [
            sample(false, None, None),
            sample(false, None, None),
            sample(false, None, None),
            sample(true, None, None),
            sample(false, None, None),
        ];
        assert_eq!(judge(&recovered, base, RULES), None);
    }

    #[test]
    fn error_rate_and_latency_must_be_sustained() {
        let base = Baseline {
            error_rate: Some(0.01),
            latency_ms: Some(100.0),
        };
        let spike = [
            sample(true, Some(0.5), Some(90.0)),
            sample(true, Some(0.01), Some(90.0)),
        ];
        assert_eq!(judge(&spike, base, RULES), None);
        let errors = [
            sample(true, Some(0.05), None),
            sample(true, Some(0.04), None),
        ];
        assert!(judge(&errors, base, RULES).is_some_and(|r| r.starts_with("error rate above 3×")));
        let slow = [
            sample(true, None, Some(600.0)),
            sample(true, None, Some(501.0)),
        ];
        assert!(judge(&slow, base, RULES).is_some_and(|r| r.starts_with("latency above 5×")));
        let fine = [
            sample(true, Some(0.02), Some(400.0)),
            sample(true, Some(0.03), Some(450.0)),
        ];
        assert_eq!(judge(&fine, base, RULES), None);
    }

    #[test]
    fn readiness_counts_what_was_proven() {
        let empty = readiness(&Evidence::default());
        assert_eq!(empty.score, 0.0);
        assert_eq!(empty.findings.len(), 4);
        let e = Evidence {
            quality: Some(quality_verdict(
                vec![check("unit_tests", true, true, 1.0, 100.0)],
                85.0,
                80.0,
            )),
            ..Evidence::default()
        };
        let r = readiness(&e);
        assert_eq!(r.score, 40.0);
        assert!(r.findings[0].starts_with("+40: quality gate passed"));
    }
}
