//! The quality verdict: what the checks' results add up to, and whether to merge.

use chatops_contract::lifecycle::{CheckResult, QualityReport};

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

/// The least fall of the score that is reported.
pub const REPORTED_DROP: f64 = 1.0;

/// What got worse from `before` to `now` on a watched default branch, for the channel: required
/// checks that started failing, and a score that fell by [`REPORTED_DROP`] or more. `None` when
/// nothing did (a branch that stays broken is reported once, when it broke).
pub fn regression(
    before: &chatops_contract::quality::QualityPoint,
    now: &chatops_contract::quality::QualityPoint,
) -> Option<String> {
    let started: Vec<String> = now
        .failing
        .iter()
        .filter(|c| !before.failing.contains(c))
        .map(|c| format!("`{c}`"))
        .collect();
    let fell = before.score - now.score >= REPORTED_DROP;
    if started.is_empty() && !fell {
        return None;
    }
    let mut why = Vec::new();
    if fell {
        why.push(format!(
            "the score fell from {:.0} to {:.0}",
            before.score, now.score
        ));
    }
    match started.len() {
        0 => {}
        1 => why.push(format!("required check {} started failing", started[0])),
        _ => why.push(format!(
            "required checks {} started failing",
            started.join(", ")
        )),
    }
    Some(why.join("; "))
}

#[cfg(test)]
mod regression_tests {
    use super::*;
    use chatops_contract::quality::QualityPoint;

    fn point(sha: &str, score: f64, failing: &[&str]) -> QualityPoint {
        QualityPoint {
            at: "2026-12-03T10:00:00Z".into(),
            branch: "main".into(),
            sha: sha.into(),
            score,
            failing: failing.iter().map(|f| (*f).to_owned()).collect(),
            trigger: "schedule".into(),
        }
    }

    #[test]
    fn a_branch_that_breaks_is_reported_with_what_broke() {
        assert_eq!(
            regression(&point("a", 100.0, &[]), &point("b", 50.0, &["unit_tests"])),
            Some(
                "the score fell from 100 to 50; required check `unit_tests` started failing".into()
            )
        );
        assert_eq!(
            regression(
                &point("a", 90.0, &["lint"]),
                &point("b", 90.0, &["lint", "unit_tests", "audit"])
            ),
            Some("required checks `unit_tests`, `audit` started failing".into())
        );
    }

    #[test]
    fn a_branch_that_stays_broken_or_wobbles_is_not_reported_again() {
        assert_eq!(
            regression(
                &point("b", 50.0, &["unit_tests"]),
                &point("c", 50.0, &["unit_tests"])
            ),
            None
        );
        assert_eq!(
            regression(&point("a", 85.4, &[]), &point("b", 85.0, &[])),
            None
        );
        assert_eq!(
            regression(&point("a", 50.0, &["x"]), &point("b", 100.0, &[])),
            None
        );
    }
}
