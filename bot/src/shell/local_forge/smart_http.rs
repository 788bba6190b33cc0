//! Git's smart HTTP protocol at `/{owner}/{name}.git/…`, served by `git http-backend` run as
//! a CGI program, behind GitHub's authentication: the token as a Basic password (any user
//! name, e.g. `x-access-token`) or as a Bearer token.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::AsyncWriteExt as _;

use super::git::base_env;
use super::{Forge, REPOSITORY};

/// Serves every path the REST routes do not: a git request, or a 404.
pub async fn serve(
    State(forge): State<Arc<Forge>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let Some(rest) = path.strip_prefix(&format!("/{REPOSITORY}.git/")) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"message": "Not Found"})),
        )
            .into_response();
    };
    let query = uri.query().unwrap_or_default().to_owned();
    let service = if rest == "info/refs" {
        let asked = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("service=git-"))
            .unwrap_or("dumb");
        format!("refs {asked}")
    } else {
        rest.trim_start_matches("git-").to_owned()
    };
    forge.record(format!("GIT {service}"));
    let Some(user) = user(&forge.token, &headers) else {
        let mut refused =
            (StatusCode::UNAUTHORIZED, "Invalid username or token.\n").into_response();
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"GitHub\""),
        );
        return refused;
    };
    match cgi(&forge, &method, &path, &query, &headers, &user, body).await {
        Ok(answer) => answer,
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// The user a request authenticates as, when its token is right.
fn user(token: &str, headers: &HeaderMap) -> Option<String> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(given) = auth.strip_prefix("Bearer ") {
        return (given == token).then(|| "x-access-token".to_owned());
    }
    let encoded = auth.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (name, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    (password == token).then(|| name.to_owned())
}

/// Runs `git http-backend` on the request; its answer, CGI headers turned into HTTP ones.
async fn cgi(
    forge: &Forge,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    user: &str,
    body: Bytes,
) -> std::io::Result<Response> {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .envs(base_env())
        .env("GIT_PROJECT_ROOT", &forge.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", method.as_str())
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", text(header::CONTENT_TYPE))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env(
            "GIT_PROTOCOL",
            headers
                .get("git-protocol")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
        )
        .env("HTTP_CONTENT_ENCODING", text(header::CONTENT_ENCODING))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let mut stdin = child.stdin.take();
    let feed = async move {
        if let Some(pipe) = stdin.as_mut() {
            // The backend may answer (and stop reading) before taking all of it.
            let _ = pipe.write_all(&body).await;
        }
        drop(stdin);
    };
    let (_, out) = tokio::join!(feed, child.wait_with_output());
    let out = out?;
    Ok(parse(&out.stdout))
}

/// The CGI answer `raw` as an HTTP response.
fn parse(raw: &[u8]) -> Response {
    let (head, body) = match find(raw, b"\r\n\r\n") {
        Some(at) => (&raw[..at], &raw[at + 4..]),
        None => match find(raw, b"\n\n") {
            Some(at) => (&raw[..at], &raw[at + 2..]),
            None => (&raw[..0], raw),
        },
    };
    let mut answer = Response::new(Body::from(body.to_vec()));
    for line in String::from_utf8_lossy(head).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split(' ').next().and_then(|c| c.parse().ok());
            *answer.status_mut() = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        } else if let (Ok(n), Ok(v)) = (
            header::HeaderName::try_from(name.trim()),
            HeaderValue::try_from(value),
        ) {
            answer.headers_mut().append(n, v);
        }
    }
    answer
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
