//! Pull requests: list, open, read (as JSON or as a diff), merge (squash or merge commit).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::api::{Answer, answer, broken, invalid, message, not_found, person, run};
use super::{Forge, REPOSITORY};

/// A pull request as stored, its head and base shas brought up to date while it is open.
fn fresh(f: &Forge, mut pr: Value) -> Value {
    if pr["state"] == "open" {
        for side in ["head", "base"] {
            if let Some(sha) = pr[side]["ref"].as_str().and_then(|b| f.git.head(b)) {
                pr[side]["sha"] = json!(sha);
            }
        }
    }
    pr
}

pub async fn list(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    answer(forge, "GET pulls".into(), &headers, (&o, &r), move |f| {
        let head = q.get("head").cloned().unwrap_or_default();
        let branch = head.split_once(':').map_or(head.as_str(), |(_, b)| b);
        let state = q.get("state").map_or("open", String::as_str);
        let pulls = f.state().pulls.clone();
        let found: Vec<Value> = pulls
            .into_iter()
            .filter(|p| branch.is_empty() || p["head"]["ref"] == branch)
            .filter(|p| state == "all" || p["state"] == state)
            .map(|p| fresh(f, p))
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
    answer(forge, "POST pulls".into(), &headers, (&o, &r), move |f| {
        if let Some(code) = f.state().fail_next_pull.take() {
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
            return message(code, "injected failure");
        }
        let branch = body["head"].as_str().unwrap_or_default();
        let branch = branch.split_once(':').map_or(branch, |(_, b)| b).to_owned();
        let base = body["base"].as_str().unwrap_or_default().to_owned();
        let (Some(head_sha), Some(base_sha)) = (f.git.head(&branch), f.git.head(&base)) else {
            return invalid("Validation Failed: head or base does not exist");
        };
        let mut s = f.state();
        if s.pulls
            .iter()
            .any(|p| p["head"]["ref"] == branch.as_str() && p["state"] == "open")
        {
            return invalid(format!(
                "A pull request already exists for {}:{branch}.",
                REPOSITORY.split('/').next().unwrap_or_default()
            ));
        }
        let number = (s.pulls.len() + s.issues.len()) as u64 + 1;
        let pr = json!({
            "number": number,
            "url": super::api::api_url(&format!("pulls/{number}")),
            "html_url": format!("https://github.example/{REPOSITORY}/pull/{number}"),
            "title": body["title"],
            "body": body["body"],
            "state": "open",
            "merged": false,
            "merge_commit_sha": null,
            "head": {"ref": branch, "sha": head_sha, "label": format!("acme:{branch}")},
            "base": {"ref": base, "sha": base_sha, "label": format!("acme:{base}")},
        });
        s.pulls.push(pr.clone());
        (StatusCode::CREATED, Json(pr))
    })
    .await
}

/// Whether `headers` ask for the pull request as a diff.
fn wants_diff(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.contains("application/vnd.github.diff")
                || a.contains("application/vnd.github.v3.diff")
        })
}

pub async fn get(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
) -> Response {
    let diff = wants_diff(&headers);
    let call = format!("GET pull {n}{}", if diff { " diff" } else { "" });
    run(forge, call, &headers, (&o, &r), move |f| {
        let Some(pr) = f.state().pulls.iter().find(|p| p["number"] == n).cloned() else {
            return not_found().into_response();
        };
        let pr = fresh(f, pr);
        if !diff {
            return (StatusCode::OK, Json(pr)).into_response();
        }
        let (base, head) = (
            pr["base"]["sha"].as_str().unwrap_or_default(),
            pr["head"]["sha"].as_str().unwrap_or_default(),
        );
        match f.git.run(&["diff", &format!("{base}...{head}")], None) {
            Ok(text) => {
                ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
            }
            Err(e) => broken(e).into_response(),
        }
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

pub async fn merge(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("PUT merge {n}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let _writing = f.writing();
        let Some(pr) = f.state().pulls.iter().find(|p| p["number"] == n).cloned() else {
            return not_found();
        };
        if pr["state"] != "open" {
            return message(
                StatusCode::METHOD_NOT_ALLOWED,
                "Pull Request is not mergeable",
            );
        }
        let branch = pr["head"]["ref"].as_str().unwrap_or_default();
        let base = pr["base"]["ref"].as_str().unwrap_or_default();
        let (Some(head), Some(target)) = (f.git.head(branch), f.git.head(base)) else {
            return message(
                StatusCode::METHOD_NOT_ALLOWED,
                "Pull Request is not mergeable",
            );
        };
        if body["sha"].as_str().is_some_and(|s| s != head) {
            return message(
                StatusCode::CONFLICT,
                "Head branch was modified. Review and try the merge again.",
            );
        }
        let tree = match f.git.merge_tree(&target, &head) {
            Ok(Some(tree)) => tree,
            Ok(None) => {
                return message(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Pull Request is not mergeable",
                );
            }
            Err(e) => return broken(e),
        };
        let title = pr["title"].as_str().unwrap_or_default();
        let (parents, default_title) = match body["merge_method"].as_str().unwrap_or("merge") {
            "squash" => (vec![target.clone()], format!("{title} (#{n})")),
            "merge" => (
                vec![target.clone(), head.clone()],
                format!("Merge pull request #{n} from acme/{branch}"),
            ),
            other => return invalid(format!("Merge method {other} is not supported")),
        };
        let mut text = body["commit_title"]
            .as_str()
            .map_or(default_title, str::to_owned);
        if let Some(more) = body["commit_message"].as_str().filter(|m| !m.is_empty()) {
            text = format!("{text}\n\n{more}");
        }
        let who = person(&Value::Null);
        let made = f
            .git
            .commit_tree(&tree, &parents, &text, &who, &who)
            .and_then(|sha| f.git.set_ref(base, &sha, Some(&target)).map(|()| sha));
        let sha = match made {
            Ok(sha) => sha,
            Err(e) => return broken(e),
        };
        let mut s = f.state();
        if let Some(stored) = s.pulls.iter_mut().find(|p| p["number"] == n) {
            stored["merged"] = json!(true);
            stored["state"] = json!("closed");
            stored["merge_commit_sha"] = json!(sha);
            stored["head"]["sha"] = json!(head);
            stored["base"]["sha"] = json!(target);
        }
        s.merges.push(n);
        if let Some(code) = s.fail_after_merge.take() {
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
            return message(code, "injected failure after merging");
        }
        (
            StatusCode::OK,
            Json(
                json!({"sha": sha, "merged": true, "message": "Pull Request successfully merged"}),
            ),
        )
    })
    .await
}
