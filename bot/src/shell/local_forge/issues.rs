//! Issues, comments, labels, requested reviewers and commit statuses.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::api::{Answer, answer, invalid, message, not_found};
use super::{Forge, REPOSITORY};

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

pub async fn list(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    answer(forge, "GET issues".into(), &headers, (&o, &r), move |f| {
        let label = q.get("labels").cloned().unwrap_or_default();
        let found: Vec<Value> = f
            .state()
            .issues
            .iter()
            .filter(|i| {
                label.is_empty()
                    || i["labels"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|x| x["name"] == label.as_str()))
            })
            .cloned()
            .collect();
        (StatusCode::OK, Json(Value::Array(found)))
    })
    .await
}

pub async fn create(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    answer(forge, "POST issues".into(), &headers, (&o, &r), move |f| {
        let mut s = f.state();
        let number = (s.pulls.len() + s.issues.len()) as u64 + 1;
        let labels: Vec<Value> = strings(&body["labels"])
            .into_iter()
            .map(|l| json!({"name": l}))
            .collect();
        let issue = json!({
            "number": number,
            "html_url": format!("https://github.example/{REPOSITORY}/issues/{number}"),
            "title": body["title"],
            "body": body["body"],
            "state": "open",
            "labels": labels,
        });
        s.issues.push(issue.clone());
        (StatusCode::CREATED, Json(issue))
    })
    .await
}

pub async fn update(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("PATCH issue {n}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let mut s = f.state();
        let Some(issue) = s.issues.iter_mut().find(|i| i["number"] == n) else {
            return not_found();
        };
        if let Some(state) = body.get("state") {
            issue["state"] = state.clone();
        }
        (StatusCode::OK, Json(issue.clone()))
    })
    .await
}

pub async fn list_comments(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
) -> Answer {
    let call = format!("GET comments {n}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let found: Vec<Value> = f
            .state()
            .comments
            .iter()
            .filter(|(i, _)| *i == n)
            .map(|(_, b)| json!({"body": b}))
            .collect();
        (StatusCode::OK, Json(Value::Array(found)))
    })
    .await
}

pub async fn add_comment(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("POST comment {n}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let text = body["body"].as_str().unwrap_or_default().to_owned();
        f.state().comments.push((n, text.clone()));
        (StatusCode::CREATED, Json(json!({"body": text})))
    })
    .await
}

pub async fn add_labels(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("POST labels {n}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let mut s = f.state();
        let labels = s.labels.entry(n).or_default();
        for l in strings(&body["labels"]) {
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        let shown: Vec<Value> = labels.iter().map(|l| json!({"name": l})).collect();
        (StatusCode::OK, Json(Value::Array(shown)))
    })
    .await
}

pub async fn request_reviewers(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("POST reviewers {n}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let mut s = f.state();
        let list = s.reviewers.entry(n).or_default();
        for a in strings(&body["reviewers"]) {
            if !list.contains(&a) {
                list.push(a);
            }
        }
        (StatusCode::CREATED, Json(json!({"number": n})))
    })
    .await
}

pub async fn set_status(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, sha)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("POST status {sha}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let Some(commit) = f.git.commit(&sha) else {
            return invalid(format!("No commit found for SHA: {sha}"));
        };
        let context = body["context"].as_str().unwrap_or("default").to_owned();
        let state = body["state"].as_str().unwrap_or_default().to_owned();
        if !matches!(state.as_str(), "pending" | "success" | "failure" | "error") {
            return invalid(format!(
                "state {state:?} is not one of pending, success, failure, error"
            ));
        }
        f.state()
            .posted_statuses
            .push((commit, context.clone(), state.clone()));
        (
            StatusCode::CREATED,
            Json(json!({
                "context": context,
                "state": state,
                "description": body["description"],
                "target_url": body["target_url"],
            })),
        )
    })
    .await
}

/// The combined status of `rev`: each context's latest, newest first; `failure` when one
/// failed or errored, `pending` when none reported or one is pending, else `success`.
pub fn combined_status(f: &Forge, rev: &str) -> Answer {
    let Some(sha) = f.git.commit(rev) else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("No commit found for SHA: {rev}"),
        );
    };
    let mut latest: Vec<(String, String)> = Vec::new();
    for (s, context, state) in f.state().posted_statuses.iter().rev() {
        if *s == sha && !latest.iter().any(|(c, _)| c == context) {
            latest.push((context.clone(), state.clone()));
        }
    }
    let state = if latest.iter().any(|(_, s)| s == "failure" || s == "error") {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|(_, s)| s == "pending") {
        "pending"
    } else {
        "success"
    };
    let statuses: Vec<Value> = latest
        .iter()
        .map(|(context, state)| json!({"context": context, "state": state}))
        .collect();
    (
        StatusCode::OK,
        Json(json!({
            "state": state,
            "sha": sha,
            "total_count": statuses.len(),
            "statuses": statuses,
            "repository": {"full_name": REPOSITORY},
        })),
    )
}
