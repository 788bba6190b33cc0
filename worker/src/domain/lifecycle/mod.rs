//! The delivery lifecycle's rules, pure and tested without a server: names, plan checks and
//! scheduling, the quality verdict, the health judge and the readiness score.

mod evidence;
mod health;
mod plan;
mod quality;

pub use evidence::{describe_pull_request, readiness, release_notes};
pub use health::{Baseline, HealthRules, judge};
pub use plan::{ready_tasks, validate_plan, validate_steps};
pub use quality::{REPORTED_DROP, parse_check_output, quality_verdict, regression};

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

#[cfg(test)]
mod tests;
