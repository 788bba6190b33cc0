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
