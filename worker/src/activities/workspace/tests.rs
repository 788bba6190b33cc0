//! Workspaces against a real git repository served over `file://`: checkouts at an exact
//! commit, the change read back from the checkout, the guard rails, and the cap.

use super::*;
use std::process::Command;

/// A scratch folder removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "chatops-ws-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A forge folder holding `acme/shop.git` with two commits; returns (forge, first, second).
fn forge(scratch: &Scratch) -> (PathBuf, String, String) {
    let forge = scratch.0.join("forge");
    let src = scratch.0.join("src");
    std::fs::create_dir_all(src.join("app")).expect("src");
    run(&src, &["init", "-q", "-b", "main"]);
    std::fs::write(src.join("app/main.py"), "print('v1')\n").expect("write");
    std::fs::write(src.join("README.md"), "shop\n").expect("write");
    std::fs::write(src.join("old.txt"), "old\n").expect("write");
    std::fs::write(src.join(".gitignore"), "build/\n").expect("write");
    run(&src, &["add", "-A"]);
    run(&src, &["commit", "-q", "-m", "one"]);
    let first = run(&src, &["rev-parse", "HEAD"]);
    std::fs::write(src.join("app/main.py"), "print('v2')\n").expect("write");
    run(&src, &["commit", "-q", "-am", "two"]);
    let second = run(&src, &["rev-parse", "HEAD"]);
    std::fs::create_dir_all(forge.join("acme")).expect("forge");
    run(
        &scratch.0,
        &[
            "clone",
            "-q",
            "--bare",
            src.to_str().expect("utf-8"),
            forge.join("acme/shop.git").to_str().expect("utf-8"),
        ],
    );
    run(
        &forge.join("acme/shop.git"),
        &["config", "uploadpack.allowAnySHA1InWant", "true"],
    );
    (forge, first, second)
}

fn workspaces(scratch: &Scratch, forge: &Path, max_bytes: u64) -> Workspaces {
    let url = url::Url::from_directory_path(forge).expect("a file URL");
    Workspaces::new(
        scratch.0.join("workspaces"),
        max_bytes,
        vec![
            ".github/workflows/**".into(),
            "CODEOWNERS".into(),
            "*.pem".into(),
        ],
        url,
        Some(SecretString::from("t0ken".to_owned())),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test]
async fn a_checkout_holds_the_exact_commit_and_is_removed_when_dropped() {
    let scratch = Scratch::new("exact");
    let (forge, first, second) = forge(&scratch);
    let ws = workspaces(&scratch, &forge, 1 << 30);
    let old = ws.checkout("acme/shop", &first).await.expect("first");
    let new = ws.checkout("acme/shop", &second).await.expect("second");
    assert_eq!(read(&old.dir().join("app/main.py")), "print('v1')\n");
    assert_eq!(read(&new.dir().join("app/main.py")), "print('v2')\n");
    assert_ne!(old.dir(), new.dir(), "every step has its own folder");
    let dir = old.dir().to_owned();
    drop(old);
    assert!(!dir.exists(), "the checkout is gone once its step ends");
    // Warm: the cache has the commit, so the forge is not asked again.
    std::fs::remove_dir_all(&forge).expect("forge removed");
    let again = ws
        .checkout("acme/shop", &second)
        .await
        .expect("from the cache");
    assert_eq!(read(&again.dir().join("app/main.py")), "print('v2')\n");
    let err = ws
        .checkout(
            "acme/shop",
            &first.replace(|c: char| c.is_ascii_digit(), "0"),
        )
        .await
        .expect_err("unknown commit");
    assert!(err.contains("cannot fetch"), "{err}");
}

#[tokio::test]
async fn bad_names_are_refused_before_git_runs() {
    let scratch = Scratch::new("names");
    let (forge, first, _) = forge(&scratch);
    let ws = workspaces(&scratch, &forge, 1 << 30);
    for (repo, sha, want) in [
        ("acme", first.as_str(), "not a repository like owner/name"),
        (
            "../etc/x",
            first.as_str(),
            "not a repository like owner/name",
        ),
        ("acme/shop", "main", "is not a commit sha"),
        ("acme/shop", "--upload-pack=touch", "is not a commit sha"),
    ] {
        let err = ws.checkout(repo, sha).await.expect_err(repo);
        assert!(err.contains(want), "{repo} {sha}: {err}");
    }
}

#[tokio::test]
async fn the_change_is_read_from_the_checkout_with_deletions_and_the_executable_bit() {
    let scratch = Scratch::new("changes");
    let (forge, _, second) = forge(&scratch);
    let ws = workspaces(&scratch, &forge, 1 << 30);
    let w = ws.checkout("acme/shop", &second).await.expect("checkout");
    let dir = w.dir().to_owned();
    std::fs::write(dir.join("app/main.py"), "print('v3')\n").expect("modify");
    std::fs::write(dir.join("app/new.py"), "x = 1\n").expect("add");
    std::fs::remove_file(dir.join("old.txt")).expect("delete");
    std::fs::create_dir_all(dir.join("build")).expect("ignored");
    std::fs::write(dir.join("build/out.o"), "junk").expect("ignored");
    set_executable(&dir.join("README.md"), true).expect("chmod");
    let mut changes = ws.changes(&w).await.expect("changes");
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    let seen: Vec<(&str, &str, bool, bool)> = changes
        .iter()
        .map(|c| (c.path.as_str(), c.content.as_str(), c.deleted, c.executable))
        .collect();
    assert_eq!(
        seen,
        [
            ("README.md", "shop\n", false, true),
            ("app/main.py", "print('v3')\n", false, false),
            ("app/new.py", "x = 1\n", false, false),
            ("old.txt", "", true, false),
        ]
    );
}

#[tokio::test]
async fn protected_paths_links_and_paths_outside_are_refused() {
    let scratch = Scratch::new("guards");
    let (forge, _, second) = forge(&scratch);
    let ws = workspaces(&scratch, &forge, 1 << 30);

    let w = ws.checkout("acme/shop", &second).await.expect("checkout");
    std::fs::create_dir_all(w.dir().join(".github/workflows")).expect("dir");
    std::fs::write(w.dir().join(".github/workflows/ci.yml"), "on: push\n").expect("write");
    let err = ws.changes(&w).await.expect_err("protected");
    assert!(
        err.contains(".github/workflows/ci.yml, a protected path (`.github/workflows/**`"),
        "{err}"
    );

    let w = ws.checkout("acme/shop", &second).await.expect("checkout");
    std::os::unix::fs::symlink("/etc/passwd", w.dir().join("passwd")).expect("link");
    let err = ws.changes(&w).await.expect_err("a link");
    assert!(err.contains("passwd is a symbolic link"), "{err}");

    let w = ws.checkout("acme/shop", &second).await.expect("checkout");
    let outside = scratch.0.join("outside");
    std::fs::create_dir_all(&outside).expect("dir");
    std::os::unix::fs::symlink(&outside, w.dir().join("escape")).expect("link");
    let err = ws
        .apply(
            &w,
            &[FileChange {
                path: "escape/pwned.txt".into(),
                content: "x".into(),
                ..FileChange::default()
            }],
        )
        .expect_err("outside");
    assert!(err.contains("leads outside the repository"), "{err}");
    assert!(!outside.join("pwned.txt").exists());
    let err = ws
        .apply(
            &w,
            &[FileChange {
                path: "../pwned.txt".into(),
                content: "x".into(),
                ..FileChange::default()
            }],
        )
        .expect_err("dot-dot");
    assert!(err.contains("without `..`"), "{err}");
}

#[tokio::test]
async fn an_agents_proposed_files_are_written_and_read_back_as_the_change() {
    let scratch = Scratch::new("apply");
    let (forge, _, second) = forge(&scratch);
    let ws = workspaces(&scratch, &forge, 1 << 30);
    let w = ws.checkout("acme/shop", &second).await.expect("checkout");
    ws.apply(
        &w,
        &[
            FileChange {
                path: "./bin/run".into(),
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
    )
    .expect("applied");
    let changes = ws.changes(&w).await.expect("changes");
    let seen: Vec<(&str, bool, bool)> = changes
        .iter()
        .map(|c| (c.path.as_str(), c.deleted, c.executable))
        .collect();
    assert_eq!(seen, [("bin/run", false, true), ("old.txt", true, false)]);
}

#[tokio::test]
async fn over_the_cap_the_least_recently_used_cache_is_removed_first() {
    let scratch = Scratch::new("cap");
    let (forge, first, _) = forge(&scratch);
    // A second repository with the same history.
    run(
        &scratch.0,
        &[
            "clone",
            "-q",
            "--bare",
            forge.join("acme/shop.git").to_str().expect("utf-8"),
            forge.join("acme/web.git").to_str().expect("utf-8"),
        ],
    );
    run(
        &forge.join("acme/web.git"),
        &["config", "uploadpack.allowAnySHA1InWant", "true"],
    );
    let ws = workspaces(&scratch, &forge, 1);
    let shop_cache = scratch.0.join("workspaces/cache/acme/shop.git");
    let web_cache = scratch.0.join("workspaces/cache/acme/web.git");
    let shop = ws.checkout("acme/shop", &first).await.expect("shop");
    assert!(
        shop_cache.exists(),
        "a cache in use is kept, even over the cap"
    );
    drop(shop);
    let _web = ws.checkout("acme/web", &first).await.expect("web");
    assert!(!shop_cache.exists(), "the unused cache went first");
    assert!(web_cache.exists(), "the cache in use stays");
}

#[test]
fn protected_rules_match_folders_endings_and_exact_paths() {
    let table = [
        (".github/workflows/**", ".github/workflows/ci.yml", true),
        (".github/workflows/**", ".github/workflows/a/b.yml", true),
        (".github/workflows/**", ".github/workflowsx/ci.yml", false),
        ("CODEOWNERS", "CODEOWNERS", true),
        ("CODEOWNERS", "docs/CODEOWNERS", false),
        ("*.pem", "keys/server.pem", true),
        ("*.pem", "keys/server.pem.txt", false),
        ("/infra/**", "infra/prod.tf", true),
    ];
    for (rule, path, want) in table {
        assert_eq!(matches_rule(rule, path), want, "{rule} {path}");
    }
}
