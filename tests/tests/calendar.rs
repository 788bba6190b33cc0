//! The freeze calendar: a freeze scheduled by someone on call engages the emergency stop on
//! time through a Temporal Schedule, holds a delivery before its next phase (its thread and
//! card say which freeze and until when), and releases on time; someone not on call may not
//! schedule one.

use chatops_contract::freeze::freeze_workflow_id;
use chatops_contract::{queries, signals};
use chatops_e2e::channel::{channel_note, press_ephemeral};
use chatops_e2e::stack::{APPROVER, REQUESTER, WAIT};
use chatops_e2e::{Stack, StackOptions};
use jiff::Timestamp;
use std::time::Duration;

/// `/freeze list` until its answer shows `needle` (the calendar is read through visibility,
/// which lags a moment behind a change).
async fn listed(stack: &Stack, needle: &str) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let before = stack.recorded().ephemerals.len();
        stack.command("/freeze", "list").await?;
        let answer = stack
            .slack
            .wait_for("the calendar", WAIT, |r| {
                r.ephemerals[before..]
                    .iter()
                    .find(|e| e.rendered().contains("cheduled"))
                    .map(|e| e.rendered())
            })
            .await?;
        if answer.contains(needle) {
            return Ok(answer);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the calendar never showed {needle:?}: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_freeze_engages_on_time_holds_a_delivery_and_releases_on_time()
-> anyhow::Result<()> {
    let stack = Stack::start("calendar", StackOptions::default()).await?;
    let freeze = freeze_workflow_id(&stack.task_queue);

    // Someone not on call may not schedule one.
    stack
        .command_as(
            REQUESTER,
            "/freeze",
            "add sneaky Fri 15:00 for 1h no reason",
        )
        .await?;
    stack
        .ephemeral_containing("may change the freeze calendar")
        .await?;

    // On call: a one-off freeze 15 s from now, for 20 s.
    let starts = Timestamp::from_second(Timestamp::now().as_second() + 15)?;
    let at = starts.strftime("%Y-%m-%d %H:%M:%S").to_string();
    stack
        .command_as(
            APPROVER,
            "/freeze",
            &format!("add release-week {at} for 20s UTC Release week"),
        )
        .await?;
    stack
        .ephemeral_containing("Scheduled freeze `release-week`")
        .await?;
    let list = listed(&stack, "release-week").await?;
    let next = starts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert!(list.contains(&format!("next starts {next}")), "{list}");
    assert!(list.contains("Release week"), "{list}");

    // A delivery waits at its intake gate meanwhile; not frozen yet.
    let (id, card, request) = stack.feature_at_intake("Add gift cards").await?;
    let status = stack.query(&freeze, queries::FREEZE).unwrap_or_default();
    assert_ne!(status["engaged"], true, "engaged before its time: {status}");

    // On time, it engages: holding, not stopping.
    channel_note(
        &stack,
        "Scheduled freeze `release-week` engaged",
        Duration::from_secs(45),
    )
    .await?;
    let engaged_at = Timestamp::now();
    assert!(
        engaged_at >= starts,
        "engaged at {engaged_at}, before {starts}"
    );
    let status = stack.query(&freeze, queries::FREEZE)?;
    assert_eq!(status["engaged"], true, "{status}");
    assert_eq!(status["scheduled"]["name"], "release-week", "{status}");
    let until = status["scheduled"]["until"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // The delivery, approved now, holds before planning and says which freeze and until when.
    stack.press(&request, "Approve")?;
    stack
        .reply_containing(
            &card,
            &format!("Held before Planning: the scheduled freeze `release-week` holds deliveries until {until}"),
        )
        .await?;
    stack
        .card_showing(
            &card,
            &format!("Held by the scheduled freeze `release-week` until {until}"),
        )
        .await?;
    assert_eq!(stack.status(&id)?["phase"], "intake");

    // On time, it ends and the delivery goes on.
    channel_note(
        &stack,
        "Scheduled freeze `release-week` ended.",
        Duration::from_secs(45),
    )
    .await?;
    let ended_at = Timestamp::now();
    let ends = Timestamp::from_second(starts.as_second() + 20)?;
    assert!(ended_at >= ends, "released at {ended_at}, before {ends}");
    stack
        .reply_containing(&card, "Emergency stop released: going on with Planning.")
        .await?;

    // Off the calendar; the audit log has both changes and the refusal.
    stack
        .command_as(APPROVER, "/freeze", "remove release-week")
        .await?;
    stack
        .ephemeral_containing("Removed the scheduled freeze `release-week`")
        .await?;
    listed(&stack, "No freezes are scheduled").await?;
    let audit = stack.audit_log()?;
    for needle in ["freeze.add", "freeze.remove"] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(needle) && l.contains(APPROVER)),
            "{needle}: {audit}"
        );
    }
    assert!(
        audit
            .lines()
            .any(|l| l.contains("freeze.add") && l.contains(REQUESTER) && l.contains("refused")),
        "{audit}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hotfix_passes_a_freeze_only_with_on_call_leave() -> anyhow::Result<()> {
    let stack = Stack::start("hotfix", StackOptions::default()).await?;
    // A freeze from 3 s from now for ten minutes.
    let starts = Timestamp::from_second(Timestamp::now().as_second() + 3)?;
    let at = starts.strftime("%Y-%m-%d %H:%M:%S").to_string();
    stack
        .command_as(
            APPROVER,
            "/freeze",
            &format!("add release-week {at} for 10m Release week"),
        )
        .await?;
    channel_note(
        &stack,
        "Scheduled freeze `release-week` engaged",
        Duration::from_secs(45),
    )
    .await?;

    // A hotfix and an ordinary patch both hold.
    let hold = "Held before Development: the scheduled freeze `release-week`";
    let ack = stack
        .command("/feature", "hotfix Fix the checkout crash")
        .await?;
    let hotfix = stack.feature_in_ack(&ack)?;
    let hotfix_card = stack.card(&hotfix).await?;
    stack
        .card_showing(&hotfix_card, "Hotfix: Fix the checkout crash")
        .await?;
    let held = stack.reply_containing(&hotfix_card, hold).await?;
    assert!(
        held.rendered().contains(&format!(
            "someone on call may let it pass with `/feature pass-freeze {hotfix} <reason>`"
        )),
        "{}",
        held.rendered()
    );
    let ack = stack.command("/feature", "patch Tidy the footer").await?;
    let patch = stack.feature_in_ack(&ack)?;
    let patch_card = stack.card(&patch).await?;
    stack.reply_containing(&patch_card, hold).await?;

    // Not on call: refused in Slack, and as a raw signal by the workflow.
    stack
        .command_as(
            REQUESTER,
            "/feature",
            &format!("pass-freeze {hotfix} it is urgent"),
        )
        .await?;
    stack
        .ephemeral_containing("Only on-call engineers may let a hotfix pass a freeze")
        .await?;
    stack.signal(
        &hotfix,
        signals::name::PASS_FREEZE,
        &serde_json::json!({"user": REQUESTER, "reason": "it is urgent"}).to_string(),
    )?;
    stack
        .wait_status(&hotfix, "the raw refusal on the timeline", |s| {
            s["timeline"]
                .to_string()
                .contains("only people on call (CHATOPS__EMERGENCY__ONCALL) may")
        })
        .await?;
    // On call, for the ordinary patch: refused by the workflow, which holds it still.
    stack
        .command_as(
            APPROVER,
            "/feature",
            &format!("pass-freeze {patch} tidy is urgent"),
        )
        .await?;
    stack
        .wait_status(&patch, "the refusal for a patch", |s| {
            s["timeline"]
                .to_string()
                .contains("only a hotfix may pass a freeze")
        })
        .await?;
    assert_eq!(stack.status(&hotfix)?["phase"], "intake");

    // On call, for the hotfix: it passes the freeze and goes all the way.
    stack
        .command_as(
            APPROVER,
            "/feature",
            &format!("pass-freeze {hotfix} checkout is down for everyone"),
        )
        .await?;
    stack
        .reply_containing(
            &hotfix_card,
            &format!("Passing the freeze: allowed by @{APPROVER} (checkout is down for everyone)."),
        )
        .await?;
    let gate = stack.gate_request(&hotfix_card, "production").await?;
    stack.press(&gate, "Approve")?;
    stack.card_showing(&hotfix_card, "Complete").await?;
    assert_eq!(
        stack.query(&freeze_workflow_id(&stack.task_queue), queries::FREEZE)?["engaged"],
        true
    );
    // The patch is still held.
    let patch_status = stack.status(&patch)?;
    assert_eq!(patch_status["phase"], "intake", "{patch_status}");
    let audit = stack.audit_log()?;
    assert!(
        audit.lines().any(|l| l.contains("feature.pass_freeze")
            && l.contains(REQUESTER)
            && l.contains("refused")),
        "{audit}"
    );
    assert!(
        audit.lines().any(|l| l.contains("feature.pass_freeze")
            && l.contains(APPROVER)
            && l.contains(&hotfix)
            && l.contains("sent")),
        "{audit}"
    );
    // The red button pressed during the freeze takes over: the held patch is stopped, and the
    // freeze's end will not release the stop.
    stack
        .command_as(APPROVER, "/emergency-stop", "checkout still broken")
        .await?;
    let confirm = stack
        .ephemeral_containing("Engage the emergency stop?")
        .await?;
    press_ephemeral(&stack, APPROVER, &confirm, "Engage emergency stop")?;
    channel_note(&stack, "EMERGENCY STOP engaged", WAIT).await?;
    stack
        .wait_status(&patch, "the held patch stopped", |s| {
            s["phase"] == "cancelled"
        })
        .await?;
    let status = stack.query(&freeze_workflow_id(&stack.task_queue), queries::FREEZE)?;
    assert_eq!(status["engaged_by"], APPROVER, "{status}");
    assert!(status["scheduled"].is_null(), "{status}");
    Ok(())
}
