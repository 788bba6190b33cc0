//! The requests the GitHub activities make, against a local server that answers from a
//! script and records every call: routes, queries and bodies as GitHub documents them, and
//! the look-before-create paths. Longer than a module should be because each scenario spells
//! out the calls and bodies it expects; they share the recorder at the top.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use temporalio_sdk::activities::ActivityError;

use super::*;

/// Answers by `METHOD path?query`; anything unscripted is a 404.
#[derive(Default)]
struct Script {
    answers: HashMap<String, VecDeque<(u16, Value)>>,
    /// `METHOD path?query` and the JSON body of every call, in order.
    calls: Vec<(String, Value)>,
}

type Shared = Arc<Mutex<Script>>;

async fn answer(
    State(script): State<Shared>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    let call = format!("{method} {uri}");
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut s = script
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    s.calls.push((call.clone(), body));
    let (status, json) = s
        .answers
        .get_mut(&call)
        .and_then(VecDeque::pop_front)
        .unwrap_or((404, json!({"message": "Not Found"})));
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(json),
    )
}

/// Activities talking to a local GitHub that answers `answers`, and what it saw.
async fn github(answers: &[(&str, u16, Value)]) -> (GitHubActivities, Shared) {
    let mut script = Script::default();
    for (call, status, json) in answers {
        script
            .answers
            .entry((*call).to_owned())
            .or_default()
            .push_back((*status, json.clone()));
    }
    let script: Shared = Arc::new(Mutex::new(script));
    let app = Router::new().fallback(answer).with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url =
        url::Url::parse(&format!("http://{}", listener.local_addr().expect("addr"))).expect("url");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let token = SecretString::from("t0ken".to_owned());
    let acts = GitHubActivities::new(&url, Some(&token)).expect("client");
    (acts, script)
}

fn calls(script: &Shared) -> Vec<(String, Value)> {
    script
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .calls
        .clone()
}

fn text(e: &ActivityError) -> (bool, String) {
    match e {
        ActivityError::Application(f) => (f.is_non_retryable(), format!("{f:?}")),
        other => panic!("expected an application failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_pull_request_is_opened_with_its_branch_and_one_commit_of_its_files() {
    let (gh, script) = github(&[
        (
            "GET /repos/acme/shop",
            200,
            json!({"default_branch": "trunk"}),
        ),
        (
            "GET /repos/acme/shop/git/ref/heads/feat/x",
            404,
            json!({"message": "Not Found"}),
        ),
        (
            "GET /repos/acme/shop/git/ref/heads/trunk",
            200,
            json!({"object": {"sha": "base1"}}),
        ),
        ("POST /repos/acme/shop/git/refs", 201, json!({})),
        (
            "GET /repos/acme/shop/git/ref/heads/feat/x",
            200,
            json!({"object": {"sha": "base1"}}),
        ),
        (
            "GET /repos/acme/shop/git/commits/base1",
            200,
            json!({"sha": "base1", "tree": {"sha": "t0"}}),
        ),
        ("POST /repos/acme/shop/git/blobs", 201, json!({"sha": "b1"})),
        ("POST /repos/acme/shop/git/blobs", 201, json!({"sha": "b2"})),
        ("POST /repos/acme/shop/git/trees", 201, json!({"sha": "t1"})),
        (
            "POST /repos/acme/shop/git/commits",
            201,
            json!({"sha": "c1"}),
        ),
        (
            "PATCH /repos/acme/shop/git/refs/heads/feat/x",
            200,
            json!({"object": {"sha": "c1"}}),
        ),
        (
            "GET /repos/acme/shop/pulls?state=all&head=acme%3Afeat%2Fx",
            200,
            json!([]),
        ),
        (
            "POST /repos/acme/shop/pulls",
            201,
            json!({"number": 7, "html_url": "https://gh/7", "head": {"sha": "c1"}}),
        ),
    ])
    .await;
    let spec = PullRequestSpec {
        repository: "acme/shop".into(),
        branch: "feat/x".into(),
        title: "Title".into(),
        body: "Body".into(),
        commit_message: "feat: x".into(),
        files: vec![
            FileChange {
                path: "src/a.rs".into(),
                content: "fn a() {}".into(),
                ..FileChange::default()
            },
            FileChange {
                path: "bin/run".into(),
                content: "#!/bin/sh\n".into(),
                executable: true,
                ..FileChange::default()
            },
            FileChange {
                path: "old.txt".into(),
                deleted: true,
                ..FileChange::default()
            },
        ],
    };
    let pr = gh
        .call(&spec.repository, async |repo| {
            pulls::open(repo, &spec).await
        })
        .await
        .expect("opened");
    assert_eq!(
        pr,
        PullRef {
            repository: "acme/shop".into(),
            number: 7,
            url: "https://gh/7".into(),
            head_sha: "c1".into(),
        }
    );
    let seen = calls(&script);
    let routes: Vec<&str> = seen.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        routes,
        [
            "GET /repos/acme/shop",
            "GET /repos/acme/shop/git/ref/heads/feat/x",
            "GET /repos/acme/shop/git/ref/heads/trunk",
            "POST /repos/acme/shop/git/refs",
            "GET /repos/acme/shop/git/ref/heads/feat/x",
            "GET /repos/acme/shop/git/commits/base1",
            "POST /repos/acme/shop/git/blobs",
            "POST /repos/acme/shop/git/blobs",
            "POST /repos/acme/shop/git/trees",
            "POST /repos/acme/shop/git/commits",
            "PATCH /repos/acme/shop/git/refs/heads/feat/x",
            "GET /repos/acme/shop/pulls?state=all&head=acme%3Afeat%2Fx",
            "POST /repos/acme/shop/pulls",
        ]
    );
    assert_eq!(
        seen[3].1,
        json!({"ref": "refs/heads/feat/x", "sha": "base1"})
    );
    assert_eq!(
        seen[6].1,
        json!({"content": "Zm4gYSgpIHt9", "encoding": "base64"})
    );
    assert_eq!(
        seen[8].1,
        json!({"base_tree": "t0", "tree": [
            {"path": "src/a.rs", "mode": "100644", "type": "blob", "sha": "b1"},
            {"path": "bin/run", "mode": "100755", "type": "blob", "sha": "b2"},
            {"path": "old.txt", "mode": "100644", "type": "blob", "sha": null},
        ]})
    );
    assert_eq!(
        seen[9].1,
        json!({"message": "feat: x", "tree": "t1", "parents": ["base1"]})
    );
    assert_eq!(seen[10].1, json!({"sha": "c1", "force": false}));
    assert_eq!(
        seen[12].1,
        json!({"title": "Title", "head": "feat/x", "base": "trunk", "body": "Body"})
    );
}

#[tokio::test]
async fn what_exists_is_not_made_again() {
    let (gh, script) = github(&[
        ("GET /repos/acme/shop", 200, json!({})),
        (
            "GET /repos/acme/shop/git/ref/heads/feat",
            200,
            json!({"object": {"sha": "f1"}}),
        ),
        (
            "GET /repos/acme/shop/git/ref/heads/feat",
            200,
            json!({"object": {"sha": "f1"}}),
        ),
        (
            "GET /repos/acme/shop/git/commits/f1",
            200,
            json!({"sha": "f1", "tree": {"sha": "t0"}}),
        ),
        ("POST /repos/acme/shop/git/blobs", 201, json!({"sha": "b1"})),
        // The tree with the files is the branch's own: they are there already.
        ("POST /repos/acme/shop/git/trees", 201, json!({"sha": "t0"})),
        (
            "GET /repos/acme/shop/pulls?state=all&head=acme%3Afeat",
            200,
            json!([{"number": 3, "html_url": "u3", "head": {"sha": "f1"}}]),
        ),
    ])
    .await;
    let spec = PullRequestSpec {
        repository: "acme/shop".into(),
        branch: "feat".into(),
        title: "t".into(),
        body: "b".into(),
        commit_message: "m".into(),
        files: vec![FileChange {
            path: "a.txt".into(),
            content: "same".into(),
            ..FileChange::default()
        }],
    };
    let pr = gh
        .call(&spec.repository, async |repo| {
            pulls::open(repo, &spec).await
        })
        .await
        .expect("found");
    assert_eq!((pr.number, pr.head_sha.as_str()), (3, "f1"));
    let seen = calls(&script);
    let writes: Vec<&str> = seen
        .iter()
        .map(|(c, _)| c.as_str())
        .filter(|c| !c.starts_with("GET"))
        .collect();
    // No commit, no branch move, no second pull request.
    assert_eq!(
        writes,
        [
            "POST /repos/acme/shop/git/blobs",
            "POST /repos/acme/shop/git/trees"
        ],
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_branch_moved_while_committing_is_retried_and_a_moved_merge_is_refused_for_good() {
    let (gh, _) = github(&[
        (
            "GET /repos/acme/shop/git/ref/heads/feat",
            200,
            json!({"object": {"sha": "f1"}}),
        ),
        (
            "GET /repos/acme/shop/git/commits/f1",
            200,
            json!({"sha": "f1", "tree": {"sha": "t0"}}),
        ),
        ("POST /repos/acme/shop/git/blobs", 201, json!({"sha": "b1"})),
        ("POST /repos/acme/shop/git/trees", 201, json!({"sha": "t1"})),
        (
            "POST /repos/acme/shop/git/commits",
            201,
            json!({"sha": "c1"}),
        ),
        (
            "PATCH /repos/acme/shop/git/refs/heads/feat",
            422,
            json!({"message": "Update is not a fast forward"}),
        ),
        (
            "GET /repos/acme/shop/pulls/4",
            200,
            json!({"number": 4, "merged": false}),
        ),
        (
            "PUT /repos/acme/shop/pulls/4/merge",
            409,
            json!({"message": "Head branch was modified. Review and try the merge again."}),
        ),
    ])
    .await;
    let files = [FileChange {
        path: "a.txt".into(),
        content: "x".into(),
        ..FileChange::default()
    }];
    let moved = gh
        .call("acme/shop", async |repo| {
            branches::commit_files(repo, "feat", "m", &files).await
        })
        .await
        .expect_err("not a fast forward");
    let (permanent, message) = text(&moved);
    assert!(!permanent, "retried on the new head: {message}");
    assert!(
        message.contains("feat moved while the commit was made"),
        "{message}"
    );
    let merge = MergeSpec {
        repository: "acme/shop".into(),
        number: 4,
        title: "t".into(),
        sha: Some("f1".into()),
    };
    let refused = gh
        .call("acme/shop", async |repo| pulls::merge(repo, &merge).await)
        .await
        .expect_err("moved");
    let (permanent, message) = text(&refused);
    assert!(permanent, "{message}");
    assert!(
        message.contains("the branch moved after it was tested: GitHub refused to merge #4 because its head is no longer f1; nothing was merged"),
        "{message}"
    );
}

#[tokio::test]
async fn a_comment_is_posted_once_per_marker() {
    let (gh, script) = github(&[
        (
            "GET /repos/acme/shop/issues/5/comments?per_page=100&page=1",
            200,
            json!([{"body": "earlier"}, {"body": null}]),
        ),
        ("POST /repos/acme/shop/issues/5/comments", 201, json!({})),
        (
            "GET /repos/acme/shop/issues/5/comments?per_page=100&page=1",
            200,
            json!([{"body": "Hello\n\n<!-- chatops:greeting -->"}]),
        ),
    ])
    .await;
    let spec = CommentSpec {
        repository: "acme/shop".into(),
        number: 5,
        marker: "greeting".into(),
        body: "Hello".into(),
    };
    for _ in 0..2 {
        gh.call(&spec.repository, async |repo| {
            issues::comment(repo, &spec).await
        })
        .await
        .expect("commented");
    }
    let seen = calls(&script);
    let posts: Vec<&Value> = seen
        .iter()
        .filter(|(c, _)| c.starts_with("POST"))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(
        posts,
        [&json!({"body": "Hello\n\n<!-- chatops:greeting -->"})]
    );
}

#[tokio::test]
async fn issues_labels_reviewers_statuses_and_merges_send_what_github_documents() {
    let (gh, script) = github(&[
        (
            "GET /repos/acme/shop/issues?state=all&labels=FR-1",
            200,
            json!([{"number": 2, "pull_request": {"url": "x"}}]),
        ),
        ("POST /repos/acme/shop/issues", 201, json!({"number": 9})),
        ("PATCH /repos/acme/shop/issues/9", 200, json!({})),
        ("POST /repos/acme/shop/issues/7/labels", 200, json!([])),
        (
            "POST /repos/acme/shop/pulls/7/requested_reviewers",
            201,
            json!({}),
        ),
        (
            "POST /repos/acme/shop/statuses/h7",
            201,
            json!({"state": "success"}),
        ),
        (
            "GET /repos/acme/shop/pulls/7",
            200,
            json!({"merged": false}),
        ),
        (
            "PUT /repos/acme/shop/pulls/7/merge",
            200,
            json!({"sha": "m7", "merged": true}),
        ),
        (
            "GET /repos/acme/shop/pulls/7",
            200,
            json!({"merged": true, "merge_commit_sha": "m7"}),
        ),
    ])
    .await;
    let repository = "acme/shop";
    let issue = IssueSpec {
        repository: repository.into(),
        title: "FR-1".into(),
        body: "b".into(),
        label: "FR-1".into(),
    };
    let n = gh
        .call(repository, async |repo| issues::ensure(repo, &issue).await)
        .await
        .expect("issue");
    assert_eq!(n, 9);
    let close = CloseIssueSpec {
        repository: repository.into(),
        number: 9,
    };
    gh.call(repository, async |repo| issues::close(repo, &close).await)
        .await
        .expect("closed");
    let labels = LabelSpec {
        repository: repository.into(),
        number: 7,
        labels: vec!["feature".into()],
    };
    gh.call(repository, async |repo| issues::label(repo, &labels).await)
        .await
        .expect("labelled");
    let reviewers = ReviewersSpec {
        repository: repository.into(),
        number: 7,
        reviewers: vec!["octocat".into()],
    };
    gh.call(repository, async |repo| {
        pulls::request_reviewers(repo, &reviewers).await
    })
    .await
    .expect("requested");
    let status = StatusSpec {
        repository: repository.into(),
        sha: "h7".into(),
        state: "success".into(),
        context: "chatops/unit_tests".into(),
        description: "d".repeat(150),
    };
    gh.call(repository, async |repo| statuses::set(repo, &status).await)
        .await
        .expect("status");
    let merge = MergeSpec {
        repository: repository.into(),
        number: 7,
        title: "feat: x (#7)".into(),
        sha: Some("h7".into()),
    };
    for _ in 0..2 {
        let sha = gh
            .call(repository, async |repo| pulls::merge(repo, &merge).await)
            .await
            .expect("merged");
        assert_eq!(sha, "m7");
    }
    let bodies: Vec<(String, Value)> = calls(&script)
        .into_iter()
        .filter(|(c, _)| !c.starts_with("GET"))
        .collect();
    let expected = [
        (
            "POST /repos/acme/shop/issues",
            json!({"title": "FR-1", "body": "b", "labels": ["chatops", "FR-1"]}),
        ),
        (
            "PATCH /repos/acme/shop/issues/9",
            json!({"state": "closed", "state_reason": "completed"}),
        ),
        (
            "POST /repos/acme/shop/issues/7/labels",
            json!({"labels": ["feature"]}),
        ),
        (
            "POST /repos/acme/shop/pulls/7/requested_reviewers",
            json!({"reviewers": ["octocat"]}),
        ),
        (
            "POST /repos/acme/shop/statuses/h7",
            json!({"state": "success", "context": "chatops/unit_tests", "description": "d".repeat(140)}),
        ),
        (
            "PUT /repos/acme/shop/pulls/7/merge",
            json!({"commit_title": "feat: x (#7)", "merge_method": "squash", "sha": "h7"}),
        ),
    ];
    assert_eq!(bodies.len(), expected.len(), "{bodies:?}");
    for ((call, body), (want_call, want_body)) in bodies.iter().zip(expected) {
        assert_eq!((call.as_str(), body), (want_call, &want_body));
    }
}

#[tokio::test]
async fn checks_are_read_from_the_combined_status() {
    let (gh, _) = github(&[
        (
            "GET /repos/acme/shop/commits/h1/status",
            200,
            json!({"state": "failure", "statuses": [
                {"state": "success", "context": "lint"},
                {"state": "failure", "context": "tests"},
                {"state": "error", "context": "build"},
            ]}),
        ),
        (
            "GET /repos/acme/shop/commits/h2/status",
            200,
            json!({"state": "pending", "statuses": [], "total_count": 0}),
        ),
    ])
    .await;
    let pr = |sha: &str| PullRef {
        repository: "acme/shop".into(),
        number: 1,
        url: String::new(),
        head_sha: sha.into(),
    };
    let (one, two) = (pr("h1"), pr("h2"));
    let checks = gh
        .call("acme/shop", async |repo| {
            statuses::of_pull(repo, &one).await
        })
        .await
        .expect("read");
    assert_eq!(
        checks,
        Checks {
            state: "failure".into(),
            total: 3,
            failed: vec!["tests".into(), "build".into()],
        }
    );
    let none = gh
        .call("acme/shop", async |repo| {
            statuses::of_pull(repo, &two).await
        })
        .await
        .expect("read");
    assert_eq!((none.state.as_str(), none.total), ("none", 0));
}

#[tokio::test]
async fn refusals_fail_at_once_and_outages_are_retried() {
    let (gh, _) = github(&[
        (
            "GET /repos/acme/shop",
            401,
            json!({"message": "Bad credentials"}),
        ),
        (
            "GET /repos/acme/shop",
            502,
            json!({"message": "Bad Gateway"}),
        ),
    ])
    .await;
    let branch = BranchSpec {
        repository: "acme/shop".into(),
        branch: "b".into(),
    };
    let refused = gh
        .call(&branch.repository, async |repo| {
            branches::prepare(repo, &branch).await
        })
        .await
        .expect_err("401");
    let (permanent, message) = text(&refused);
    assert!(permanent, "{message}");
    assert!(
        message.contains("GET /repos/acme/shop: GitHub rejected CHATOPS__GITHUB__TOKEN (401"),
        "{message}"
    );
    let down = gh
        .call(&branch.repository, async |repo| {
            branches::prepare(repo, &branch).await
        })
        .await
        .expect_err("502");
    assert!(!text(&down).0);
    let bad = gh
        .call("acme", async |_| Ok(()))
        .await
        .expect_err("not owner/name");
    assert!(text(&bad).0);
    let unconfigured =
        GitHubActivities::new(&url::Url::parse("http://127.0.0.1:9").expect("url"), None)
            .expect("activities");
    let off = unconfigured
        .call("acme/shop", async |_| Ok(()))
        .await
        .expect_err("no token");
    assert!(text(&off).1.contains("CHATOPS__GITHUB__TOKEN"));
}

#[tokio::test]
async fn file_paths_are_checked_before_anything_is_committed() {
    let (gh, script) = github(&[]).await;
    let file = |path: &str| FileChange {
        path: path.into(),
        content: "x".into(),
        ..FileChange::default()
    };
    let unsafe_files = [
        file("docs/post mortems/2026 #1.md"),
        file("../.github/workflows/ci.yml"),
    ];
    let refused = gh
        .call("acme/shop", async |repo| {
            branches::commit_files(repo, "feat", "m", &unsafe_files).await
        })
        .await
        .expect_err("a path climbing out of the repository");
    let (permanent, message) = text(&refused);
    assert!(permanent, "{message}");
    assert!(
        message.contains("path `../.github/workflows/ci.yml` must be relative to the repository root, without `..`; nothing was committed"),
        "{message}"
    );
    assert!(calls(&script).is_empty(), "nothing reached GitHub");
}
