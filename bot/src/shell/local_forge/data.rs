//! GitHub's git data API (blobs, trees, commits, moving a branch), commits as the REST API
//! shows them, and tarballs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use std::sync::Arc;

use super::api::{
    self, Answer, answer, api_url, broken, invalid, not_found, person, ref_json, run,
};
use super::commits::{CommitInfo, Person};
use super::git::Entry;
use super::{Forge, REPOSITORY};

/// A commit as the git data API shows it.
pub fn git_commit_json(c: &CommitInfo) -> Value {
    let who = |p: &Person| json!({"name": p.name, "email": p.email, "date": p.date});
    json!({
        "sha": c.sha,
        "url": api_url(&format!("git/commits/{}", c.sha)),
        "html_url": format!("https://github.example/{REPOSITORY}/commit/{}", c.sha),
        "author": who(&c.author),
        "committer": who(&c.committer),
        "message": c.message,
        "tree": {"sha": c.tree, "url": api_url(&format!("git/trees/{}", c.tree))},
        "parents": c.parents.iter().map(|p| json!({
            "sha": p,
            "url": api_url(&format!("git/commits/{p}")),
            "html_url": format!("https://github.example/{REPOSITORY}/commit/{p}"),
        })).collect::<Vec<_>>(),
        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null},
    })
}

pub async fn create_blob(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    answer(forge, "POST blobs".into(), &headers, (&o, &r), move |f| {
        let Some(content) = body["content"].as_str() else {
            return invalid("Invalid request.\n\n\"content\" wasn't supplied.");
        };
        let bytes = match body["encoding"].as_str().unwrap_or("utf-8") {
            "utf-8" => content.as_bytes().to_vec(),
            "base64" => {
                let clean: String = content.chars().filter(|c| !c.is_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(clean) {
                    Ok(b) => b,
                    Err(_) => return invalid("content is not valid Base64"),
                }
            }
            other => return invalid(format!("encoding {other} is not supported")),
        };
        match f.git.hash(&bytes) {
            Ok(sha) => (
                StatusCode::CREATED,
                Json(json!({"sha": sha, "url": api_url(&format!("git/blobs/{sha}"))})),
            ),
            Err(e) => broken(e),
        }
    })
    .await
}

pub async fn create_tree(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    answer(forge, "POST trees".into(), &headers, (&o, &r), move |f| {
        let base = match body["base_tree"].as_str() {
            Some(b) if f.git.kind(b).as_deref() == Some("tree") => Some(b.to_owned()),
            Some(_) => return invalid("Invalid tree info: base_tree is not a tree"),
            None => None,
        };
        let mut entries = Vec::new();
        for item in body["tree"].as_array().into_iter().flatten() {
            match tree_entry(f, item) {
                Ok(entry) => entries.push(entry),
                Err(no) => return no,
            }
        }
        let sha = match f.git.write_tree(base.as_deref(), &entries) {
            Ok(sha) => sha,
            Err(e) => return invalid(e.to_string()),
        };
        let listed: Vec<Value> = f
            .git
            .list(&sha, None)
            .into_iter()
            .map(|(mode, kind, sha, path)| {
                json!({"path": path, "mode": mode, "type": kind, "sha": sha,
                       "url": api_url(&format!("git/{kind}s/{sha}"))})
            })
            .collect();
        (
            StatusCode::CREATED,
            Json(json!({
                "sha": sha,
                "url": api_url(&format!("git/trees/{sha}")),
                "tree": listed,
                "truncated": false,
            })),
        )
    })
    .await
}

/// One item of a tree request, checked: its content stored, its object present.
fn tree_entry(f: &Forge, item: &Value) -> Result<Entry, Answer> {
    let path = item["path"].as_str().unwrap_or_default().trim_matches('/');
    if path.is_empty()
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return Err(invalid(format!("tree.path {path:?} is invalid")));
    }
    let mode = item["mode"].as_str().unwrap_or_default();
    let want = match mode {
        "100644" | "100755" | "120000" => "blob",
        "040000" => "tree",
        other => return Err(invalid(format!("tree.mode {other:?} is invalid"))),
    };
    let sha = match (item.get("content").and_then(Value::as_str), &item["sha"]) {
        (Some(content), _) => Some(f.git.hash(content.as_bytes()).map_err(broken)?),
        (None, Value::Null) => None,
        (None, Value::String(sha)) => {
            if f.git.kind(sha).as_deref() != Some(want) {
                return Err(invalid(format!("tree.sha {sha} is not a valid {want}")));
            }
            Some(sha.clone())
        }
        (None, _) => return Err(invalid("tree.sha must be a string or null")),
    };
    Ok(Entry {
        path: path.to_owned(),
        mode: mode.to_owned(),
        sha,
    })
}

pub async fn create_commit(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    answer(forge, "POST commits".into(), &headers, (&o, &r), move |f| {
        let Some(message) = body["message"].as_str() else {
            return invalid("Invalid request.\n\n\"message\" wasn't supplied.");
        };
        let tree = body["tree"].as_str().unwrap_or_default();
        if f.git.kind(tree).as_deref() != Some("tree") {
            return invalid("Tree SHA does not exist");
        }
        let mut parents = Vec::new();
        for p in body["parents"].as_array().into_iter().flatten() {
            let p = p.as_str().unwrap_or_default();
            if f.git.kind(p).as_deref() != Some("commit") {
                return invalid("Parent SHA does not exist or is not a commit object");
            }
            parents.push(p.to_owned());
        }
        let author = person(&body["author"]);
        let committer = if body["committer"].is_object() {
            person(&body["committer"])
        } else {
            author.clone()
        };
        let made = f
            .git
            .commit_tree(tree, &parents, message, &author, &committer);
        match made.map(|sha| f.git.read_commit(&sha)) {
            Ok(Some(c)) => (StatusCode::CREATED, Json(git_commit_json(&c))),
            Ok(None) => broken("the new commit cannot be read"),
            Err(e) => invalid(e.to_string()),
        }
    })
    .await
}

pub async fn get_git_commit(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, sha)): Path<(String, String, String)>,
) -> Answer {
    let call = format!("GET git commit {sha}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        if f.git.kind(&sha).as_deref() != Some("commit") {
            return not_found();
        }
        match f.git.read_commit(&sha) {
            Some(c) => (StatusCode::OK, Json(git_commit_json(&c))),
            None => not_found(),
        }
    })
    .await
}

pub async fn update_ref(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, branch)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Answer {
    let call = format!("PATCH ref {branch}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let Some(new) = body["sha"]
            .as_str()
            .filter(|s| f.git.kind(s).as_deref() == Some("commit"))
        else {
            return invalid("Object does not exist");
        };
        let force = body["force"].as_bool().unwrap_or(false);
        let _writing = f.writing();
        let Some(old) = f.git.head(&branch) else {
            return invalid("Reference does not exist");
        };
        if !force && !f.git.is_ancestor(&old, new) {
            return invalid("Update is not a fast forward");
        }
        match f.git.set_ref(&branch, new, Some(&old)) {
            Ok(()) => (StatusCode::OK, Json(ref_json(&branch, new))),
            Err(e) => broken(e),
        }
    })
    .await
}

/// `GET commits/{ref}` (a commit as the REST API shows it) and `GET commits/{ref}/status`
/// (the combined status); a ref may hold slashes, so one route takes both.
pub async fn commit_or_status(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, rest)): Path<(String, String, String)>,
) -> Answer {
    if let Some(rev) = rest.strip_suffix("/status") {
        let rev = rev.to_owned();
        let call = format!("GET status {rev}");
        return answer(forge, call, &headers, (&o, &r), move |f| {
            super::issues::combined_status(f, &rev)
        })
        .await;
    }
    let call = format!("GET commit {rest}");
    answer(forge, call, &headers, (&o, &r), move |f| {
        let Some(c) = f.git.read_commit(&rest) else {
            return api::message(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("No commit found for SHA: {rest}"),
            );
        };
        let inner = git_commit_json(&c);
        (
            StatusCode::OK,
            Json(json!({
                "sha": c.sha,
                "url": api_url(&format!("commits/{}", c.sha)),
                "html_url": inner["html_url"],
                "commit": {
                    "message": c.message,
                    "tree": inner["tree"],
                    "author": inner["author"],
                    "committer": inner["committer"],
                },
                "parents": inner["parents"],
            })),
        )
    })
    .await
}

pub async fn tarball(
    State(forge): State<Arc<Forge>>,
    headers: HeaderMap,
    Path((o, r, rev)): Path<(String, String, String)>,
) -> Response {
    let call = format!("GET tarball {rev}");
    run(forge, call, &headers, (&o, &r), move |f| {
        let Some(sha) = f.git.commit(&rev) else {
            return not_found().into_response();
        };
        let prefix = format!("--prefix={}-{}/", REPOSITORY.replace('/', "-"), &sha[..7]);
        match f
            .git
            .run(&["archive", "--format=tar.gz", &prefix, &sha], None)
        {
            Ok(bytes) => ([(header::CONTENT_TYPE, "application/x-gzip")], bytes).into_response(),
            Err(e) => broken(e).into_response(),
        }
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}
