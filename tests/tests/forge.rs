//! The local GitHub itself: a real repository behind git's smart HTTP protocol and GitHub's
//! REST shapes, exercised with the real git CLI. No Temporal needed.

use base64::Engine as _;
use bytes::Bytes;
use chatops_e2e::github::{self, LocalGitHub};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::path::Path;

/// The header git sends GitHub: the token as the password of any user.
fn basic(token: &str) -> String {
    let pair = format!("x-access-token:{token}");
    format!(
        "Authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Runs the git CLI in `dir` with nothing inherited but `PATH`; `(succeeded, stdout, stderr)`.
async fn git(dir: &Path, args: &[&str]) -> anyhow::Result<(bool, String, String)> {
    let out = tokio::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .await?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    ))
}

/// Like [`git`], failing unless git succeeded; its output.
async fn ok(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let (good, out, err) = git(dir, args).await?;
    anyhow::ensure!(good, "git {}: {err}", args.join(" "));
    Ok(out)
}

/// Clones `acme/shop` with the right token into `dir/shop`.
async fn clone(gh: &LocalGitHub, dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let header = format!("http.extraHeader={}", basic(github::TOKEN));
    let url = format!("{}/{}.git", gh.git_url(), github::REPOSITORY);
    ok(dir, &["-c", &header, "clone", "--quiet", &url, "shop"]).await?;
    Ok(dir.join("shop"))
}

/// A REST call with the token; `(status, body)`.
async fn rest(
    gh: &LocalGitHub,
    method: &str,
    route: &str,
    accept: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<(u16, Bytes)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(format!("{}/repos/{}/{route}", gh.url, github::REPOSITORY))
        .header("authorization", format!("Bearer {}", github::TOKEN))
        .header("accept", accept.unwrap_or("application/vnd.github+json"));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let answer = client
        .request(req.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = answer.status().as_u16();
    let bytes = answer.into_body().collect().await?.to_bytes();
    Ok((status, bytes))
}

/// A REST call answering JSON; `(status, json)`.
async fn api(
    gh: &LocalGitHub,
    method: &str,
    route: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let (status, bytes) = rest(gh, method, route, None, body).await?;
    Ok((status, serde_json::from_slice(&bytes)?))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clone_with_the_token_gets_the_seed_and_a_wrong_token_is_refused() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("forge-clone")?;

    let shop = clone(&gh, &dir).await?;
    assert_eq!(ok(&shop, &["rev-parse", "HEAD"]).await?, gh.base_sha());
    let again = LocalGitHub::start().await?;
    assert_eq!(again.base_sha(), gh.base_sha(), "the seed's sha is fixed");
    drop(again);
    let modes = ok(&shop, &["ls-files", "-s", "scripts/check.sh"]).await?;
    assert!(modes.starts_with("100755 "), "{modes}");
    let tests = tokio::process::Command::new("sh")
        .arg("scripts/check.sh")
        .current_dir(&shop)
        .output()
        .await?;
    let said = String::from_utf8_lossy(&tests.stderr);
    assert!(
        tests.status.success() && said.contains("Ran 3 tests"),
        "{said}"
    );

    let header = format!("http.extraHeader={}", basic("ghp_wrong"));
    let url = format!("{}/{}.git", gh.git_url(), github::REPOSITORY);
    let (cloned, _, err) = git(&dir, &["-c", &header, "clone", &url, "refused"]).await?;
    assert!(!cloned, "a wrong token cloned");
    assert!(!dir.join("refused/README.md").exists(), "{err}");
    let (cloned, _, _) = git(&dir, &["clone", &url, "anonymous"]).await?;
    assert!(!cloned, "no token cloned");

    // What git was told: 401 with GitHub's challenge.
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let asked = hyper::Request::get(format!("{url}/info/refs?service=git-upload-pack"))
        .header("authorization", "Bearer ghp_wrong")
        .body(Full::new(Bytes::new()))?;
    let answer = client.request(asked).await?;
    assert_eq!(answer.status().as_u16(), 401);
    assert_eq!(
        answer
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Basic realm=\"GitHub\"")
    );
    assert!(gh.with(|r| r.calls.iter().any(|c| c == "GIT upload-pack")));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exact_commit_is_fetched_with_depth_one() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("forge-fetch")?;
    // The seed is no longer any branch's tip.
    let tip = gh.push_file("main", "README.md", "# shop\n\nMoved on.\n")?;
    assert_eq!(gh.head("main"), Some(tip));

    let work = dir.join("work");
    std::fs::create_dir_all(&work)?;
    ok(&work, &["init", "--quiet"]).await?;
    let url = format!("{}/{}.git", gh.git_url(), github::REPOSITORY);
    ok(&work, &["remote", "add", "origin", &url]).await?;
    let header = format!("http.extraHeader={}", basic(github::TOKEN));
    let base = gh.base_sha();
    ok(
        &work,
        &[
            "-c", &header, "fetch", "--quiet", "--depth", "1", "origin", &base,
        ],
    )
    .await?;
    assert_eq!(ok(&work, &["rev-parse", "FETCH_HEAD"]).await?, base);
    assert_eq!(
        ok(&work, &["rev-list", "--count", "FETCH_HEAD"]).await?,
        "1"
    );
    ok(&work, &["checkout", "--quiet", "FETCH_HEAD"]).await?;
    assert_eq!(
        std::fs::read_to_string(work.join("README.md"))?,
        gh.file_at(&base, "README.md").unwrap_or_default()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_git_data_api_commits_exactly_the_changes_asked_for() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("forge-data")?;
    let base = gh.base_sha();
    let (code, commit) = api(&gh, "GET", &format!("git/commits/{base}"), None).await?;
    assert_eq!(
        (code, commit["message"].as_str()),
        (200, Some("Initial commit"))
    );
    let base_tree = commit["tree"]["sha"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let discount = "def apply(total, percent):\n    return total * (100 - percent) // 100\n";
    let encoded = base64::engine::general_purpose::STANDARD.encode(discount);
    let (code, blob) = api(
        &gh,
        "POST",
        "git/blobs",
        Some(json!({"content": encoded, "encoding": "base64"})),
    )
    .await?;
    assert_eq!(code, 201);
    let tree_request = json!({
        "base_tree": base_tree,
        "tree": [
            {"path": "shop/discount.py", "mode": "100644", "type": "blob", "sha": blob["sha"]},
            {"path": "shop/cart.py", "mode": "100644", "type": "blob", "content": "def total(items):\n    return 0\n"},
            {"path": "README.md", "mode": "100644", "type": "blob", "sha": null},
            {"path": "scripts/release.sh", "mode": "100755", "type": "blob", "content": "#!/bin/sh\necho release\n"},
        ],
    });
    let (code, tree) = api(&gh, "POST", "git/trees", Some(tree_request)).await?;
    assert_eq!(code, 201, "{tree}");
    let (code, made) = api(
        &gh,
        "POST",
        "git/commits",
        Some(json!({"message": "feat: discounts", "tree": tree["sha"], "parents": [base]})),
    )
    .await?;
    assert_eq!(code, 201, "{made}");
    assert_eq!(made["tree"]["sha"], tree["sha"]);
    assert_eq!(made["parents"][0]["sha"], base.as_str());
    let sha = made["sha"].as_str().unwrap_or_default().to_owned();
    let (code, moved) = api(
        &gh,
        "PATCH",
        "git/refs/heads/main",
        Some(json!({"sha": sha, "force": false})),
    )
    .await?;
    assert_eq!((code, &moved["object"]["sha"]), (200, &json!(sha)));

    let shop = clone(&gh, &dir).await?;
    assert_eq!(ok(&shop, &["rev-parse", "HEAD"]).await?, sha);
    let changed = ok(&shop, &["diff", "--name-status", &base, "HEAD"]).await?;
    assert_eq!(
        changed.lines().collect::<Vec<_>>(),
        [
            "D\tREADME.md",
            "A\tscripts/release.sh",
            "M\tshop/cart.py",
            "A\tshop/discount.py",
        ]
    );
    let release = ok(&shop, &["ls-files", "-s", "scripts/release.sh"]).await?;
    assert!(release.starts_with("100755 "), "{release}");
    assert_eq!(
        std::fs::read_to_string(shop.join("shop/discount.py"))?,
        discount
    );
    // The helpers read the same repository.
    assert!(gh.is_executable("main", "scripts/release.sh"));
    assert!(!gh.is_executable("main", "shop/cart.py"));
    assert!(!gh.paths_at("main").contains(&"README.md".to_owned()));
    assert_eq!(
        gh.log("main"),
        [
            (base.clone(), "Initial commit".to_owned()),
            (sha.clone(), "feat: discounts".to_owned())
        ]
    );
    let (code, shown) = api(&gh, "GET", "commits/main", None).await?;
    assert_eq!((code, &shown["sha"]), (200, &json!(sha)));
    assert_eq!(shown["commit"]["tree"]["sha"], tree["sha"]);
    assert_eq!(shown["parents"][0]["sha"], base.as_str());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn refs_move_only_forward_unless_forced_and_bad_objects_are_refused() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let base = gh.base_sha();
    let (code, made) = api(
        &gh,
        "POST",
        "git/refs",
        Some(json!({"ref": "refs/heads/topic", "sha": base})),
    )
    .await?;
    assert_eq!((code, &made["object"]["sha"]), (201, &json!(base)));
    let (code, again) = api(
        &gh,
        "POST",
        "git/refs",
        Some(json!({"ref": "refs/heads/topic", "sha": base})),
    )
    .await?;
    assert_eq!(
        (code, &again["message"]),
        (422, &json!("Reference already exists"))
    );

    // Main moves on; a commit beside it is no fast forward.
    gh.push_file("main", "NOTES.md", "notes\n")?;
    let tree = gh_tree(&gh, &base).await?;
    let (_, beside) = api(
        &gh,
        "POST",
        "git/commits",
        Some(json!({"message": "beside", "tree": tree, "parents": [base]})),
    )
    .await?;
    let patch = |force: bool| json!({"sha": beside["sha"], "force": force});
    let (code, refused) = api(&gh, "PATCH", "git/refs/heads/main", Some(patch(false))).await?;
    assert_eq!(
        (code, &refused["message"]),
        (422, &json!("Update is not a fast forward"))
    );
    let (code, _) = api(&gh, "PATCH", "git/refs/heads/main", Some(patch(true))).await?;
    assert_eq!(code, 200);
    assert_eq!(gh.head("main").as_deref(), beside["sha"].as_str());

    let unknown = "0123456789012345678901234567890123456789";
    let (code, _) = api(
        &gh,
        "POST",
        "git/trees",
        Some(json!({"base_tree": unknown, "tree": []})),
    )
    .await?;
    assert_eq!(code, 422, "unknown base tree");
    let (code, _) = api(
        &gh,
        "POST",
        "git/trees",
        Some(json!({"tree": [{"path": "a", "mode": "100644", "type": "blob", "sha": unknown}]})),
    )
    .await?;
    assert_eq!(code, 422, "unknown blob");
    let (code, _) = api(&gh, "GET", &format!("git/commits/{unknown}"), None).await?;
    assert_eq!(code, 404);
    Ok(())
}

/// The tree of commit `sha`.
async fn gh_tree(gh: &LocalGitHub, sha: &str) -> anyhow::Result<String> {
    let (_, commit) = api(gh, "GET", &format!("git/commits/{sha}"), None).await?;
    Ok(commit["tree"]["sha"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn contents_commit_for_real_and_refuse_stale_or_missing_shas() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let (code, read) = api(&gh, "GET", "contents/shop/cart.py?ref=main", None).await?;
    assert_eq!(code, 200);
    let clean: String = read["content"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let text = base64::engine::general_purpose::STANDARD.decode(clean)?;
    assert_eq!(
        Some(String::from_utf8(text)?),
        gh.file_at("main", "shop/cart.py")
    );
    let put = |sha: Option<&str>| {
        let mut body = json!({
            "message": "fix: cart",
            "content": base64::engine::general_purpose::STANDARD.encode("def total(items):\n    return 1\n"),
            "branch": "main",
        });
        if let Some(sha) = sha {
            body["sha"] = json!(sha);
        }
        body
    };
    let (code, _) = api(&gh, "PUT", "contents/shop/cart.py", Some(put(None))).await?;
    assert_eq!(code, 422, "no sha for an existing file");
    let (code, _) = api(&gh, "PUT", "contents/shop/cart.py", Some(put(Some("abc")))).await?;
    assert_eq!(code, 409, "a stale sha");
    let current = read["sha"].as_str();
    let (code, done) = api(&gh, "PUT", "contents/shop/cart.py", Some(put(current))).await?;
    assert_eq!(code, 200, "{done}");
    assert_eq!(gh.head("main").as_deref(), done["commit"]["sha"].as_str());
    assert_eq!(
        gh.file_at("main", "shop/cart.py").as_deref(),
        Some("def total(items):\n    return 1\n")
    );
    let (code, _) = api(&gh, "GET", "contents/nothing.txt?ref=main", None).await?;
    assert_eq!(code, 404);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_request_shows_its_diff_and_squash_merges_only_at_its_head() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let base = gh.base_sha();
    api(
        &gh,
        "POST",
        "git/refs",
        Some(json!({"ref": "refs/heads/feature", "sha": base})),
    )
    .await?;
    let first = gh.push_file("feature", "shop/tax.py", "RATE = 20\n")?;
    let (code, pr) = api(
        &gh,
        "POST",
        "pulls",
        Some(json!({"title": "Tax", "head": "feature", "base": "main", "body": "adds tax"})),
    )
    .await?;
    assert_eq!(code, 201, "{pr}");
    assert_eq!(
        (&pr["head"]["sha"], &pr["base"]["sha"], &pr["head"]["ref"]),
        (&json!(first), &json!(base), &json!("feature"))
    );
    let n = pr["number"].as_u64().unwrap_or_default();

    let (code, diff) = rest(
        &gh,
        "GET",
        &format!("pulls/{n}"),
        Some("application/vnd.github.diff"),
        None,
    )
    .await?;
    let diff = String::from_utf8_lossy(&diff);
    assert_eq!(code, 200);
    assert!(
        diff.starts_with("diff --git a/shop/tax.py b/shop/tax.py"),
        "{diff}"
    );
    assert!(diff.contains("+RATE = 20"), "{diff}");

    // Someone pushes after the head was read: a merge at the old head is refused.
    let second = gh.push_file("feature", "shop/tax.py", "RATE = 21\n")?;
    let merge =
        |sha: &str| json!({"commit_title": "feat: tax (#1)", "merge_method": "squash", "sha": sha});
    let (code, stale) = api(&gh, "PUT", &format!("pulls/{n}/merge"), Some(merge(&first))).await?;
    assert_eq!(
        (code, &stale["message"]),
        (
            409,
            &json!("Head branch was modified. Review and try the merge again.")
        )
    );
    let (_, pr) = api(&gh, "GET", &format!("pulls/{n}"), None).await?;
    assert_eq!(pr["head"]["sha"], second.as_str(), "the head is read fresh");

    let (code, merged) = api(
        &gh,
        "PUT",
        &format!("pulls/{n}/merge"),
        Some(merge(&second)),
    )
    .await?;
    assert_eq!((code, &merged["merged"]), (200, &json!(true)), "{merged}");
    let squash = merged["sha"].as_str().unwrap_or_default().to_owned();
    assert_eq!(gh.head("main"), Some(squash.clone()));
    assert_eq!(gh_tree(&gh, &squash).await?, gh_tree(&gh, &second).await?);
    let (_, commit) = api(&gh, "GET", &format!("git/commits/{squash}"), None).await?;
    assert_eq!(commit["parents"].as_array().map(Vec::len), Some(1));
    assert_eq!(commit["parents"][0]["sha"], base.as_str());
    assert_eq!(commit["message"], "feat: tax (#1)");

    let (_, pr) = api(&gh, "GET", &format!("pulls/{n}"), None).await?;
    assert_eq!(
        (&pr["state"], &pr["merged"], &pr["merge_commit_sha"]),
        (&json!("closed"), &json!(true), &json!(squash))
    );
    let (code, again) = api(
        &gh,
        "PUT",
        &format!("pulls/{n}/merge"),
        Some(merge(&second)),
    )
    .await?;
    assert_eq!(
        (code, &again["message"]),
        (405, &json!("Pull Request is not mergeable"))
    );
    assert_eq!(gh.with(|r| r.merges.clone()), [n]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn statuses_combine_per_real_commit_and_tarballs_hold_the_tree() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let base = gh.base_sha();
    for (context, state) in [
        ("ci/unit", "pending"),
        ("ci/unit", "success"),
        ("ci/lint", "failure"),
    ] {
        let (code, _) = api(
            &gh,
            "POST",
            &format!("statuses/{base}"),
            Some(json!({"state": state, "context": context})),
        )
        .await?;
        assert_eq!(code, 201);
    }
    let (code, combined) = api(&gh, "GET", "commits/main/status", None).await?;
    assert_eq!((code, &combined["state"]), (200, &json!("failure")));
    assert_eq!(combined["sha"], base.as_str());
    assert_eq!(combined["total_count"], 2);

    let (code, archive) = rest(&gh, "GET", "tarball/main", None, None).await?;
    assert_eq!(code, 200);
    let dir = chatops_e2e::scratch("forge-tarball")?;
    std::fs::write(dir.join("shop.tar.gz"), &archive)?;
    let listed = tokio::process::Command::new("tar")
        .args(["-tzf", "shop.tar.gz"])
        .current_dir(&dir)
        .output()
        .await?;
    let listed = String::from_utf8_lossy(&listed.stdout);
    let top = format!("acme-shop-{}/", &base[..7]);
    assert!(listed.contains(&format!("{top}shop/cart.py")), "{listed}");
    assert!(listed.lines().all(|l| l.starts_with(&top)), "{listed}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_with_the_token_moves_the_branch() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let dir = chatops_e2e::scratch("forge-push")?;
    let shop = clone(&gh, &dir).await?;
    std::fs::write(
        shop.join("shop/cart.py"),
        "def total(items):\n    return 2\n",
    )?;
    let who = [
        "-c",
        "user.name=Pusher",
        "-c",
        "user.email=pusher@acme.example",
    ];
    ok(
        &shop,
        &[&who[..], &["commit", "--quiet", "-am", "fix: cart"]].concat(),
    )
    .await?;
    let pushed = ok(&shop, &["rev-parse", "HEAD"]).await?;

    let header = format!("http.extraHeader={}", basic(github::TOKEN));
    ok(
        &shop,
        &["-c", &header, "push", "--quiet", "origin", "HEAD:main"],
    )
    .await?;
    assert_eq!(gh.head("main"), Some(pushed));
    assert_eq!(
        gh.log("main").last().map(|(_, m)| m.as_str()),
        Some("fix: cart")
    );
    assert!(gh.with(|r| r.calls.iter().any(|c| c == "GIT receive-pack")));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gzipped_upload_pack_request_is_understood() -> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    // Protocol v0: one want, then done; gzipped as git sends large requests.
    let request = format!("0032want {}\n00000009done\n", gh.base_sha());
    let mut gzip = tokio::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = gzip.stdin.take() {
        tokio::io::AsyncWriteExt::write_all(&mut stdin, request.as_bytes()).await?;
    }
    let body = gzip.wait_with_output().await?.stdout;

    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let url = format!(
        "{}/{}.git/git-upload-pack",
        gh.git_url(),
        github::REPOSITORY
    );
    let asked = hyper::Request::post(url)
        .header("authorization", format!("Bearer {}", github::TOKEN))
        .header("content-type", "application/x-git-upload-pack-request")
        .header("content-encoding", "gzip")
        .body(Full::new(Bytes::from(body)))?;
    let answer = client.request(asked).await?;
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-git-upload-pack-result")
    );
    let pack = answer.into_body().collect().await?.to_bytes();
    assert!(pack.starts_with(b"0008NAK\n"), "{pack:?}");
    assert!(
        pack.windows(4).any(|w| w == b"PACK"),
        "no pack in the answer"
    );
    Ok(())
}
