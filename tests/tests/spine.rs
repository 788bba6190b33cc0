//! The spine, end to end: Slack → bot → Temporal → worker → Slack, on a real dev server with the
//! real worker and bot processes and a local Slack speaking Slack's wire protocols.

use chatops_contract::signals;
use chatops_e2e::stack::{APPROVER, WAIT, has_event};
use chatops_e2e::{Stack, StackOptions};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn approve_walks_every_phase_and_completes() -> anyhow::Result<()> {
    let stack = Stack::start("approve", StackOptions::default()).await?;

    // Arrange: a feature is requested.
    let ack = stack.command("/feature", "new Add OAuth2 login").await?;
    let reply = stack.ack_text(&ack);
    assert!(
        reply.contains("Starting `feature-add-oauth2-login-"),
        "{reply}"
    );
    assert!(reply.contains("Open in Temporal (http://127.0.0.1:8233/namespaces/default/workflows/feature-add-oauth2-login-"), "{reply}");
    let id = reply.split('`').nth(1).unwrap_or_default().to_owned();

    let card = stack.card(&id).await?;
    assert!(
        card.rendered().contains("Feature: Add OAuth2 login"),
        "{}",
        card.rendered()
    );
    assert!(
        card.rendered().contains("Requested by: @U0REQUESTER"),
        "{}",
        card.rendered()
    );
    let request = stack
        .reply_containing(&card, "Approval needed: intake gate")
        .await?;
    let labels: Vec<String> = request.buttons().into_iter().map(|b| b.label).collect();
    assert_eq!(labels, ["Approve", "Reject"]);

    // Act: the approver clicks Approve.
    stack.press(&request, "Approve")?;

    // Assert: the decision shows in the thread and on the card, with who and when.
    stack
        .reply_containing(&card, &format!("Intake approved by @{APPROVER}"))
        .await?;
    let decided = stack
        .card_showing(&card, &format!("intake gate approved by @{APPROVER} at "))
        .await?;
    assert!(decided.edits > 0);
    assert!(
        !decided.rendered().contains("approvals"),
        "one approver needed: no vote count on the card: {}",
        decided.rendered()
    );
    let request_now = stack
        .slack
        .wait_for("the approval request to lose its buttons", WAIT, |r| {
            r.messages
                .iter()
                .find(|m| m.ts == request.ts && m.buttons().is_empty())
                .cloned()
        })
        .await?;
    assert!(
        request_now.rendered().contains("approved by @U0APPROVER"),
        "{}",
        request_now.rendered()
    );

    // Every phase is reported in the thread; the plan and production gates ask for approval
    // too. On embedded defaults (no agent, checks or deploys) each phase says what it skipped.
    stack.reply_containing(&card, "> Planning").await?;
    let plan = stack
        .reply_containing(&card, "Approval needed: plan gate")
        .await?;
    stack.press(&plan, "Approve")?;
    for phase in [
        "> Development",
        "> Testing",
        "> Staging",
        "> Production readiness",
    ] {
        stack.reply_containing(&card, phase).await?;
    }
    let production = stack
        .reply_containing(&card, "Approval needed: production gate")
        .await?;
    stack.press(&production, "Approve")?;
    stack.reply_containing(&card, "> Production").await?;
    stack
        .reply_containing(&card, "Delivered to production.")
        .await?;
    stack.card_showing(&card, "Phase: [done] Complete").await?;
    assert_eq!(
        stack.workflow_closed(&id).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );
    let thread = stack.thread_text(&card);
    for said in [
        "No agent is configured",
        "No quality checks are configured",
        "No staging deploy or health check is configured",
    ] {
        assert!(thread.contains(said), "{said:?} missing from:\n{thread}");
    }

    // `/feature status` shows the new phase and every decision.
    let ack = stack.command("/feature", &format!("status {id}")).await?;
    assert!(
        stack.ack_text(&ack).is_empty(),
        "status answers after the ack, not in it"
    );
    let status = stack
        .ephemeral_containing(&format!("{id} — [done] Complete"))
        .await?;
    let text = status.rendered();
    for gate in ["intake", "plan", "production"] {
        assert!(
            text.contains(&format!("{gate} gate approved by @U0APPROVER")),
            "{text}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_phase_while_the_feature_runs() -> anyhow::Result<()> {
    let stack = Stack::start("status", StackOptions::slow_phases()).await?;
    let id = stack.new_feature("Faster checkout").await?;
    let card = stack.card(&id).await?;

    stack.command("/feature", &format!("status {id}")).await?;
    let pending = stack
        .ephemeral_containing(&format!("{id} — [intake] Intake"))
        .await?;
    assert!(
        pending.rendered().contains("intake gate pending"),
        "{}",
        pending.rendered()
    );

    let request = stack.reply_containing(&card, "Approval needed").await?;
    stack.press(&request, "Approve")?;
    stack
        .reply_containing(&card, "Approval needed: plan gate")
        .await?;
    stack.command("/feature", &format!("status {id}")).await?;
    let planning = stack
        .ephemeral_containing(&format!("{id} — > Planning"))
        .await?;
    assert!(
        planning.rendered().contains("plan gate pending"),
        "{}",
        planning.rendered()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn reject_stops_the_feature_and_says_who() -> anyhow::Result<()> {
    let stack = Stack::start("reject", StackOptions::default()).await?;
    let (id, card, request) = stack
        .feature_at_intake("Rewrite everything in COBOL")
        .await?;

    stack.press(&request, "Reject")?;

    stack
        .reply_containing(&card, &format!("Rejected by @{APPROVER}"))
        .await?;
    stack
        .card_showing(&card, "Phase: [stopped] Rejected")
        .await?;
    stack
        .card_showing(&card, &format!("intake gate rejected by @{APPROVER}"))
        .await?;
    assert_eq!(
        stack.workflow_closed(&id).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );
    let thread = stack.thread_text(&card);
    assert!(
        !thread.contains("> Planning"),
        "no phase may run after a rejection:\n{thread}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undecided_gate_times_out_and_is_rejected() -> anyhow::Result<()> {
    let stack = Stack::start(
        "timeout",
        StackOptions {
            intake_timeout: "2s",
            ..Default::default()
        },
    )
    .await?;
    let id = stack.new_feature("Dark mode").await?;
    let card = stack.card(&id).await?;
    let request = stack
        .reply_containing(&card, "Without a decision it is rejected in 2s")
        .await?;

    stack
        .reply_containing(&card, "Rejected: nobody decided the intake gate within 2s.")
        .await?;
    stack
        .card_showing(&card, "intake gate timed out (rejected)")
        .await?;
    assert_eq!(
        stack.workflow_closed(&id).await?,
        "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    );

    // The old request lost its buttons; a click on a stale copy says the feature is over.
    stack.press(&request, "Approve")?;
    let answer = stack
        .ephemeral_containing(&format!("`{id}` has already finished (completed)"))
        .await?;
    assert!(
        answer.rendered().contains("can't approve it any more"),
        "{}",
        answer.rendered()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn mistakes_get_specific_ephemeral_answers() -> anyhow::Result<()> {
    let stack = Stack::start("mistakes", StackOptions::default()).await?;
    let table = [
        ("/deploy", "now", "I don't know the command `/deploy`."),
        (
            "/feature",
            "launch rockets",
            "`/feature launch` is not a feature command.",
        ),
        (
            "/feature",
            "status",
            "Missing the feature id. Usage: `/feature status <id>`",
        ),
        ("/feature", "status banana", "`banana` is not a feature id."),
        (
            "/incident",
            "status banana",
            "`banana` is not an incident id.",
        ),
        (
            "/incident",
            "new",
            "Missing the service. Usage: `/incident new <service>",
        ),
        (
            "/incident",
            "escalate",
            "`/incident escalate` is not an incident command.",
        ),
        (
            "/emergency-stop",
            "release",
            "Missing the reason it is safe again.",
        ),
    ];
    for (command, text, want) in table {
        let ack = stack.command(command, text).await?;
        let got = stack.ack_text(&ack);
        assert!(got.contains(want), "{command} {text}: {got}");
    }
    let help = stack.ack_text(&stack.command("/feature", "help").await?);
    assert!(
        help.contains("/feature new <request>") && help.contains("/feature status <id>"),
        "{help}"
    );

    // A well-formed id that names nothing.
    stack
        .command("/feature", "status feature-nothing-00000000")
        .await?;
    stack
        .ephemeral_containing("I can't find `feature-nothing-00000000`")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_and_damaged_buttons_are_refused_clearly() -> anyhow::Result<()> {
    let stack = Stack::start("buttons", StackOptions::default()).await?;
    let (id, _card, request) = stack.feature_at_intake("Audit log export").await?;
    let mut approve = request
        .buttons()
        .into_iter()
        .find(|b| b.label == "Approve")
        .ok_or_else(|| anyhow::anyhow!("no Approve"))?;

    approve.value = Some("{not json".into());
    stack.press_button(&request, &approve)?;
    stack
        .ephemeral_containing("That button's data is damaged")
        .await?;

    approve.action_id = "otherapp.launch".into();
    stack.press_button(&request, &approve)?;
    stack
        .ephemeral_containing("That button isn't one I know")
        .await?;

    // Neither press decided anything.
    stack.command("/feature", &format!("status {id}")).await?;
    stack.ephemeral_containing("intake gate pending").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivered_command_starts_exactly_one_workflow() -> anyhow::Result<()> {
    let stack = Stack::start("redelivery", StackOptions::default()).await?;
    let first = stack
        .slack
        .slash_command("/feature", "new Retry me", "U0REQUESTER", "C0DELIVERY");

    // Slack redelivers the same envelope (same envelope id, same trigger id).
    let ack1 = stack
        .slack
        .send_and_ack(&first, Duration::from_secs(3))
        .await?;
    let ack2 = stack
        .slack
        .send_and_ack(&first.redelivery(), Duration::from_secs(3))
        .await?;
    let (t1, t2) = (stack.ack_text(&ack1), stack.ack_text(&ack2));
    assert_eq!(t1, t2, "both deliveries name the same workflow");
    let id = t1.split('`').nth(1).unwrap_or_default().to_owned();

    // Wait until the bot has tried the second start, then count runs and cards.
    let bot_saw_duplicate = || {
        stack.bot_log().contains(&format!("workflow_id={id}"))
            && stack.bot_log().contains("duplicate /feature new")
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while !bot_saw_duplicate() {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the bot never handled the redelivery:\n{}",
            stack.bot_log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let card = stack.card(&id).await?;
    stack.reply_containing(&card, "Approval needed").await?;
    assert_eq!(stack.workflow_count(&format!("WorkflowId = '{id}'"))?, 1);
    assert_eq!(stack.recorded().cards_mentioning(&id).len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_double_click_decides_once() -> anyhow::Result<()> {
    let stack = Stack::start("doubleclick", StackOptions::slow_phases()).await?;
    let (id, card, request) = stack.feature_at_intake("Rate limits").await?;

    stack.press(&request, "Approve")?;
    stack.press(&request, "Approve")?;

    // The workflow's validator refuses the second click and the clicker is told why; only one
    // decision is announced.
    stack
        .ephemeral_containing(
            "Your approve did not count: the intake gate is already approved. Nothing was changed.",
        )
        .await?;
    let status = stack.status(&id)?;
    assert_eq!(
        status["gates"][0]["approvals"].as_array().map(Vec::len),
        Some(1),
        "{status}"
    );
    stack
        .reply_containing(&card, "Approval needed: plan gate")
        .await?;
    let thread = stack.thread_text(&card);
    assert_eq!(thread.matches("Intake approved by").count(), 1, "{thread}");
    Ok(())
}

/// The README's worked example: the public contract, driven by the `temporal` CLI alone.
#[tokio::test(flavor = "multi_thread")]
async fn the_temporal_cli_alone_can_drive_a_feature() -> anyhow::Result<()> {
    let stack = Stack::start("cli", StackOptions::default()).await?;
    let id = "feature-cli-demo-00000001";
    stack.temporal(&[
        "workflow", "start", "--task-queue", &stack.task_queue, "--type", chatops_contract::workflows::FEATURE_DELIVERY, "--workflow-id", id,
        "--input", r#"{"request": "Add OAuth2 login", "requester": "U0CLI", "channel": "C0DELIVERY", "target_environment": "staging"}"#,
    ])?;
    let card = stack.card(id).await?;
    stack.reply_containing(&card, "Approval needed").await?;
    let status = stack.status(id)?;
    assert_eq!(status["phase"], "intake");
    assert_eq!(status["pending_gates"][0]["name"], "intake");

    // A malformed signal is recorded and ignored; it never wedges the workflow.
    stack.signal(id, signals::APPROVE, r#"{"gate": 7}"#)?;
    stack
        .wait_status(id, "the malformed signal to be recorded", |s| {
            has_event(s, "ignored malformed approve signal")
        })
        .await?;

    stack.signal(
        id,
        signals::APPROVE,
        r#"{"gate": "intake", "user": "U0OPS", "comment": "ship it"}"#,
    )?;
    stack
        .wait_status(id, "the plan gate", |s| {
            s["pending_gates"][0]["name"] == "plan"
        })
        .await?;
    stack.signal(id, signals::APPROVE, r#"{"gate": "plan", "user": "U0OPS"}"#)?;
    let result = stack.temporal(&["workflow", "result", "-w", id, "-o", "json"])?;
    assert!(
        result.contains(r#""phase": "complete""#) || result.contains(r#""phase":"complete""#),
        "{result}"
    );
    stack
        .reply_containing(&card, "Intake approved by @U0OPS")
        .await?;
    let thread = stack.thread_text(&card);
    assert!(
        thread.contains("> Staging") && !thread.contains("production gate"),
        "a staging target stops at staging:\n{thread}"
    );
    let status = stack.status(id)?;
    assert_eq!(status["gates"][0]["note"], "ship it");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn approvals_need_the_role_distinct_people_and_never_the_requester() -> anyhow::Result<()> {
    use chatops_e2e::stack::{APPROVER_GROUP, REQUESTER, SECOND_APPROVER};
    let stack = Stack::start(
        "roles",
        StackOptions {
            env: vec![
                (
                    "CHATOPS__APPROVALS__APPROVERS".into(),
                    APPROVER_GROUP.into(),
                ),
                ("CHATOPS__APPROVALS__REQUIRED".into(), "2".into()),
                (
                    "CHATOPS__APPROVALS__NO_SELF_APPROVAL".into(),
                    "intake".into(),
                ),
            ],
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    let (id, card, request) = stack.feature_at_intake("Audit log export").await?;
    assert!(
        card.rendered().contains("0 of 2 approvals"),
        "{}",
        card.rendered()
    );

    // Each refusal reaches the person who clicked, with the reason; nothing changes.
    let refusals = [
        ("U0OUTSIDER", "you are not an approver for the intake gate"),
        (
            REQUESTER,
            "you requested this feature, so someone else must approve its intake gate",
        ),
    ];
    for (user, why) in refusals {
        stack.press_as(user, &request, "Approve")?;
        stack
            .ephemeral_containing(&format!(
                "Your approve did not count: {why}. Nothing was changed."
            ))
            .await?;
    }

    // One approver is half the way; the same approver again does not count twice.
    stack.press_as(APPROVER, &request, "Approve")?;
    stack
        .reply_containing(&card, &format!("Intake: 1 of 2 approvals: @{APPROVER}."))
        .await?;
    stack
        .card_showing(&card, &format!("1 of 2 approvals: @{APPROVER}"))
        .await?;
    stack.press_as(APPROVER, &request, "Approve")?;
    stack
        .ephemeral_containing("you have already approved the intake gate (1 of 2 approvals)")
        .await?;
    assert_eq!(stack.status(&id)?["gates"][0]["state"], "pending");

    // A second, different approver passes the gate.
    stack.press_as(SECOND_APPROVER, &request, "Approve")?;
    stack
        .reply_containing(&card, &format!("Intake approved by @{SECOND_APPROVER}"))
        .await?;
    let status = stack
        .wait_status(&id, "planning", |s| s["phase"] == "planning")
        .await?;
    let voters: Vec<&str> = status["gates"][0]["approvals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["user"].as_str())
        .collect();
    assert_eq!(voters, [APPROVER, SECOND_APPROVER]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivered_press_is_handled_once_and_every_decision_is_audited() -> anyhow::Result<()> {
    let stack = Stack::start("redeliver-press", StackOptions::slow_phases()).await?;
    let (id, card, request) = stack.feature_at_intake("Quarterly report").await?;

    // Slack delivers the same press twice (its ack was lost): one decision, no refusal.
    let button = request
        .buttons()
        .into_iter()
        .find(|b| b.label == "Approve")
        .ok_or_else(|| anyhow::anyhow!("no Approve button"))?;
    let press = stack.slack.button_press(APPROVER, &request, &button);
    stack.slack.send(&press)?;
    stack.slack.send(&press.redelivery())?;
    stack
        .reply_containing(&card, &format!("Intake approved by @{APPROVER}"))
        .await?;
    // A later, distinct click is a real second attempt: refused, and audited too.
    stack.press(&request, "Reject")?;
    stack
        .ephemeral_containing("Your reject did not count: the intake gate is already approved.")
        .await?;
    let log = stack.audit_log()?;
    let approvals: Vec<&str> = log.lines().filter(|l| l.contains(" approve ")).collect();
    assert_eq!(approvals.len(), 1, "{log}");
    assert!(
        approvals[0].contains(&format!(
            "{APPROVER} approve {id} gate=intake decision=approve → accepted: approved"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("{APPROVER} reject {id} gate=intake decision=reject → refused: the intake gate is already approved")),
        "{log}"
    );
    assert!(
        log.contains(&format!("feature.new {id} → started")),
        "{log}"
    );
    assert!(
        !stack
            .recorded()
            .ephemerals
            .iter()
            .any(|e| e.rendered().contains("approve did not count")),
        "the redelivery must not be processed"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gate_of_its_own_takes_only_its_approvers_and_its_count() -> anyhow::Result<()> {
    use chatops_e2e::stack::{APPROVER_GROUP, SECOND_APPROVER};
    // Everyone in the approver group decides gates, one approval each, except intake: only
    // the second approver decides it.
    let stack = Stack::start(
        "gate-rules",
        StackOptions {
            env: vec![
                (
                    "CHATOPS__APPROVALS__APPROVERS".into(),
                    APPROVER_GROUP.into(),
                ),
                (
                    "CHATOPS__APPROVALS__GATES".into(),
                    format!(r#"{{"intake": {{"approvers": "{SECOND_APPROVER}"}}, "plan": {{"required": 2}}}}"#),
                ),
            ],
            ..StackOptions::default()
        },
    )
    .await?;
    let (id, card, request) = stack.feature_at_intake("Audit log export").await?;
    // The App Home tab offers the gate to its own approver only.
    for (user, waiting) in [(APPROVER, 0), (SECOND_APPROVER, 1)] {
        stack.slack.send(&stack.slack.app_home_opened(user))?;
        let home = stack
            .slack
            .wait_for(&format!("the home tab of {user}"), WAIT, |r| {
                r.views
                    .iter()
                    .find(|v| v.user.as_deref() == Some(user))
                    .cloned()
            })
            .await?;
        assert!(
            home.rendered()
                .contains(&format!("Waiting for you ({waiting})")),
            "{user}: {}",
            home.rendered()
        );
    }
    stack.press_as(APPROVER, &request, "Approve")?;
    let refusal = stack
        .ephemeral_containing(
            "Your approve did not count: you are not an approver for the intake gate. Nothing was changed.",
        )
        .await?;
    assert!(
        refusal.rendered().contains(&format!(
            "Open in Temporal (http://127.0.0.1:8233/namespaces/default/workflows/{id})"
        )),
        "{}",
        refusal.rendered()
    );
    stack.press_as(SECOND_APPROVER, &request, "Approve")?;
    stack
        .reply_containing(&card, &format!("Intake approved by @{SECOND_APPROVER}"))
        .await?;
    // The plan gate follows the group, and needs two of it.
    let plan = stack
        .reply_containing(&card, "Approval needed: plan gate")
        .await?;
    stack.press_as(APPROVER, &plan, "Approve")?;
    stack
        .card_showing(&card, &format!("1 of 2 approvals: @{APPROVER}"))
        .await?;
    let status = stack.status(&id)?;
    let plan_gate = status["gates"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["name"] == "plan")
        .cloned()
        .unwrap_or_default();
    assert_eq!(plan_gate["required"], 2, "{plan_gate}");
    assert_eq!(plan_gate["state"], "pending", "{plan_gate}");
    Ok(())
}
