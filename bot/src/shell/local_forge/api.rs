//! What every REST handler shares (authentication, answers, running git off the async
//! threads), and the repository, its refs and its contents.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::commits::Person;
use super::git::Entry;
use super::{DEFAULT_BRANCH, Forge, REPOSITORY};

pub type Answer = (StatusCode, Json<Value>);

/// An answer with `code` and GitHub's `{"message": …}`.
pub fn message(code: StatusCode, text: impl Into<String>) -> Answer {
    (code, Json(json!({"message": text.into()})))
}

pub fn not_found() -> Answer {
    message(StatusCode::NOT_FOUND, "Not Found")
}

pub fn invalid(text: impl Into<String>) -> Answer {
    message(StatusCode::UNPROCESSABLE_ENTITY, text)
}

pub fn broken(e: impl std::fmt::Display) -> Answer {
    message(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// `None` when the token is right and the repository exists; the refusal otherwise.
pub fn refuse(token: &str, headers: &HeaderMap, o: &str, r: &str) -> Option<Answer> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth != format!("Bearer {token}") && auth != format!("token {token}") {
        return Some(message(StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    if format!("{o}/{r}") != REPOSITORY {
        return Some(not_found());
    }
    None
}

/// Records `call`, checks the request, then runs `work` where it may wait on git.
pub async fn run<T: Send + 'static>(
    forge: Arc<Forge>,
    call: String,
    headers: &HeaderMap,
    (o, r): (&str, &str),
    work: impl FnOnce(&Forge) -> T + Send + 'static,
) -> Result<T, Answer> {
    forge.record(call);
    if let Some(no) = refuse(&forge.token, headers, o, r) {
        return Err(no);
    }
    tokio::task::spawn_blocking(move || work(&forge))
        .await
        .map_err(broken)
}

/// [`run`] for a JSON answer.
pub async fn answer(
    forge: Arc<Forge>,
    call: String,
    headers: &HeaderMap,
    repo: (&str, &str),
    work: impl FnOnce(&Forge) -> Answer + Send + 'static,
) -> Answer {
    run(forge, call, headers, repo, work)
        .await
        .unwrap_or_else(|no| no)
}

pub fn api_url(route: &str) -> String {
    format!("https://api.github.example/repos/{REPOSITORY}/{route}")
}

pub async fn user(State(forge): State<Arc<Forge>>, headers: HeaderMap) -> Answer {
    answer(
        forge,
        "GET /user".into(),
        &headers,
        ("acme", "shop"),
        |_| (StatusCode::OK, Json(json!({"login": "chatops-bot"}))),
    )
    .await
}

pub async fn repository(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
) -> Answer {
    let call = format!("GET /repos/{o}/{r}");
    answer(forge, call, &headers, (&o, &r), |_| {
        (
            StatusCode::OK,
            Json(json!({
                "full_name": REPOSITORY,
                "name": "shop",
                "owner": {"login": "acme"},
                "private": true,
                "default_branch": DEFAULT_BRANCH,
            })),
        )
    })
    .await
}

/// A branch as GitHub's ref endpoints show it.
pub fn ref_json(branch: &str, sha: &str) -> Value {
    json!({
        "ref": format!("refs/heads/{branch}"),
        "url": api_url(&format!("git/refs/heads/{branch}")),
        "object": {"sha": sha, "type": "commit", "url": api_url(&format!("git/commits/{sha}"))},
    })
}

pub async fn get_ref(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, branch)): Path<(String, String, String)>,
) -> Answer {
    let call = format!("GET ref {branch}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        match f.git.head(&branch) {
            Some(sha) => (StatusCode::OK, Json(ref_json(&branch, &sha))),
            None => not_found(),
        }
    })
    .await
}

pub async fn create_ref(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    answer(forge, "POST refs".into(), &headers, (&o, &r), move |f| {
        let full = body["ref"].as_str().unwrap_or_default();
        let Some(name) = full.strip_prefix("refs/heads/").filter(|n| !n.is_empty()) else {
            return invalid("Reference name must start with 'refs/heads/'");
        };
        let Some(sha) = body["sha"].as_str().and_then(|s| f.git.commit(s)) else {
            return invalid("Object does not exist");
        };
        let _writing = f.writing();
        if f.git.head(name).is_some() {
            return invalid("Reference already exists");
        }
        match f.git.set_ref(name, &sha, None) {
            Ok(()) => (StatusCode::CREATED, Json(ref_json(name, &sha))),
            Err(e) => invalid(e.to_string()),
        }
    })
    .await
}

/// Base64 in lines of 60, as GitHub sends file contents.
fn wrapped_base64(bytes: &[u8]) -> String {
    let flat = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(flat.len() + flat.len() / 60 + 1);
    for chunk in flat.as_bytes().chunks(60) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

fn entry_json(path: &str, kind: &str, sha: &str, size: usize) -> Value {
    let name = path.rsplit('/').next().unwrap_or(path);
    json!({
        "type": if kind == "tree" { "dir" } else { "file" },
        "name": name,
        "path": path,
        "sha": sha,
        "size": size,
        "url": api_url(&format!("contents/{path}")),
        "html_url": format!("https://github.example/{REPOSITORY}/blob/{DEFAULT_BRANCH}/{path}"),
    })
}

pub async fn get_contents(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, path)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let call = format!("GET contents {path}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let rev = q.get("ref").map_or(DEFAULT_BRANCH, String::as_str);
        let Some(commit) = f.git.commit(rev) else {
            return message(
                StatusCode::NOT_FOUND,
                format!("No commit found for the ref {rev}"),
            );
        };
        let Some((_, kind, sha)) = f.git.entry(&commit, &path) else {
            return not_found();
        };
        if kind == "tree" {
            let listing: Vec<Value> = f
                .git
                .list(&commit, Some(path.trim_end_matches('/')))
                .into_iter()
                .map(|(_, kind, sha, name)| {
                    let size = f.git.blob(&sha).map_or(0, |b| b.len());
                    entry_json(
                        &format!("{}/{name}", path.trim_end_matches('/')),
                        &kind,
                        &sha,
                        size,
                    )
                })
                .collect();
            return (StatusCode::OK, Json(Value::Array(listing)));
        }
        let bytes = f.git.blob(&sha).unwrap_or_default();
        let mut shown = entry_json(&path, &kind, &sha, bytes.len());
        shown["encoding"] = json!("base64");
        shown["content"] = json!(wrapped_base64(&bytes));
        (StatusCode::OK, Json(shown))
    })
    .await
}

pub async fn put_contents(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, path)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("PUT contents {path}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let Some(message_text) = body["message"].as_str() else {
            return invalid("Invalid request.\n\n\"message\" wasn't supplied.");
        };
        let Ok(content) = base64::engine::general_purpose::STANDARD
            .decode(body["content"].as_str().unwrap_or_default())
        else {
            return invalid("content is not valid Base64");
        };
        let branch = body["branch"].as_str().unwrap_or(DEFAULT_BRANCH);
        let _writing = f.writing();
        let Some(head) = f.git.head(branch) else {
            return message(StatusCode::NOT_FOUND, format!("Branch {branch} not found"));
        };
        let current = f.git.entry(&head, &path);
        let given = body["sha"].as_str();
        match (&current, given) {
            (Some(_), None) => {
                return invalid("Invalid request.\n\n\"sha\" wasn't supplied.");
            }
            (Some((_, _, sha)), Some(g)) if g != sha => {
                return message(StatusCode::CONFLICT, format!("{path} does not match {g}"));
            }
            _ => {}
        }
        let mode = current
            .as_ref()
            .map_or_else(|| "100644".to_owned(), |(mode, _, _)| mode.clone());
        let made = (|| {
            let blob = f.git.hash(&content)?;
            let tree = f.git.write_tree(
                Some(&head),
                &[Entry {
                    path: path.clone(),
                    mode,
                    sha: Some(blob.clone()),
                }],
            )?;
            let who = person(&body["author"]);
            let committer = person(&body["committer"]);
            let sha = f.git.commit_tree(
                &tree,
                std::slice::from_ref(&head),
                message_text,
                &who,
                &committer,
            )?;
            f.git.set_ref(branch, &sha, Some(&head))?;
            Ok::<_, super::GitError>((blob, sha))
        })();
        let (blob, sha) = match made {
            Ok(made) => made,
            Err(e) => return broken(e),
        };
        let code = if current.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        let commit = f
            .git
            .read_commit(&sha)
            .map(|c| super::data::git_commit_json(&c));
        (
            code,
            Json(json!({
                "content": entry_json(&path, "blob", &blob, content.len()),
                "commit": commit,
            })),
        )
    })
    .await
}

/// The author or committer a request names, the fixed one for what it leaves out.
pub fn person(given: &Value) -> Person {
    let fixed = Person::default();
    Person {
        name: given["name"].as_str().map_or(fixed.name, str::to_owned),
        email: given["email"].as_str().map_or(fixed.email, str::to_owned),
        date: given["date"].as_str().map_or(fixed.date, str::to_owned),
    }
}
