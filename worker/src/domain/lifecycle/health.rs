//! The health judge: when a deployment's samples call for a rollback.

use chatops_contract::lifecycle::HealthSample;

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
