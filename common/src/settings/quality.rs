//! The quality bar's JSON-valued keys: `feature.checks` (the checks a change must pass) and
//! `feature.repositories` (a repository's own checks and thresholds). `quality.workdir` is read
//! with the rest of [`FeatureSettings`](super::FeatureSettings).

use super::parse::{self, Parsed};
use chatops_contract::lifecycle::CheckSpec;
use std::collections::{BTreeMap, BTreeSet};

/// A JSON list of checks, each one checked.
pub(super) fn checks(raw: &str) -> Parsed<Vec<CheckSpec>> {
    let checks: Vec<CheckSpec> = serde_json::from_str(raw).map_err(|e| {
        format!(
            "is not a JSON list of checks like [{{\"name\": \"unit_tests\", \"command\": \"cargo test\"}}] ({e})"
        )
    })?;
    let mut seen = BTreeSet::new();
    for c in &checks {
        if c.name.trim().is_empty() || c.command.trim().is_empty() {
            return Err("every check needs a name and a command".to_owned());
        }
        if !seen.insert(c.name.clone()) {
            return Err(format!("check `{}` appears twice", c.name));
        }
        if !(c.weight >= 0.0 && c.weight.is_finite()) {
            return Err(format!("check `{}` has a negative weight", c.name));
        }
    }
    Ok(checks)
}

/// A JSON object of named commands, `{"copy-sessions": "scripts/copy-sessions"}`: names of
/// letters, digits, `-`, `_` and `.`, commands not blank.
pub(super) fn named_commands(raw: &str) -> Parsed<BTreeMap<String, String>> {
    let map: BTreeMap<String, String> = serde_json::from_str(raw).map_err(|e| {
        format!(
            "is not a JSON object of named commands like {{\"copy-sessions\": \"scripts/copy-sessions\"}} ({e})"
        )
    })?;
    for (name, command) in &map {
        let fine = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !fine {
            return Err(format!(
                "`{name}` is not a command name (letters, digits, `-`, `_` and `.` only)"
            ));
        }
        if command.trim().is_empty() {
            return Err(format!("command `{name}` is blank"));
        }
    }
    Ok(map)
}

/// `{"owner/name": {checks, threshold, min_coverage}}`, each entry checked and kept as JSON
/// (the worker reads it per repository).
pub(super) fn repositories(raw: &str) -> Parsed<BTreeMap<String, serde_json::Value>> {
    let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(raw)
        .map_err(|e| format!("is not a JSON object keyed by owner/name ({e})"))?;
    for (repo, v) in &map {
        parse::repository(repo)?;
        let Some(obj) = v.as_object() else {
            return Err(format!("`{repo}` must map to an object"));
        };
        for (k, inner) in obj {
            match k.as_str() {
                "checks" => {
                    checks(&inner.to_string())?;
                }
                "threshold" | "min_coverage" => {
                    if !inner.as_f64().is_some_and(|x| (0.0..=100.0).contains(&x)) {
                        return Err(format!("`{repo}`.{k} must be a number from 0 to 100"));
                    }
                }
                other => {
                    return Err(format!(
                        "`{repo}` has unknown key `{other}` (checks, threshold, min_coverage)"
                    ));
                }
            }
        }
    }
    Ok(map)
}
