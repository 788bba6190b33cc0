use super::*;

fn shell() -> Shell {
    Shell::default()
}

#[tokio::test]
async fn commands_get_their_input_and_report_failures() {
    let out = shell()
        .run(
            "cat; echo \" $AGENT\"",
            &[("AGENT", "agent-3")],
            Some(b"in"),
            None,
            Duration::from_secs(10),
        )
        .await
        .expect("runs");
    assert!(out.ok);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "in agent-3");
    let out = shell()
        .run(
            "echo broken >&2; exit 3",
            &[],
            None,
            None,
            Duration::from_secs(10),
        )
        .await
        .expect("runs");
    assert!(!out.ok);
    assert_eq!(out.output, "exit 3: broken");
    let err = shell()
        .run("sleep 5", &[], None, None, Duration::from_millis(100))
        .await
        .err()
        .expect("times out");
    assert!(err.contains("did not finish within 100ms"), "{err}");
}

#[tokio::test]
async fn commands_run_in_the_folder_given() {
    let dir = std::env::temp_dir();
    let out = shell()
        .run("pwd", &[], None, Some(&dir), Duration::from_secs(10))
        .await
        .expect("runs");
    let here = std::fs::canonicalize(String::from_utf8_lossy(&out.stdout).trim()).expect("a path");
    assert_eq!(here, std::fs::canonicalize(&dir).expect("a path"));
}

/// The names of the variables a command sees.
async fn seen(shell: &Shell, env: &[(&str, &str)]) -> Vec<String> {
    let out = shell
        .run("env", env, None, None, Duration::from_secs(10))
        .await
        .expect("runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.to_owned()))
        .collect()
}

#[tokio::test]
async fn a_command_sees_only_the_base_variables_the_named_ones_and_its_own() {
    // `cargo test` gives this process variables no command is meant to see.
    let worker_only = "CARGO_PKG_NAME";
    assert!(
        std::env::var_os(worker_only).is_some(),
        "cargo sets {worker_only}"
    );

    let names = seen(&shell(), &[("CHATOPS_SHA", "abc123")]).await;
    let allowed = |n: &str| {
        BASE_ENV.contains(&n) || n == "CHATOPS_SHA" || ["PWD", "SHLVL", "_", "OLDPWD"].contains(&n)
    };
    let strays: Vec<&String> = names.iter().filter(|n| !allowed(n)).collect();
    assert!(
        strays.is_empty(),
        "variables leaked to a command: {strays:?}"
    );
    assert!(names.iter().any(|n| n == "PATH"), "PATH is kept: {names:?}");
    assert!(names.iter().any(|n| n == "CHATOPS_SHA"));

    let named = seen(&Shell::new(vec![worker_only.to_owned()]), &[]).await;
    assert!(named.iter().any(|n| n == worker_only), "{named:?}");
}

/// Whether process `pid` is gone (or a zombie waiting for its parent to read it).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn a_timeout_kills_what_the_command_started_too() {
    let dir = std::env::temp_dir().join(format!("chatops-shell-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let pidfile = dir.join("grandchild");
    let cmd = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
    let err = shell()
        .run(&cmd, &[], None, None, Duration::from_millis(500))
        .await
        .err()
        .expect("times out");
    assert!(err.contains("did not finish"), "{err}");
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .expect("the command wrote its child's pid")
        .trim()
        .parse()
        .expect("a pid");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !gone(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "the command's child {pid} outlived the timeout"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn input_a_command_never_reads_does_not_outlast_the_timeout() {
    // Far more than a pipe holds: writing it before the timeout started would block forever.
    let input = vec![b'x'; 4 << 20];
    let shell = shell();
    let run = shell.run(
        "sleep 30",
        &[],
        Some(&input),
        None,
        Duration::from_millis(300),
    );
    let answer = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the runner answers instead of blocking on the pipe");
    let err = answer.err().expect("times out");
    assert!(err.contains("did not finish within 300ms"), "{err}");
}

#[test]
fn the_worker_marks_itself_non_dumpable() {
    guard_worker().expect("prctl(PR_SET_DUMPABLE)");
    assert_eq!(
        rustix::process::dumpable_behavior().ok(),
        Some(rustix::process::DumpableBehavior::NotDumpable)
    );
}

#[tokio::test]
async fn output_is_bounded_and_the_cut_is_said() {
    let cmd = format!("head -c {} /dev/zero", MAX_STDOUT + (1 << 20));
    let out = shell()
        .run(&cmd, &[], None, None, Duration::from_secs(30))
        .await
        .expect("runs");
    assert!(out.ok);
    assert_eq!(out.stdout.len(), MAX_STDOUT);
    assert!(
        out.output.starts_with("exit 0 (output cut at 4 MiB)"),
        "{}",
        out.output
    );
}

#[test]
fn a_command_and_what_it_started_die_with_the_worker_that_ran_it() {
    // The thread that starts a command stands for the worker: it ends without a word, as a
    // SIGKILLed worker would, leaving the command's future unfinished and never dropped.
    let dir = std::env::temp_dir().join(format!("chatops-orphan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let pidfile = dir.join("grandchild");
    let cmd = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
    let watched = pidfile.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let shell = shell();
        let mut run = Box::pin(shell.run(&cmd, &[], None, None, Duration::from_secs(60)));
        runtime.block_on(async {
            tokio::select! {
                _ = &mut run => panic!("the command ended on its own"),
                () = async {
                    while !watched.exists() {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                } => {}
            }
        });
        std::mem::forget(run);
        std::mem::forget(runtime);
    })
    .join()
    .expect("the starting thread ends");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let pid: u32 = loop {
        // The file exists an instant before the pid is in it.
        if let Ok(Ok(pid)) = std::fs::read_to_string(&pidfile).map(|t| t.trim().parse()) {
            break pid;
        }
        assert!(std::time::Instant::now() < deadline, "no pid written");
        std::thread::sleep(Duration::from_millis(10));
    };
    while !gone(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "the command's child {pid} outlived the thread that started it"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
