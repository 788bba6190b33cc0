//! A local GitHub speaking the REST calls chatops makes: repository, refs, contents, pull
//! requests and combined commit status, with bad-token and injected-failure behaviour.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the local GitHub holds and saw.
#[derive(Debug, Default)]
pub struct Repo {
    /// Branch name → head commit sha.
    pub branches: HashMap<String, String>,
    /// (branch, path) → content.
    pub files: HashMap<(String, String), String>,
    /// Pull requests, oldest first.
    pub pulls: Vec<Value>,
    /// Commit sha → combined status answer.
    pub statuses: HashMap<String, Value>,
    /// `METHOD path` of every call.
    pub calls: Vec<String>,
    /// Answer the next `POST …/pulls` with this status once (e.g. 502).
    pub fail_next_pull: Option<u16>,
    /// Answer the next `PUT …/merge` with this status once, after merging (a lost answer).
    pub fail_after_merge: Option<u16>,
    /// Commit messages, oldest first.
    pub commit_messages: Vec<String>,
    /// (issue number, body) of every comment.
    pub comments: Vec<(u64, String)>,
    /// Issue number → labels.
    pub labels: HashMap<u64, Vec<String>>,
    /// (sha, context, state) of every status set.
    pub posted_statuses: Vec<(String, String, String)>,
    /// Pull request numbers merged, once each time a merge happened.
    pub merges: Vec<u64>,
    /// Issues, oldest first (numbered with the pull requests, as on GitHub).
    pub issues: Vec<Value>,
    /// Pull request number → reviewers requested.
    pub reviewers: HashMap<u64, Vec<String>>,
    commits: u64,
}

/// A running local GitHub with one repository, `acme/shop`.
#[derive(Debug, Clone)]
pub struct LocalGitHub {
    /// Its API base URL.
    pub url: String,
    /// The repository's state.
    pub repo: Arc<Mutex<Repo>>,
}

/// The token it accepts.
pub const TOKEN: &str = "ghp_e2etoken";
/// Its one repository.
pub const REPOSITORY: &str = "acme/shop";

type Shared = Arc<Mutex<Repo>>;
type Answer = (StatusCode, Json<Value>);

impl LocalGitHub {
    /// Starts it on a free loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        let repo: Shared = Arc::default();
        if let Ok(mut r) = repo.lock() {
            r.branches.insert("main".into(), "base000".into());
        }
        let app = Router::new()
            .route("/user", get(user))
            .route("/repos/{o}/{r}", get(repository))
            .route("/repos/{o}/{r}/git/ref/heads/{*branch}", get(get_ref))
            .route("/repos/{o}/{r}/git/refs", axum::routing::post(create_ref))
            .route(
                "/repos/{o}/{r}/contents/{*path}",
                get(get_contents).put(put_contents),
            )
            .route("/repos/{o}/{r}/pulls", get(list_pulls).post(create_pull))
            .route("/repos/{o}/{r}/commits/{sha}/status", get(status))
            .route(
                "/repos/{o}/{r}/statuses/{sha}",
                axum::routing::post(set_status),
            )
            .route(
                "/repos/{o}/{r}/issues/{n}/comments",
                get(list_comments).post(add_comment),
            )
            .route(
                "/repos/{o}/{r}/issues/{n}/labels",
                axum::routing::post(add_labels),
            )
            .route("/repos/{o}/{r}/pulls/{n}", get(get_pull))
            .route("/repos/{o}/{r}/issues", get(list_issues).post(create_issue))
            .route(
                "/repos/{o}/{r}/issues/{n}",
                axum::routing::patch(update_issue),
            )
            .route(
                "/repos/{o}/{r}/pulls/{n}/requested_reviewers",
                axum::routing::post(request_reviewers),
            )
            .route(
                "/repos/{o}/{r}/pulls/{n}/merge",
                axum::routing::put(merge_pull),
            )
            .with_state(repo.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, repo })
    }

    /// Runs `f` on the repository's state.
    pub fn with<R>(&self, f: impl FnOnce(&mut Repo) -> R) -> R {
        let mut guard = self
            .repo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

fn record(repo: &Shared, call: String) {
    if let Ok(mut r) = repo.lock() {
        r.calls.push(call);
    }
}

/// `None` when the token is right and the repository exists; the refusal otherwise.
fn refuse(headers: &HeaderMap, o: &str, r: &str) -> Option<Answer> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth != format!("Bearer {TOKEN}") && auth != format!("token {TOKEN}") {
        return Some((
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Bad credentials"})),
        ));
    }
    if format!("{o}/{r}") != REPOSITORY {
        return Some((StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))));
    }
    None
}

async fn user(State(repo): State<Shared>, headers: HeaderMap) -> Answer {
    record(&repo, "GET /user".into());
    match refuse(&headers, "acme", "shop") {
        Some(no) => no,
        None => (StatusCode::OK, Json(json!({"login": "chatops-bot"}))),
    }
}

async fn repository(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
) -> Answer {
    record(&repo, format!("GET /repos/{o}/{r}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    (
        StatusCode::OK,
        Json(json!({"full_name": REPOSITORY, "default_branch": "main"})),
    )
}

async fn get_ref(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, branch)): Path<(String, String, String)>,
) -> Answer {
    record(&repo, format!("GET ref {branch}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let sha = repo
        .lock()
        .ok()
        .and_then(|r| r.branches.get(&branch).cloned());
    match sha {
        Some(sha) => (
            StatusCode::OK,
            Json(
                json!({"ref": format!("refs/heads/{branch}"), "object": {"sha": sha, "type": "commit"}}),
            ),
        ),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))),
    }
}

async fn create_ref(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, "POST refs".into());
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let name = body["ref"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("refs/heads/")
        .to_owned();
    let sha = body["sha"].as_str().unwrap_or_default().to_owned();
    let Ok(mut state) = repo.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    if state.branches.contains_key(&name) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "Reference already exists"})),
        );
    }
    state.branches.insert(name.clone(), sha.clone());
    (
        StatusCode::CREATED,
        Json(json!({"ref": format!("refs/heads/{name}"), "object": {"sha": sha}})),
    )
}

async fn get_contents(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, path)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    record(&repo, format!("GET contents {path}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let branch = q.get("ref").cloned().unwrap_or_else(|| "main".into());
    let content = repo
        .lock()
        .ok()
        .and_then(|r| r.files.get(&(branch, path.clone())).cloned());
    match content {
        Some(c) => (
            StatusCode::OK,
            Json(json!({
                "path": path,
                "sha": format!("blob-{}", c.len()),
                "encoding": "base64",
                "content": base64::engine::general_purpose::STANDARD.encode(c.as_bytes()),
            })),
        ),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))),
    }
}

async fn put_contents(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, path)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, format!("PUT contents {path}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let branch = body["branch"].as_str().unwrap_or("main").to_owned();
    let content = base64::engine::general_purpose::STANDARD
        .decode(body["content"].as_str().unwrap_or_default())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let Ok(mut state) = repo.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    let exists = state.files.contains_key(&(branch.clone(), path.clone()));
    if exists && body.get("sha").is_none() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "\"sha\" wasn't supplied."})),
        );
    }
    state.commits += 1;
    let sha = format!("commit{:03}", state.commits);
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    state.commit_messages.push(message);
    state.files.insert((branch.clone(), path), content);
    state.branches.insert(branch, sha.clone());
    let code = if exists {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (
        code,
        Json(json!({"commit": {"sha": sha, "message": body["message"]}})),
    )
}

async fn list_pulls(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    record(&repo, "GET pulls".into());
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let head = q.get("head").cloned().unwrap_or_default();
    let branch = head
        .split_once(':')
        .map(|(_, b)| b.to_owned())
        .unwrap_or(head);
    let found: Vec<Value> = repo
        .lock()
        .map(|r| {
            r.pulls
                .iter()
                .filter(|p| p["head"]["ref"] == branch.as_str())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    (StatusCode::OK, Json(Value::Array(found)))
}

async fn create_pull(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, "POST pulls".into());
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let Ok(mut state) = repo.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    if let Some(code) = state.fail_next_pull.take() {
        let code = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
        return (code, Json(json!({"message": "injected failure"})));
    }
    let branch = body["head"].as_str().unwrap_or_default().to_owned();
    let Some(sha) = state.branches.get(&branch).cloned() else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "head does not exist"})),
        );
    };
    let number = (state.pulls.len() + state.issues.len()) as u64 + 1;
    let pr = json!({
        "number": number,
        "html_url": format!("https://github.example/{REPOSITORY}/pull/{number}"),
        "title": body["title"],
        "body": body["body"],
        "state": "open",
        "head": {"ref": branch, "sha": sha},
        "base": {"ref": body["base"]},
    });
    state.pulls.push(pr.clone());
    (StatusCode::CREATED, Json(pr))
}

async fn status(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, sha)): Path<(String, String, String)>,
) -> Answer {
    record(&repo, format!("GET status {sha}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let answer = repo
        .lock()
        .ok()
        .and_then(|r| r.statuses.get(&sha).cloned())
        .unwrap_or_else(|| json!({"state": "pending", "statuses": [], "total_count": 0}));
    (StatusCode::OK, Json(answer))
}

async fn set_status(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, sha)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, format!("POST status {sha}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let context = body["context"].as_str().unwrap_or_default().to_owned();
    let state = body["state"].as_str().unwrap_or_default().to_owned();
    if let Ok(mut s) = repo.lock() {
        s.posted_statuses
            .push((sha, context.clone(), state.clone()));
    }
    (
        StatusCode::CREATED,
        Json(json!({"context": context, "state": state})),
    )
}

async fn list_comments(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
) -> Answer {
    record(&repo, format!("GET comments {n}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let found: Vec<Value> = repo
        .lock()
        .map(|s| {
            s.comments
                .iter()
                .filter(|(i, _)| *i == n)
                .map(|(_, b)| json!({"body": b}))
                .collect()
        })
        .unwrap_or_default();
    (StatusCode::OK, Json(Value::Array(found)))
}

async fn add_comment(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, format!("POST comment {n}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let text = body["body"].as_str().unwrap_or_default().to_owned();
    if let Ok(mut s) = repo.lock() {
        s.comments.push((n, text.clone()));
    }
    (StatusCode::CREATED, Json(json!({"body": text})))
}

async fn add_labels(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, format!("POST labels {n}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let added: Vec<String> = body["labels"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let all = repo
        .lock()
        .map(|mut s| {
            let labels = s.labels.entry(n).or_default();
            for l in added {
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
            labels.clone()
        })
        .unwrap_or_default();
    let shown: Vec<Value> = all.iter().map(|l| json!({"name": l})).collect();
    (StatusCode::OK, Json(Value::Array(shown)))
}

async fn get_pull(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
) -> Answer {
    record(&repo, format!("GET pull {n}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let pr = repo
        .lock()
        .ok()
        .and_then(|s| s.pulls.iter().find(|p| p["number"] == n).cloned());
    match pr {
        Some(pr) => (StatusCode::OK, Json(pr)),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))),
    }
}

async fn merge_pull(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, format!("PUT merge {n}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let Ok(mut s) = repo.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    let Some(at) = s.pulls.iter().position(|p| p["number"] == n) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"})));
    };
    if s.pulls[at]["merged"] == true {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            Json(json!({"message": "Pull Request is not mergeable"})),
        );
    }
    let sha = format!("merge{n:03}");
    s.pulls[at]["merged"] = json!(true);
    s.pulls[at]["state"] = json!("closed");
    s.pulls[at]["merge_commit_sha"] = json!(sha);
    s.merges.push(n);
    s.commit_messages
        .push(body["commit_title"].as_str().unwrap_or_default().to_owned());
    s.branches.insert("main".into(), sha.clone());
    if let Some(code) = s.fail_after_merge.take() {
        let code = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
        return (
            code,
            Json(json!({"message": "injected failure after merging"})),
        );
    }
    (StatusCode::OK, Json(json!({"sha": sha, "merged": true})))
}

async fn list_issues(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    record(&repo, "GET issues".into());
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let label = q.get("labels").cloned().unwrap_or_default();
    let found: Vec<Value> = repo
        .lock()
        .map(|s| {
            s.issues
                .iter()
                .filter(|i| {
                    label.is_empty()
                        || i["labels"]
                            .as_array()
                            .is_some_and(|l| l.iter().any(|x| x["name"] == label.as_str()))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    (StatusCode::OK, Json(Value::Array(found)))
}

async fn create_issue(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, "POST issues".into());
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let Ok(mut s) = repo.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    let number = (s.pulls.len() + s.issues.len()) as u64 + 1;
    let labels: Vec<Value> = body["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| json!({"name": l}))
        .collect();
    let issue = json!({
        "number": number,
        "title": body["title"],
        "body": body["body"],
        "state": "open",
        "labels": labels,
    });
    s.issues.push(issue.clone());
    (StatusCode::CREATED, Json(issue))
}

async fn update_issue(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, format!("PATCH issue {n}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let Ok(mut s) = repo.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    let Some(issue) = s.issues.iter_mut().find(|i| i["number"] == n) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"})));
    };
    if let Some(state) = body.get("state") {
        issue["state"] = state.clone();
    }
    (StatusCode::OK, Json(issue.clone()))
}

async fn request_reviewers(
    State(repo): State<Shared>,
    headers: HeaderMap,
    Path((o, r, n)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Answer {
    record(&repo, format!("POST reviewers {n}"));
    if let Some(no) = refuse(&headers, &o, &r) {
        return no;
    }
    let asked: Vec<String> = body["reviewers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect();
    if let Ok(mut s) = repo.lock() {
        let list = s.reviewers.entry(n).or_default();
        for a in asked {
            if !list.contains(&a) {
                list.push(a);
            }
        }
    }
    (StatusCode::CREATED, Json(json!({"number": n})))
}
