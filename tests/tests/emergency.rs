//! The emergency stop end to end, on a dev server of its own that this test restarts: it halts
//! running deliveries, holds new ones, refuses whoever is not on call, and stays engaged across
//! a server crash and a worker kill until it is released.

use chatops_contract::{queries, signals};
use chatops_e2e::channel::{channel_note, press_ephemeral};
use chatops_e2e::stack::{APPROVER, REQUESTER, WAIT};
use chatops_e2e::temporal::DevServer;
use chatops_e2e::{Stack, StackOptions};

#[tokio::test(flavor = "multi_thread")]
async fn the_emergency_stop_halts_holds_refuses_and_survives_restarts() -> anyhow::Result<()> {
    let dir = chatops_e2e::bin_dir()
        .join("e2e")
        .join(format!("emergency-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let server: &'static DevServer =
        Box::leak(Box::new(DevServer::start(Some(dir.join("temporal.db")))?));
    let mut stack = Stack::start_on(
        server,
        "emergency",
        StackOptions {
            env: vec![("CHATOPS__EMERGENCY__RECHECK".into(), "1s".into())],
            ..StackOptions::slow_phases()
        },
    )
    .await?;

    // A delivery is under way.
    let (running, card, request) = stack.feature_at_intake("Add OAuth2 login").await?;
    stack.press(&request, "Approve")?;
    stack
        .wait_status(&running, "planning", |s| s["phase"] == "planning")
        .await?;

    // Someone not on call is refused, precisely.
    stack
        .command("/emergency-stop", "orders look wrong")
        .await?;
    stack
        .ephemeral_containing("Only on-call engineers may engage the emergency stop")
        .await?;

    // The on-call approver is asked to confirm, confirms, and every running delivery halts.
    stack
        .command_as(
            APPROVER,
            "/emergency-stop",
            "orders corrupted by the last deploy",
        )
        .await?;
    let confirm = stack
        .ephemeral_containing("Engage the emergency stop?")
        .await?;
    assert!(
        confirm
            .rendered()
            .contains("Reason: orders corrupted by the last deploy"),
        "{}",
        confirm.rendered()
    );
    press_ephemeral(&stack, APPROVER, &confirm, "Engage emergency stop")?;
    channel_note(
        &stack,
        &format!("EMERGENCY STOP engaged by @{APPROVER}: orders corrupted by the last deploy"),
        WAIT,
    )
    .await?;
    let report = channel_note(&stack, "Stopped 1 delivery:", WAIT).await?;
    assert!(
        report
            .rendered()
            .contains(&format!("`{running}` in planning: stopped")),
        "{}",
        report.rendered()
    );
    stack
        .reply_containing(&card, &format!("Emergency stop by @{APPROVER}: orders corrupted by the last deploy. Halted in Planning."))
        .await?;
    assert_eq!(
        stack.workflow_closed(&running).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );
    assert_eq!(stack.status(&running)?["phase"], "cancelled");

    // A delivery started now is approved but holds before its first phase.
    let (held, held_card, held_request) = stack.feature_at_intake("Add dark mode").await?;
    stack.press(&held_request, "Approve")?;
    stack
        .reply_containing(
            &held_card,
            &format!("Held before Planning: the emergency stop is engaged (by @{APPROVER}"),
        )
        .await?;

    // The server crashes and comes back; the worker is killed and replaced. The stop holds.
    server.restart()?;
    stack.start_worker()?;
    let freeze_id = chatops_contract::freeze::freeze_workflow_id(&stack.task_queue);
    let freeze = stack
        .wait_query(
            &freeze_id,
            queries::FREEZE,
            "the freeze after the restart",
            |f| f["engaged"] == true,
        )
        .await?;
    assert_eq!(freeze["engaged_by"], APPROVER);
    stack.command("/emergency-stop", "status").await?;
    stack
        .ephemeral_containing("The emergency stop is engaged since")
        .await?;
    assert_eq!(
        stack.status(&held)?["phase"],
        "intake",
        "a held delivery must not move"
    );

    // Pressing it again is harmless; releasing needs a reason and someone on call.
    stack
        .command_as(APPROVER, "/emergency-stop", "still broken")
        .await?;
    let again = stack
        .slack
        .wait_for("a second confirmation", WAIT, |r| {
            r.ephemerals
                .iter()
                .filter(|e| e.rendered().contains("Engage the emergency stop?"))
                .nth(1)
                .cloned()
        })
        .await?;
    press_ephemeral(&stack, APPROVER, &again, "Engage emergency stop")?;
    channel_note(
        &stack,
        &format!("@{APPROVER} pressed the emergency stop again; it has been engaged since"),
        WAIT,
    )
    .await?;
    let ack = stack
        .command_as(APPROVER, "/emergency-stop", "release")
        .await?;
    assert!(
        stack
            .ack_text(&ack)
            .contains("Missing the reason it is safe again."),
        "{}",
        stack.ack_text(&ack)
    );
    stack
        .command_as(REQUESTER, "/emergency-stop", "release I think it is fine")
        .await?;
    stack
        .ephemeral_containing("Only on-call engineers may release the emergency stop")
        .await?;
    // The same person signalling the workflow directly is refused by the workflow too.
    stack.signal(
        &freeze_id,
        signals::RELEASE,
        &format!(r#"{{"user":"{REQUESTER}","reason":"raw signal"}}"#),
    )?;
    stack
        .wait_query(
            &freeze_id,
            queries::FREEZE,
            "the raw release refused",
            |f| {
                f["history"].as_array().is_some_and(|h| {
                    h.iter().any(|e| {
                        e["event"].as_str().is_some_and(|e| {
                            e.starts_with(&format!("release by {REQUESTER} refused"))
                        })
                    })
                })
            },
        )
        .await?;
    assert_eq!(stack.query(&freeze_id, queries::FREEZE)?["engaged"], true);
    stack
        .command_as(
            APPROVER,
            "/emergency-stop",
            "release orders are clean again",
        )
        .await?;
    channel_note(
        &stack,
        &format!("Emergency stop released by @{APPROVER}: orders are clean again."),
        WAIT,
    )
    .await?;

    // The held delivery goes on by itself.
    stack
        .reply_containing(
            &held_card,
            "Emergency stop released: going on with Planning.",
        )
        .await?;
    stack
        .wait_status(&held, "planning", |s| s["phase"] == "planning")
        .await?;
    let history = stack.query(&freeze_id, queries::FREEZE)?["history"].clone();
    let events: Vec<&str> = history
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(
        events,
        [
            "engaged",
            "engage ignored: already engaged",
            &format!(
                "release by {REQUESTER} refused: only people on call (CHATOPS__EMERGENCY__ONCALL) may"
            ),
            "released"
        ]
    );
    stack.bot = None;
    stack.worker = None;
    Ok(())
}

/// The events of workflow `id`'s history, through the `temporal` CLI.
fn history(stack: &Stack, id: &str) -> anyhow::Result<Vec<serde_json::Value>> {
    let out = stack.temporal(&["workflow", "show", "-w", id, "-o", "json"])?;
    let v: serde_json::Value = serde_json::from_str(&out)?;
    Ok(v["events"].as_array().cloned().unwrap_or_default())
}

/// The durations, in seconds, of the timers started since the first check of the emergency
/// stop, in order.
fn timers(events: &[serde_json::Value]) -> Vec<f64> {
    events
        .iter()
        .skip_while(|e| {
            e["activityTaskScheduledEventAttributes"]["activityType"]["name"] != "freeze.check"
        })
        .filter_map(|e| e["timerStartedEventAttributes"]["startToFireTimeout"].as_str())
        .filter_map(|d| d.trim_end_matches('s').parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_delivery_adds_nothing_to_its_history_while_held_and_its_release_wakes_it()
-> anyhow::Result<()> {
    // Timed checks would come every 20 ms: a hold that checked on a timer would add hundreds
    // of events while this one lasts.
    let stack = Stack::start(
        "freeze-bounded",
        StackOptions {
            env: vec![
                ("CHATOPS__EMERGENCY__RECHECK".into(), "20ms".into()),
                ("CHATOPS__EMERGENCY__RECHECK_MAX".into(), "20ms".into()),
            ],
            ..StackOptions::default()
        },
    )
    .await?;
    stack
        .command_as(APPROVER, "/emergency-stop", "holiday freeze")
        .await?;
    let confirm = stack
        .ephemeral_containing("Engage the emergency stop?")
        .await?;
    press_ephemeral(&stack, APPROVER, &confirm, "Engage emergency stop")?;
    channel_note(&stack, "EMERGENCY STOP engaged", WAIT).await?;

    let (id, card, request) = stack.feature_at_intake("Add gift cards").await?;
    stack.press(&request, "Approve")?;
    stack
        .reply_containing(&card, "Held before Planning: the emergency stop is engaged")
        .await?;
    // The delivery asked the stop to wake it.
    let freeze_id = chatops_contract::freeze::freeze_workflow_id(&stack.task_queue);
    stack
        .wait_query(&freeze_id, queries::FREEZE, "the hold registered", |f| {
            f["held"]
                .as_array()
                .is_some_and(|h| h.iter().any(|d| d == id.as_str()))
        })
        .await?;
    let before = history(&stack, &id)?.len();
    // The stop lasts three seconds (150 timed checks' worth): the history does not move.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let during = history(&stack, &id)?.len();
    assert_eq!(during, before, "the hold added events while held");

    // Released: the held delivery is woken at once and goes on.
    stack
        .command_as(APPROVER, "/emergency-stop", "release after the holidays")
        .await?;
    channel_note(&stack, "Held deliveries go on now.", WAIT).await?;
    stack
        .reply_containing(&card, "Emergency stop released: going on with Planning.")
        .await?;
    let events = history(&stack, &id)?;
    let checks = events
        .iter()
        .filter(|e| {
            e["activityTaskScheduledEventAttributes"]["activityType"]["name"] == "freeze.check"
        })
        .count();
    assert_eq!(checks, 2, "one check before the hold, one after the wake");
    assert!(timers(&events).is_empty(), "{:?}", timers(&events));
    // The hold: from its first check to the answer of the check after the wake.
    let is_check = |e: &serde_json::Value| {
        e["activityTaskScheduledEventAttributes"]["activityType"]["name"] == "freeze.check"
    };
    let first = events.iter().position(is_check).unwrap_or(0);
    let last_check = events.iter().rposition(is_check).unwrap_or(first);
    let last = events
        .iter()
        .position(|e| {
            e["activityTaskCompletedEventAttributes"]["scheduledEventId"]
                == events[last_check]["eventId"]
        })
        .unwrap_or(last_check);
    let held = events[first..=last.max(first)].len();
    eprintln!("a hold of any length: {held} history events");
    assert!(held <= 40, "{held} events for one hold");
    Ok(())
}
