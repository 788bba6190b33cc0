//! Incident response end to end: alert intake → ContinuousMonitoring → IncidentSwarm →
//! diagnostic agents → consensus → Slack, on the real processes and a real dev server.

use chatops_contract::{queries, signals};
use chatops_e2e::github::{self, LocalGitHub};
use chatops_e2e::stack::{APPROVER, INCIDENT_CHANNEL, WAIT, alertmanager, has_event};
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Someone in the workspace with no role at all.
const STRANGER: &str = "U0STRANGER";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A diagnostic agent speaking the HTTP backend's protocol: answers each agent by name.
async fn agent_stand_in(
    answers: HashMap<&'static str, Value>,
) -> anyhow::Result<(String, Arc<Mutex<Vec<Value>>>)> {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let answers = Arc::new(answers);
    let app = axum::Router::new().route(
        "/diagnose",
        axum::routing::post(move |axum::Json(req): axum::Json<Value>| {
            let (answers, seen) = (answers.clone(), seen.clone());
            async move {
                let agent = req["agent"].as_str().unwrap_or_default().to_owned();
                if let Ok(mut s) = seen.lock() {
                    s.push(req);
                }
                match answers.get(agent.as_str()) {
                    Some(a) => (axum::http::StatusCode::OK, axum::Json(a.clone())),
                    None => (
                        axum::http::StatusCode::NOT_FOUND,
                        axum::Json(json!({"error": "unknown agent"})),
                    ),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/diagnose", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, asked))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confident_swarm_acts_and_the_incident_runs_to_its_postmortem() -> anyhow::Result<()> {
    // Three command agents that agree on the cause (one writes the change); a rollback command
    // that reports back; a GitHub whose first pull-request call fails with a 502.
    let agents = r#"cat >/dev/null; case "$AGENT" in
      agent-1) printf '%s' '{"root_cause":"connection pool exhausted","category":"database","confidence":0.9,"suggested_fix":"raise the pool size to 50","changes":[{"path":"config/db.toml","content":"pool_size = 50\n"}]}';;
      agent-2) printf '%s' '{"root_cause":"database connection pool exhausted","category":"database","confidence":0.8}';;
      *) printf '%s' '{"root_cause":"connection pool exhausted under load","category":"database","confidence":0.85}';;
    esac"#;
    let gh = LocalGitHub::start().await?;
    gh.with(|r| r.fail_next_pull = Some(502));
    let stack = Stack::start(
        "confident",
        StackOptions {
            env: env(&[
                ("CHATOPS__INCIDENT__AGENT_COMMAND", agents),
                (
                    "CHATOPS__INCIDENT__ROLLBACK_COMMAND",
                    "echo \"rolled back $SERVICE for $REQUESTED_BY\"",
                ),
                ("CHATOPS__GITHUB__TOKEN", github::TOKEN),
                ("CHATOPS__GITHUB__API_URL", &gh.url),
                ("CHATOPS__INCIDENT__REPOSITORY", github::REPOSITORY),
                ("CHATOPS__INCIDENT__POSTMORTEM_PATH", "docs/postmortems"),
                ("CHATOPS__INCIDENT__CHECKS_INTERVAL", "1s"),
            ]),
            ..StackOptions::default()
        },
    )
    .await?;

    // An alert opens an incident: one card, triaged, with its buttons.
    let answer = stack
        .send_alert(&alertmanager("fp-checkout", "checkout", "firing"))
        .await?;
    assert_eq!(answer["accepted"], 1, "{answer}");
    let (card, id) = stack.incident_card("checkout").await?;
    assert!(id.starts_with("incident-"), "{}", card.text);
    let shown = card.rendered();
    assert!(
        shown.contains("SEV2 checkout: checkout 5xx above 5%"),
        "{shown}"
    );
    let labels: Vec<String> = card.buttons().into_iter().map(|b| b.label).collect();
    assert_eq!(labels, ["Acknowledge", "Roll back", "Resolve"]);

    // The agents agree: consensus (0.9 + 0.8 + 0.85) / 3 = 0.85 ≥ 0.70, so it acts at once.
    stack
        .reply_containing(&card, "Consensus 0.85 (threshold 0.70) from 3 agents")
        .await?;
    stack
        .reply_containing(&card, "Suggested fix: raise the pool size to 50")
        .await?;
    let consensus = stack.query(&id, queries::CONSENSUS)?;
    assert_eq!(consensus["verdict"]["auto_fix"], true, "{consensus}");
    assert_eq!(
        consensus["verdict"]["best"]["agents"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    stack
        .wait_status(&id, "mitigating", |s| s["state"] == "mitigating")
        .await?;

    // The same alert again joins the incident instead of opening another.
    stack
        .send_alert(&alertmanager("fp-checkout", "checkout", "firing"))
        .await?;
    stack
        .wait_status(&id, "the repeat to be counted", |s| s["alerts"] == 2)
        .await?;
    let stats = stack.query(&stack.monitor_id(), queries::STATS)?;
    assert_eq!(
        (
            stats["incidents_opened"].as_u64(),
            stats["deduplicated"].as_u64()
        ),
        (Some(1), Some(1)),
        "{stats}"
    );
    let cards = stack
        .recorded()
        .messages
        .iter()
        .filter(|m| m.channel == INCIDENT_CHANNEL && m.thread_ts.is_none())
        .count();
    assert_eq!(cards, 1, "a repeat must not post a second card");

    // Acknowledge makes the presser commander; the button goes away.
    stack.press(&card, "Acknowledge")?;
    stack
        .reply_containing(
            &card,
            &format!("Acknowledged by @{APPROVER}. @{APPROVER} is the incident commander."),
        )
        .await?;
    let acked = stack
        .card_showing(&card, &format!("Commander: @{APPROVER}"))
        .await?;
    let labels: Vec<String> = acked.buttons().into_iter().map(|b| b.label).collect();
    assert_eq!(labels, ["Roll back", "Resolve"]);

    // Roll back runs the configured command and reports its output in the thread.
    stack.press(&acked, "Roll back")?;
    let rolled = stack
        .reply_containing(&card, "Rollback succeeded for checkout")
        .await?;
    assert!(
        rolled
            .rendered()
            .contains(&format!("exit 0: rolled back checkout for {APPROVER}")),
        "{}",
        rolled.rendered()
    );

    // Resolve: the postmortem lands in the thread, the card loses its buttons, the monitor
    // forgets the incident.
    stack.press(&acked, "Resolve")?;
    let postmortem = stack.reply_containing(&card, "Postmortem").await?;
    let text = postmortem.rendered();
    for want in [
        "# Postmortem: checkout — checkout 5xx above 5%",
        "Alerts received: 2",
        "Time to acknowledge: ",
        "connection pool exhausted (database): 0.85 × 1.00 = 0.85",
        "at or above the threshold",
        "rollback succeeded",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
    let closed = stack.card_showing(&card, "Status: resolved").await?;
    assert!(closed.buttons().is_empty(), "{}", closed.rendered());
    // And the postmortem goes to the docs folder as a pull request of its own.
    stack.reply_containing(&card, "Postmortem pull request #2 (https://github.example/acme/shop/pull/2) opened on acme/shop.").await?;
    let doc = gh.file_at(
        &format!("postmortem/{id}"),
        &format!("docs/postmortems/{id}.md"),
    );
    assert!(
        doc.is_some_and(|d| d.starts_with("# Postmortem: checkout")),
        "postmortem not committed"
    );
    assert_eq!(
        stack.workflow_closed(&id).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );
    stack
        .wait_query(
            &stack.monitor_id(),
            queries::STATS,
            "the monitor to forget the incident",
            |s| s["open_now"] == 0,
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn split_agents_leave_the_choice_to_the_commander_with_escalations() -> anyhow::Result<()> {
    let (url, asked) = agent_stand_in(HashMap::from([
        ("agent-1", json!({"root_cause": "connection pool exhausted", "category": "database", "confidence": 0.6})),
        ("agent-2", json!({"root_cause": "bad deploy of version 42", "category": "deploy", "confidence": 0.7})),
        ("agent-3", json!({"root_cause": "network partition between zones", "category": "network", "confidence": 0.5})),
    ]))
    .await?;
    let stack = Stack::start(
        "split",
        StackOptions {
            env: env(&[
                ("CHATOPS__INCIDENT__AGENT_URL", &url),
                ("CHATOPS__INCIDENT__CHOOSE_TIMEOUT", "2s"),
                ("CHATOPS__INCIDENT__ESCALATION", "S0ONCALL"),
                (
                    "CHATOPS__INCIDENT__CONTEXT_URLS",
                    &url.replace("/diagnose", "/missing/{service}"),
                ),
            ]),
            ..StackOptions::default()
        },
    )
    .await?;

    // Opened by hand, as sev1.
    let ack = stack
        .command("/incident", "new payments sev1 card declines spiking")
        .await?;
    let reply = stack.ack_text(&ack);
    assert!(
        reply.contains(&format!(
            "Opening an incident for payments: its card will appear in #{INCIDENT_CHANNEL}"
        )),
        "{reply}"
    );
    let (card, id) = stack.incident_card("payments").await?;
    assert!(
        card.rendered()
            .contains("SEV1 payments: card declines spiking"),
        "{}",
        card.rendered()
    );
    assert!(
        card.rendered().contains("Commander: @U0REQUESTER"),
        "{}",
        card.rendered()
    );

    // Every agent was asked over HTTP with the alert; best score 0.7 / 3 ≈ 0.23 is below 0.70.
    stack
        .reply_containing(
            &card,
            "Consensus 0.23 (threshold 0.70) from 3 agents: bad deploy of version 42",
        )
        .await?;
    let requests = asked.lock().map(|a| a.clone()).unwrap_or_default();
    let mut agents: Vec<&str> = requests
        .iter()
        .filter_map(|r| r["agent"].as_str())
        .collect();
    agents.sort_unstable();
    assert_eq!(agents, ["agent-1", "agent-2", "agent-3"]);
    assert!(
        requests
            .iter()
            .all(|r| r["alert"]["service"] == "payments" && r["incident"] == id.as_str())
    );
    // The context source answered 404: recorded, and the agents went ahead without it.
    stack
        .wait_status(&id, "the missing context to be recorded", |s| {
            s["timeline"].as_array().is_some_and(|t| {
                t.iter().any(|e| {
                    e["event"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("context from") && e.contains("unavailable"))
                })
            })
        })
        .await?;

    // Candidates with a Choose button each; nobody picks, so the on-call group is paged.
    let pick = stack
        .reply_containing(&card, "Pick the diagnosis to act on")
        .await?;
    let labels: Vec<String> = pick.buttons().into_iter().map(|b| b.label).collect();
    assert_eq!(labels, ["Choose 1", "Choose 2", "Choose 3"]);
    stack
        .reply_containing(
            &card,
            "Escalation 1: nobody has picked a diagnosis for 2s. @S0ONCALL",
        )
        .await?;

    // The commander picks the second candidate.
    stack.press(&pick, "Choose 2")?;
    stack
        .reply_containing(
            &card,
            &format!("@{APPROVER} chose diagnosis 2: connection pool exhausted"),
        )
        .await?;
    stack
        .slack
        .wait_for("the candidates to lose their buttons", WAIT, |r| {
            r.messages
                .iter()
                .find(|m| {
                    m.ts == pick.ts
                        && m.buttons().is_empty()
                        && m.rendered().contains(&format!("Chosen by @{APPROVER}"))
                })
                .cloned()
        })
        .await?;
    let status = stack
        .wait_status(&id, "mitigating", |s| s["state"] == "mitigating")
        .await?;
    assert_eq!(status["chosen"], 1);
    let diagnoses = stack.query(&id, queries::DIAGNOSES)?;
    assert_eq!(
        diagnoses["diagnoses"].as_array().map(Vec::len),
        Some(3),
        "{diagnoses}"
    );

    // Command changes hands by mention.
    let ack = stack
        .command(
            "/incident",
            &format!("commander {id} <@{APPROVER}|approver>"),
        )
        .await?;
    assert!(
        stack
            .ack_text(&ack)
            .contains(&format!("Handing `{id}` to @{APPROVER}"))
    );
    stack
        .reply_containing(
            &card,
            &format!("@{APPROVER} is now the incident commander (assigned by @U0REQUESTER)."),
        )
        .await?;
    stack
        .card_showing(&card, &format!("Commander: @{APPROVER}"))
        .await?;

    // Status and list show it; resolve by command.
    stack.command("/incident", "list").await?;
    stack.ephemeral_containing("1 open incident").await?;
    stack
        .ephemeral_containing(&format!(
            "SEV1 `{id}` payments: card declines spiking (1 alert, open "
        ))
        .await?;
    stack.command("/incident", &format!("status {id}")).await?;
    stack.ephemeral_containing("Status: mitigating").await?;
    // The CLI lists the same, without Slack.
    let (code, out, err) = stack.cli(&["incident", "list"])?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("`{id}` payments")), "{out}");
    // Having handed over, the opener holds no role in it any more.
    stack
        .command("/incident", &format!("resolve {id} it is fine"))
        .await?;
    stack
        .ephemeral_containing(&format!(
            "Only the incident commander (@{APPROVER}), the responders (CHATOPS__INCIDENT__RESPONDERS) and the people on call (CHATOPS__EMERGENCY__ONCALL) may resolve `{id}`."
        ))
        .await?;
    let ack = stack
        .command_as(
            APPROVER,
            "/incident",
            &format!("resolve {id} rolled back version 42"),
        )
        .await?;
    assert!(stack.ack_text(&ack).contains("Resolving"));
    let postmortem = stack.reply_containing(&card, "Postmortem").await?;
    assert!(
        postmortem
            .rendered()
            .contains("Diagnosis that stood: connection pool exhausted"),
        "{}",
        postmortem.rendered()
    );
    assert!(
        postmortem
            .rendered()
            .contains("Resolution: rolled back version 42"),
        "{}",
        postmortem.rendered()
    );
    assert_eq!(
        stack.workflow_closed(&id).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );

    // A button on the finished incident says so, and so does the CLI.
    stack.press(&card, "Acknowledge")?;
    stack
        .ephemeral_containing(&format!("`{id}` has already finished (completed)"))
        .await?;
    let (code, _, err) = stack.cli(&["--as", APPROVER, "incident", "acknowledge", &id])?;
    assert_eq!(code, 1);
    assert!(err.contains("has already finished"), "{err}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_intake_refuses_bad_requests_and_changes_nothing() -> anyhow::Result<()> {
    let stack = Stack::start("intake", StackOptions::default()).await?;
    let auth = format!("Bearer {}", chatops_e2e::stack::ALERT_TOKEN);
    let json_ct = ("content-type", "application/json");
    let good = alertmanager("fp", "checkout", "firing").to_string();
    let broken = json!({"alerts": [
        {"labels": {"service": "a"}, "annotations": {"summary": "ok"}},
        {"labels": {"severity": "page"}, "annotations": {"summary": "no service"}},
    ]})
    .to_string();
    let huge = " ".repeat(2 * chatops_bot::alerts::MAX_BODY);
    // (headers, body, status, what the error says)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, u16, &'a str);
    let table: Vec<Case> = vec![
        (
            vec![json_ct],
            good.as_str(),
            401,
            "missing or wrong bearer token",
        ),
        (
            vec![json_ct, ("authorization", "Bearer wrong-token-wrong-token")],
            good.as_str(),
            401,
            "missing or wrong bearer token",
        ),
        (
            vec![("authorization", &auth), ("content-type", "text/plain")],
            good.as_str(),
            415,
            "application/json",
        ),
        (
            vec![("authorization", &auth), json_ct],
            "{not json",
            400,
            "body is not JSON",
        ),
        (
            vec![("authorization", &auth), json_ct],
            r#"{"hello": 1}"#,
            400,
            "expected an Alertmanager webhook",
        ),
        (
            vec![("authorization", &auth), json_ct],
            &broken,
            400,
            "`alerts[1].labels.service` is missing or empty",
        ),
        (
            vec![("authorization", &auth), json_ct],
            r#"{"alerts": []}"#,
            400,
            "has no alerts",
        ),
        (
            vec![("authorization", &auth), json_ct],
            &huge,
            413,
            "over the limit of 262144 bytes",
        ),
    ];
    for (headers, body, want_status, want) in &table {
        let (status, answer) = stack.post_alert(headers, body).await?;
        assert_eq!(status, *want_status, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(want), "{body}: {error}");
    }
    // Nothing reached Temporal: the monitor was never started.
    let described = stack.temporal(&["workflow", "describe", "-w", &stack.monitor_id()]);
    assert!(
        described.is_err(),
        "the monitor must not exist: {described:?}"
    );

    // The health probe answers without a token.
    let health = chatops_common::http::Http::new()
        .get(
            &format!("{}/healthz", stack.alerts_url),
            std::time::Duration::from_secs(5),
        )
        .await?;
    assert_eq!((health.status, health.body.as_ref()), (200, b"ok".as_ref()));

    // Both processes are ready and count what they saw, in the Prometheus text format.
    stack.worker_ready().await?;
    let http = chatops_common::http::Http::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(&url, std::time::Duration::from_secs(5)).await?;
            Ok::<_, anyhow::Error>((r.status, String::from_utf8_lossy(&r.body).into_owned()))
        }
    };
    for base in [&stack.alerts_url, &stack.worker_url] {
        assert_eq!(get(format!("{base}/healthz")).await?.0, 200, "{base}");
        assert_eq!(
            get(format!("{base}/readyz")).await?,
            (200, "ready".to_owned()),
            "{base}"
        );
    }
    let (status, metrics) = get(format!("{}/metrics", stack.alerts_url)).await?;
    assert_eq!(status, 200);
    for line in [
        "chatops_alerts_total{kind=\"unauthorized\"} 2",
        "chatops_alerts_total{kind=\"refused\"} 5",
        "chatops_alerts_total{kind=\"too_large\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in\n{metrics}");
    }
    let (_, worker_metrics) = get(format!("{}/metrics", stack.worker_url)).await?;
    assert!(
        worker_metrics.contains("chatops_slack_queue_depth 0"),
        "{worker_metrics}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_monitor_continues_as_new_and_keeps_what_it_knows() -> anyhow::Result<()> {
    let stack = Stack::start(
        "monitor",
        StackOptions {
            env: env(&[("CHATOPS__INCIDENT__MONITOR_EVENTS", "2")]),
            ..StackOptions::default()
        },
    )
    .await?;
    for (fp, service) in [
        ("a", "search"),
        ("b", "billing"),
        ("a", "search"),
        ("c", "email"),
    ] {
        stack
            .send_alert(&alertmanager(fp, service, "firing"))
            .await?;
    }
    // A resolved alert for something never open is dropped.
    stack
        .send_alert(&alertmanager("zzz", "ghost", "resolved"))
        .await?;
    let stats = stack
        .wait_query(
            &stack.monitor_id(),
            queries::STATS,
            "five alerts over several runs",
            |s| s["alerts_seen"] == 5 && s["runs"].as_u64() >= Some(2),
        )
        .await?;
    assert!(
        stats["runs"].as_u64() >= Some(2),
        "no continue-as-new happened: {stats}"
    );
    assert_eq!(
        (
            stats["incidents_opened"].as_u64(),
            stats["deduplicated"].as_u64(),
            stats["ignored"].as_u64(),
            stats["open_now"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(3)),
        "{stats}"
    );
    // Each incident got one card; with no agents configured each says humans must look.
    for service in ["search", "billing", "email"] {
        let (card, _) = stack.incident_card(service).await?;
        stack
            .reply_containing(&card, "No diagnostic agents are configured")
            .await?;
        stack
            .reply_containing(&card, "No diagnosis to act on")
            .await?;
    }
    let (search, _) = stack.incident_card("search").await?;
    stack.card_showing(&search, "2 alerts").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_for_an_incident_whose_swarm_is_gone_opens_a_new_one() -> anyhow::Result<()> {
    // Arrange: an open incident whose swarm is then terminated (no closing signal comes).
    let stack = Stack::start("gone-swarm", StackOptions::default()).await?;
    stack
        .send_alert(&alertmanager("fp-cart", "cart", "firing"))
        .await?;
    let (_, first) = stack.incident_card("cart").await?;
    stack.temporal(&[
        "workflow",
        "terminate",
        "-w",
        &first,
        "--reason",
        "the swarm dies without resolving",
    ])?;
    stack.workflow_closed(&first).await?;

    // Act: the same alert fires again.
    stack
        .send_alert(&alertmanager("fp-cart", "cart", "firing"))
        .await?;

    // Assert: it opens a new incident with a card of its own instead of vanishing.
    let stats = stack
        .wait_query(
            &stack.monitor_id(),
            queries::STATS,
            "a second incident for the gone one",
            |s| s["incidents_opened"] == 2,
        )
        .await?;
    let open: Vec<&str> = stats["open"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(open.len(), 1, "{stats}");
    assert_ne!(open[0], first, "the gone incident is forgotten: {stats}");
    assert_eq!(
        (
            stats["alerts_seen"].as_u64(),
            stats["deduplicated"].as_u64()
        ),
        (Some(2), Some(0)),
        "{stats}"
    );
    stack
        .slack
        .wait_for("a second card for cart", WAIT, |r| {
            let cards = r
                .messages
                .iter()
                .filter(|m| {
                    m.channel == INCIDENT_CHANNEL
                        && m.thread_ts.is_none()
                        && m.text.contains(" on cart:")
                })
                .count();
            (cards == 2).then_some(())
        })
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn only_responders_act_on_an_incident_and_a_rollback_runs_once() -> anyhow::Result<()> {
    // No responders configured: on call (the approver, through its group) and the commander
    // may act. The rollback command counts its runs in a file.
    let count = chatops_e2e::scratch("incidents-responders")?.join("rollbacks");
    let rollback = format!("echo run >> '{}'; echo rolled back", count.display());
    let stack = Stack::start(
        "responders",
        StackOptions {
            env: env(&[("CHATOPS__INCIDENT__ROLLBACK_COMMAND", &rollback)]),
            ..StackOptions::default()
        },
    )
    .await?;
    stack
        .send_alert(&alertmanager("fp-payments", "payments", "firing"))
        .await?;
    let (card, id) = stack.incident_card("payments").await?;

    // Someone with no role presses Acknowledge: told why, and nothing changes.
    stack.press_as(STRANGER, &card, "Acknowledge")?;
    stack
        .ephemeral_containing(&format!(
            "Only the incident commander, the responders (CHATOPS__INCIDENT__RESPONDERS) and the people on call (CHATOPS__EMERGENCY__ONCALL) may acknowledge `{id}`. Nothing was changed."
        ))
        .await?;
    // The same person signalling the workflow directly is refused by the workflow itself.
    stack.signal(
        &id,
        signals::ROLLBACK,
        &json!({"user": STRANGER, "reason": "raw signal"}).to_string(),
    )?;
    let status = stack
        .wait_status(&id, "the raw rollback to be refused", |s| {
            has_event(s, &format!("roll back by {STRANGER} refused"))
        })
        .await?;
    assert!(status["acknowledged_by"].is_null(), "{status}");
    assert!(!count.exists(), "a refused rollback ran the command");
    let audit = stack.audit_log()?;
    assert!(
        audit.contains("incident.acknowledge") && audit.contains("refused: Only the incident"),
        "{audit}"
    );

    // On call acknowledges and rolls back; a second press runs nothing and says so.
    stack.press(&card, "Acknowledge")?;
    let acked = stack
        .card_showing(&card, &format!("Commander: @{APPROVER}"))
        .await?;
    stack.press(&acked, "Roll back")?;
    stack
        .reply_containing(
            &card,
            &format!("Rollback succeeded for payments (asked by @{APPROVER}"),
        )
        .await?;
    stack.press(&acked, "Roll back")?;
    stack
        .reply_containing(
            &card,
            &format!("payments was already rolled back by @{APPROVER}"),
        )
        .await?;
    assert_eq!(std::fs::read_to_string(&count)?.lines().count(), 1);

    // The commander may hand over; the new commander may then resolve.
    stack.signal(
        &id,
        signals::ASSIGN_COMMANDER,
        &json!({"commander": STRANGER, "user": APPROVER}).to_string(),
    )?;
    stack
        .wait_status(&id, "the hand-over", |s| s["commander"] == STRANGER)
        .await?;
    stack.press_as(STRANGER, &acked, "Resolve")?;
    stack
        .wait_status(&id, "the resolution", |s| s["state"] == "resolved")
        .await?;
    Ok(())
}
