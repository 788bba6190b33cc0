//! A plan's checks and its schedule: which tasks may run now.

use super::MAX_TASKS;
use chatops_contract::lifecycle::{MigrationStep, Plan};
use std::collections::BTreeSet;

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
pub fn validate_steps(steps: &[MigrationStep]) -> Result<(), String> {
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
