//! Deployments and their statuses, as GitHub keeps them: newest first, filtered by sha and
//! environment; a deployment's statuses newest first.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::Forge;
use super::api::{Answer, answer, invalid, not_found};

pub async fn list(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    answer(
        forge,
        "GET deployments".into(),
        &headers,
        (&o, &r),
        move |f| {
            let s = f.state();
            let per_page = q
                .get("per_page")
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(30);
            let found: Vec<Value> = s
                .deployments
                .iter()
                .rev()
                .filter(|d| q.get("sha").is_none_or(|sha| d["sha"] == sha.as_str()))
                .filter(|d| {
                    q.get("environment")
                        .is_none_or(|e| d["environment"] == e.as_str())
                })
                .take(per_page)
                .cloned()
                .collect();
            (StatusCode::OK, Json(Value::Array(found)))
        },
    )
    .await
}

pub async fn create(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    answer(
        forge,
        "POST deployments".into(),
        &headers,
        (&o, &r),
        move |f| {
            let Some(sha) = body["ref"].as_str().and_then(|r| f.git.commit(r)) else {
                return invalid("No ref found for: the deployment's ref");
            };
            let mut s = f.state();
            let id = s.deployments.len() as u64 + 1;
            let deployment = json!({
                "id": id,
                "sha": sha,
                "ref": body["ref"],
                "environment": body["environment"].as_str().unwrap_or("production"),
                "description": body["description"],
                "payload": body.get("payload").cloned().unwrap_or(json!({})),
            });
            s.deployments.push(deployment.clone());
            (StatusCode::CREATED, Json(deployment))
        },
    )
    .await
}

pub async fn statuses(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, u64)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    answer(
        forge,
        format!("GET deployment {id} statuses"),
        &headers,
        (&o, &r),
        move |f| {
            let s = f.state();
            if s.deployments.iter().all(|d| d["id"] != id) {
                return not_found();
            }
            let per_page = q
                .get("per_page")
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(30);
            let found: Vec<Value> = s
                .deployment_statuses
                .iter()
                .rev()
                .filter(|(d, _)| *d == id)
                .map(|(_, st)| st.clone())
                .take(per_page)
                .collect();
            (StatusCode::OK, Json(Value::Array(found)))
        },
    )
    .await
}

pub async fn add_status(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    answer(
        forge,
        format!("POST deployment {id} status"),
        &headers,
        (&o, &r),
        move |f| {
            let mut s = f.state();
            if s.deployments.iter().all(|d| d["id"] != id) {
                return not_found();
            }
            let state = body["state"].as_str().unwrap_or_default();
            if !matches!(
                state,
                "error" | "failure" | "inactive" | "in_progress" | "queued" | "pending" | "success"
            ) {
                return invalid(format!("state `{state}` is not a deployment state"));
            }
            let status = json!({"state": state, "description": body["description"]});
            s.deployment_statuses.push((id, status.clone()));
            (StatusCode::CREATED, Json(status))
        },
    )
    .await
}
