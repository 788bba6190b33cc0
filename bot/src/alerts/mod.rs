//! Machine alert intake: turns an Alertmanager webhook or a generic JSON alert into
//! [`Alert`]s, or says precisely why it can't. Nothing is half-processed: a body yields all of
//! its alerts or an error.
//!
//! Generic format (one alert):
//! `{"service": str, "summary": str, "severity"?: "critical|high|medium|low" (medium),
//!   "status"?: "firing|resolved" (firing), "fingerprint"?: str, "labels"?: {str: str}}`

use chatops_contract::incident::{Alert, AlertStatus, Severity};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

pub mod server;

/// Largest body accepted, in bytes.
pub const MAX_BODY: usize = 256 * 1024;

/// Why a body was refused; the text is the 4xx response body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlertError {
    /// Over [`MAX_BODY`].
    TooLarge(usize),
    /// Not JSON at all.
    NotJson(String),
    /// JSON, but neither format.
    UnknownShape,
    /// A required field is missing or empty.
    Missing(String),
    /// A field has the wrong type or value.
    Invalid {
        /// Where, e.g. `alerts[2].labels`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// An Alertmanager webhook without alerts.
    NoAlerts,
}

impl fmt::Display for AlertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(n) => write!(f, "body is {n} bytes; the limit is {MAX_BODY}"),
            Self::NotJson(e) => write!(f, "body is not JSON: {e}"),
            Self::UnknownShape => f.write_str(
                "expected an Alertmanager webhook (an object with `alerts`) or a chatops alert (an object with `service` and `summary`)",
            ),
            Self::Missing(field) => write!(f, "`{field}` is missing or empty"),
            Self::Invalid { field, reason } => write!(f, "`{field}` {reason}"),
            Self::NoAlerts => f.write_str("the Alertmanager webhook has no alerts"),
        }
    }
}

impl std::error::Error for AlertError {}

/// Parses a request body into alerts.
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, AlertError> {
    if body.len() > MAX_BODY {
        return Err(AlertError::TooLarge(body.len()));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| AlertError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(AlertError::UnknownShape);
    };
    if obj.contains_key("alerts") {
        alertmanager(&obj)
    } else if obj.contains_key("service") || obj.contains_key("summary") {
        generic(&obj).map(|a| vec![a])
    } else {
        Err(AlertError::UnknownShape)
    }
}

fn alertmanager(obj: &Map<String, Value>) -> Result<Vec<Alert>, AlertError> {
    let Some(alerts) = obj.get("alerts").and_then(Value::as_array) else {
        return Err(invalid("alerts", "must be an array"));
    };
    if alerts.is_empty() {
        return Err(AlertError::NoAlerts);
    }
    let common = labels(obj.get("commonLabels"), "commonLabels")?;
    alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let at = |f: &str| format!("alerts[{i}].{f}");
            let Value::Object(a) = a else {
                return Err(invalid(&format!("alerts[{i}]"), "must be an object"));
            };
            let mut labels_ = common.clone();
            labels_.extend(labels(a.get("labels"), &at("labels"))?);
            let annotations = labels(a.get("annotations"), &at("annotations"))?;
            let pick = |keys: &[&str], from: &BTreeMap<String, String>| {
                keys.iter()
                    .find_map(|k| from.get(*k).filter(|v| !v.trim().is_empty()).cloned())
            };
            let service = pick(
                &["service", "job", "app", "namespace", "alertname"],
                &labels_,
            )
            .ok_or_else(|| AlertError::Missing(at("labels.service")))?;
            let summary = pick(&["summary", "description", "message"], &annotations)
                .or_else(|| pick(&["alertname"], &labels_))
                .ok_or_else(|| AlertError::Missing(at("annotations.summary")))?;
            let severity = labels_
                .get("severity")
                .and_then(|s| Severity::from_label(s))
                .unwrap_or_default();
            let status = match a.get("status").and_then(Value::as_str) {
                Some("resolved") => AlertStatus::Resolved,
                Some("firing") | None => AlertStatus::Firing,
                Some(other) => {
                    return Err(invalid(
                        &at("status"),
                        &format!("is `{other}`; expected `firing` or `resolved`"),
                    ));
                }
            };
            let fingerprint = match a
                .get("fingerprint")
                .and_then(Value::as_str)
                .filter(|f| !f.is_empty())
            {
                Some(f) => format!("am:{f}"),
                None => fingerprint(&service, &summary, &labels_),
            };
            Ok(Alert {
                fingerprint,
                service,
                summary,
                severity,
                status,
                labels: labels_,
                source: "alertmanager".into(),
            })
        })
        .collect()
}

fn generic(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let text = |field: &str| -> Result<String, AlertError> {
        match obj.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                Err(AlertError::Missing(field.to_owned()))
            }
            Some(_) => Err(invalid(field, "must be a string")),
        }
    };
    let service = text("service")?;
    let summary = text("summary")?;
    let severity = match obj.get("severity") {
        None | Some(Value::Null) => Severity::default(),
        Some(Value::String(s)) => Severity::from_label(s).ok_or_else(|| {
            invalid(
                "severity",
                &format!("is `{s}`; expected critical, high, medium or low"),
            )
        })?,
        Some(_) => return Err(invalid("severity", "must be a string")),
    };
    let status = match obj.get("status").and_then(Value::as_str) {
        None => AlertStatus::Firing,
        Some("firing") => AlertStatus::Firing,
        Some("resolved") => AlertStatus::Resolved,
        Some(other) => {
            return Err(invalid(
                "status",
                &format!("is `{other}`; expected `firing` or `resolved`"),
            ));
        }
    };
    let labels = labels(obj.get("labels"), "labels")?;
    let fingerprint = match obj.get("fingerprint") {
        None | Some(Value::Null) => fingerprint(&service, &summary, &labels),
        Some(Value::String(f)) if !f.trim().is_empty() => format!("ext:{}", f.trim()),
        Some(_) => return Err(invalid("fingerprint", "must be a non-empty string")),
    };
    Ok(Alert {
        fingerprint,
        service,
        summary,
        severity,
        status,
        labels,
        source: "generic".into(),
    })
}

fn labels(v: Option<&Value>, field: &str) -> Result<BTreeMap<String, String>, AlertError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(invalid(&format!("{field}.{k}"), "must be a string")),
            })
            .collect(),
        Some(_) => Err(invalid(field, "must be an object of strings")),
    }
}

fn invalid(field: &str, reason: &str) -> AlertError {
    AlertError::Invalid {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Same service and labels (or, without labels, the same summary) → same fingerprint.
fn fingerprint(service: &str, summary: &str, labels: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    h.update(service.as_bytes());
    h.update([0]);
    if labels.is_empty() {
        h.update(summary.trim().to_lowercase().as_bytes());
    }
    for (k, v) in labels {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    format!(
        "fp:{}",
        digest
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).expect("serializes")
    }

    fn alertmanager_webhook() -> Value {
        json!({
            "version": "4", "status": "firing", "receiver": "chatops", "groupKey": "{}:{alertname=\"HighErrorRate\"}",
            "commonLabels": {"cluster": "prod-eu"},
            "alerts": [
                {"status": "firing", "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
                 "annotations": {"summary": "Error rate 12% on checkout"}, "fingerprint": "a1b2c3", "startsAt": "2026-11-21T10:00:00Z"},
                {"status": "resolved", "labels": {"alertname": "DiskFull", "job": "db-primary", "severity": "warning"},
                 "annotations": {}}
            ]
        })
    }

    #[test]
    fn alertmanager_webhooks_become_alerts() {
        let alerts = parse(&body(alertmanager_webhook())).expect("parses");
        assert_eq!(alerts.len(), 2);
        let (a, b) = (&alerts[0], &alerts[1]);
        assert_eq!(
            (a.service.as_str(), a.summary.as_str(), a.severity, a.status),
            (
                "checkout",
                "Error rate 12% on checkout",
                Severity::Critical,
                AlertStatus::Firing
            )
        );
        assert_eq!(a.fingerprint, "am:a1b2c3");
        assert_eq!(
            a.labels.get("cluster").map(String::as_str),
            Some("prod-eu"),
            "common labels are kept"
        );
        assert_eq!(
            (b.service.as_str(), b.summary.as_str(), b.severity, b.status),
            (
                "db-primary",
                "DiskFull",
                Severity::Medium,
                AlertStatus::Resolved
            )
        );
        assert!(b.fingerprint.starts_with("fp:"));
    }

    #[test]
    fn generic_alerts_use_documented_defaults() {
        let a = parse(&body(
            json!({"service": "search", "summary": "p99 latency 4s"}),
        ))
        .expect("parses");
        assert_eq!(
            (a[0].severity, a[0].status, a[0].source.as_str()),
            (Severity::Medium, AlertStatus::Firing, "generic")
        );
        let b = parse(&body(
            json!({"service": "search", "summary": "P99 latency 4s ", "severity": "page"}),
        ))
        .expect("parses");
        assert_eq!(
            a[0].fingerprint, b[0].fingerprint,
            "a repeat has the same fingerprint"
        );
        assert_eq!(b[0].severity, Severity::Critical);
    }

    #[test]
    fn malformed_bodies_are_refused_with_the_reason() {
        let table: Vec<(Vec<u8>, &str)> = vec![
            (b"not json".to_vec(), "body is not JSON"),
            (body(json!([1, 2])), "expected an Alertmanager webhook"),
            (
                body(json!({"hello": "world"})),
                "expected an Alertmanager webhook",
            ),
            (
                body(json!({"alerts": []})),
                "the Alertmanager webhook has no alerts",
            ),
            (body(json!({"alerts": {}})), "`alerts` must be an array"),
            (
                body(json!({"alerts": [7]})),
                "`alerts[0]` must be an object",
            ),
            (
                body(json!({"alerts": [{"labels": {"severity": "critical"}}]})),
                "`alerts[0].labels.service` is missing or empty",
            ),
            (
                body(json!({"alerts": [{"labels": {"service": 5}}]})),
                "`alerts[0].labels.service` must be a string",
            ),
            (
                body(
                    json!({"alerts": [{"labels": {"service": "x"}, "annotations": {"summary": "s"}, "status": "pending"}]}),
                ),
                "`alerts[0].status` is `pending`",
            ),
            (
                body(json!({"service": "x"})),
                "`summary` is missing or empty",
            ),
            (
                body(json!({"service": " ", "summary": "y"})),
                "`service` is missing or empty",
            ),
            (
                body(json!({"service": "x", "summary": "y", "severity": "apocalyptic"})),
                "`severity` is `apocalyptic`; expected critical, high, medium or low",
            ),
            (
                body(json!({"service": "x", "summary": "y", "labels": ["a"]})),
                "`labels` must be an object of strings",
            ),
            (vec![b' '; MAX_BODY + 1], "the limit is 262144"),
        ];
        for (input, want) in table {
            let err = parse(&input).expect_err(want).to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_body_parses_or_is_refused_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Err(e) = parse(&bytes) {
                proptest::prop_assert!(!e.to_string().is_empty());
            }
        }

        #[test]
        fn fingerprints_ignore_label_order(labels in proptest::collection::btree_map("[a-z]{1,5}", "[a-z0-9]{0,5}", 0..6)) {
            let pairs: Vec<(String, String)> = labels.into_iter().collect();
            let forward: Map<String, Value> = pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            let backward: Map<String, Value> = pairs.iter().rev().map(|(k, v)| (k.clone(), json!(v))).collect();
            let a = parse(&body(json!({"service": "s", "summary": "x", "labels": forward}))).expect("parses");
            let b = parse(&body(json!({"service": "s", "summary": "x", "labels": backward}))).expect("parses");
            proptest::prop_assert_eq!(&a[0].fingerprint, &b[0].fingerprint);
        }
    }
}
