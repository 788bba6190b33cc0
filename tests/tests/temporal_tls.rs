//! The bot and the worker reach Temporal over TLS, over mTLS, and refuse a server they cannot
//! trust: a TLS-terminating proxy with certificates made for the test sits in front of the
//! plain-text dev server.

use std::path::PathBuf;

use chatops_e2e::process::Supervised;
use chatops_e2e::temporal::{dev_server, free_port};
use chatops_e2e::tls::{AuthRecorder, Certs, SERVER_NAME, TlsProxy};
use chatops_e2e::{Stack, StackOptions};

fn certs(test: &str) -> anyhow::Result<Certs> {
    let dir: PathBuf = chatops_e2e::bin_dir()
        .join("e2e")
        .join(format!("{test}-certs-{}", std::process::id()));
    Certs::generate(&dir)
}

fn env(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Runs the worker with the stack's settings and `overrides` until it exits (it must, within
/// the deadline); returns whether it succeeded and what it printed.
fn worker_exit(stack: &Stack, overrides: &[(&str, String)]) -> anyhow::Result<(bool, String)> {
    let mut vars = stack.env();
    vars.push((
        "CHATOPS__WORKER__LISTEN".to_owned(),
        format!("127.0.0.1:{}", free_port()?),
    ));
    vars.extend(env(overrides));
    let log = stack
        .dir
        .join(format!("worker-refused-{}.log", free_port()?));
    let mut worker = Supervised::spawn(
        "worker",
        &chatops_e2e::binary("chatops-worker")?,
        &[],
        &vars,
        log,
    )?;
    let status = worker.wait_exit(chatops_e2e::stack::WAIT);
    let output = worker.output();
    let status = status.ok_or_else(|| anyhow::anyhow!("the worker did not exit:\n{output}"))?;
    Ok((status.success(), output))
}

/// Whether `text` says the connection failed in TLS: the handshake itself, or the server
/// hanging up right after it.
fn refused_for_tls(text: &str) -> bool {
    text.contains("the TLS handshake failed (")
        || text.contains("closed the connection right after the TLS handshake (")
}

#[tokio::test(flavor = "multi_thread")]
async fn bot_and_worker_work_through_tls_with_a_custom_ca() -> anyhow::Result<()> {
    // Arrange: a proxy whose certificate a CA of the test's own signed.
    let certs = certs("tls")?;
    let proxy = TlsProxy::start(&dev_server().target, &certs, None).await?;
    let stack = Stack::start(
        "tls",
        StackOptions {
            env: env(&[
                // http:// on purpose: a CA file alone turns TLS on.
                (
                    "CHATOPS__TEMPORAL__ADDRESS",
                    proxy.address.replace("https://", "http://"),
                ),
                ("CHATOPS__TEMPORAL__TLS_CA_FILE", certs.path("ca.pem")),
            ]),
            ..StackOptions::default()
        },
    )
    .await?;
    stack.worker_ready().await?;

    // Act: the bot starts a feature and queries it; the worker runs it and posts its card.
    let (id, _card, _approval) = stack.feature_at_intake("TLS everywhere").await?;
    stack.command("/feature", &format!("status {id}")).await?;
    let status = stack
        .ephemeral_containing(&format!("{id} — [intake] Intake"))
        .await?;

    // Assert
    assert!(
        status.rendered().contains("intake gate pending"),
        "{}",
        status.rendered()
    );
    let (code, table) = stack.doctor(&[])?;
    let address = format!("{}/", proxy.address);
    for row in [
        format!("temporal         pass  namespace default at {address}"),
        "workers          pass  1 polling".to_owned(),
        "canary workflow  pass  activity ok".to_owned(),
    ] {
        assert!(table.contains(&row), "missing {row:?} in\n{table}");
    }
    assert_eq!(code, 0, "{table}");
    // Worker, bot and doctor each came through the proxy.
    assert!(proxy.handshakes() >= 3, "{} handshakes", proxy.handshakes());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_signed_by_another_ca_is_refused_naming_tls() -> anyhow::Result<()> {
    let certs = certs("tls-wrong-ca")?;
    let proxy = TlsProxy::start(&dev_server().target, &certs, None).await?;
    let stack = Stack::start(
        "tls-wrong-ca",
        StackOptions {
            env: env(&[
                ("CHATOPS__TEMPORAL__ADDRESS", proxy.address.clone()),
                ("CHATOPS__TEMPORAL__TLS_CA_FILE", certs.path("ca.pem")),
            ]),
            ..StackOptions::default()
        },
    )
    .await?;
    let wrong_ca = [("CHATOPS__TEMPORAL__TLS_CA_FILE", certs.path("other-ca.pem"))];

    let (code, table) = stack.doctor(&[(wrong_ca[0].0, wrong_ca[0].1.as_str())])?;
    assert!(
        table.contains("temporal         FAIL  cannot reach Temporal at https://127.0.0.1:"),
        "{table}"
    );
    assert!(table.contains("the TLS handshake failed ("), "{table}");
    assert!(table.contains("UnknownIssuer"), "{table}");
    assert!(
        table.contains("→ fix the TLS settings named above"),
        "{table}"
    );
    assert_eq!(code, 1, "{table}");

    let (ok, output) = worker_exit(&stack, &wrong_ca)?;
    assert!(
        !ok,
        "the worker ran with a server it cannot trust:\n{output}"
    );
    assert!(
        output.contains("the TLS handshake failed")
            && output.contains("CHATOPS__TEMPORAL__TLS_CA_FILE"),
        "{output}"
    );

    // A certificate for another name is refused too, and tls_server_name fixes it.
    let localhost = proxy.address.replace("127.0.0.1", "localhost");
    let (code, table) = stack.doctor(&[
        ("CHATOPS__TEMPORAL__ADDRESS", &localhost),
        ("CHATOPS__TEMPORAL__TLS_SERVER_NAME", "elsewhere.test"),
    ])?;
    assert!(table.contains("the TLS handshake failed ("), "{table}");
    assert_eq!(code, 1, "{table}");
    let (_, table) = stack.doctor(&[("CHATOPS__TEMPORAL__TLS_SERVER_NAME", SERVER_NAME)])?;
    assert!(table.contains("temporal         pass"), "{table}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn mtls_works_with_the_client_certificate_and_fails_clearly_without() -> anyhow::Result<()> {
    // Arrange: a proxy that demands a client certificate signed by the test CA.
    let certs = certs("mtls")?;
    let proxy = TlsProxy::start(&dev_server().target, &certs, Some("ca.pem")).await?;
    let stack = Stack::start(
        "mtls",
        StackOptions {
            env: env(&[
                ("CHATOPS__TEMPORAL__ADDRESS", proxy.address.clone()),
                ("CHATOPS__TEMPORAL__TLS_CA_FILE", certs.path("ca.pem")),
                ("CHATOPS__TEMPORAL__TLS_CERT_FILE", certs.path("client.pem")),
                ("CHATOPS__TEMPORAL__TLS_KEY_FILE", certs.path("client.key")),
            ]),
            ..StackOptions::default()
        },
    )
    .await?;

    // With the certificate: the bot connected (the stack waits for it), the worker polls and
    // the canary runs.
    stack.worker_ready().await?;
    let (code, table) = stack.doctor(&[])?;
    assert!(table.contains("temporal         pass"), "{table}");
    assert!(table.contains("canary workflow  pass"), "{table}");
    assert_eq!(code, 0, "{table}");

    // Without it: refused, and said so.
    let without = [
        ("CHATOPS__TEMPORAL__TLS_CERT_FILE", String::new()),
        ("CHATOPS__TEMPORAL__TLS_KEY_FILE", String::new()),
    ];
    let (code, table) = stack.doctor(&[
        (without[0].0, without[0].1.as_str()),
        (without[1].0, without[1].1.as_str()),
    ])?;
    assert!(
        table.contains("temporal         FAIL  cannot reach Temporal at https://127.0.0.1:"),
        "{table}"
    );
    // The server's alert may be lost when it hangs up: either way the client certificate is named.
    assert!(
        refused_for_tls(&table) && table.contains("CHATOPS__TEMPORAL__TLS_CERT_FILE"),
        "{table}"
    );
    assert_eq!(code, 1, "{table}");
    let (ok, output) = worker_exit(&stack, &without)?;
    assert!(
        !ok,
        "the worker ran without its client certificate:\n{output}"
    );
    assert!(
        refused_for_tls(&output) && output.contains("CHATOPS__TEMPORAL__TLS_CERT_FILE"),
        "{output}"
    );
    assert!(
        proxy
            .failures()
            .iter()
            .any(|f| f.contains("no certificate") || f.contains("NoCertificatesPresented")),
        "{:?}",
        proxy.failures()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_key_is_sent_as_a_bearer_token_over_tls_and_never_printed() -> anyhow::Result<()> {
    // Arrange: a frontend that records credentials; no Slack, no worker: only the connection.
    let certs = certs("api-key")?;
    let frontend = AuthRecorder::start(&certs).await?;
    let key = "chatops-test-api-key-7f3a";
    let key_file = certs.dir.join("api-key");
    std::fs::write(&key_file, format!("{key}\n"))?;

    // Act
    let out = std::process::Command::new(chatops_e2e::binary("chatops-bot")?)
        .arg("doctor")
        .env("CHATOPS__TEMPORAL__ADDRESS", &frontend.address)
        .env("CHATOPS__TEMPORAL__TLS_CA_FILE", certs.path("ca.pem"))
        .env("CHATOPS__TEMPORAL__API_KEY_FILE", &key_file)
        .env(
            "CHATOPS__DATABASE__URL",
            format!("sqlite://{}", certs.dir.join("chatops.db").display()),
        )
        .output()?;
    let table = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);

    // Assert
    assert_eq!(
        frontend.authorizations().first().map(String::as_str),
        Some(format!("Bearer {key}").as_str()),
        "{table}"
    );
    assert!(
        table.contains("temporal         FAIL  cannot reach Temporal at https://127.0.0.1:"),
        "{table}"
    );
    assert!(table.contains("Unauthenticated"), "{table}");
    assert!(!table.contains(key) && !log.contains(key), "{table}\n{log}");
    assert_eq!(out.status.code(), Some(1), "{table}");
    Ok(())
}
