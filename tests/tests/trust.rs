//! Trust at the seams an operator cannot see: what a workflow's input can make the worker run.

use chatops_contract::workflows;
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn a_check_runs_the_command_configured_on_the_worker_never_one_from_workflow_input()
-> anyhow::Result<()> {
    // Arrange: the worker knows one check, `unit_tests`, which leaves a mark when it runs.
    let dir = chatops_e2e::scratch("trust-checks")?;
    let (configured, smuggled, unknown) = (
        dir.join("configured"),
        dir.join("smuggled"),
        dir.join("unknown"),
    );
    let checks = json!([{
        "name": "unit_tests",
        "command": format!("touch {}; echo 12 passed", configured.display()),
    }]);
    let opts = StackOptions {
        env: vec![("CHATOPS__FEATURE__CHECKS".into(), checks.to_string())],
        ..StackOptions::default()
    };
    let stack = Stack::start("trust-checks", opts).await?;

    // Act: anyone who can start a workflow asks for the quality gate with commands of their own,
    // one under the configured check's name and one under a name the worker does not know.
    let id = "trust-quality-0001";
    let input = json!({
        "feature": id,
        "request": {"request": "anything", "requester": "U0MALLORY", "channel": "C0DELIVERY"},
        "policy": {"checks": [
            {"name": "unit_tests", "command": format!("touch {}", smuggled.display())},
            {"name": "exfiltrate", "command": format!("touch {}", unknown.display())},
        ]},
        "evidence": {},
    });
    stack.temporal(&[
        "workflow",
        "start",
        "--task-queue",
        &stack.task_queue,
        "--type",
        workflows::QUALITY_GATE,
        "--workflow-id",
        id,
        "--input",
        &input.to_string(),
    ])?;
    let status = stack.workflow_closed(id).await?;
    let result: Value =
        serde_json::from_str(&stack.temporal(&["workflow", "result", "-w", id, "-o", "json"])?)?;

    // Assert: the configured command ran, neither smuggled one did, and the report says why.
    assert_eq!(status, "WORKFLOW_EXECUTION_STATUS_COMPLETED", "{result}");
    assert!(configured.exists(), "the configured check ran: {result}");
    assert!(
        !smuggled.exists(),
        "a command from workflow input ran: {result}"
    );
    assert!(!unknown.exists(), "an unconfigured check ran: {result}");
    let text = result.to_string();
    assert!(
        text.contains("check `exfiltrate` is not configured on this worker"),
        "{text}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feature_is_steered_only_by_its_requester_approvers_and_admins() -> anyhow::Result<()> {
    use chatops_contract::signals;
    use chatops_e2e::stack::{APPROVER, APPROVER_GROUP, CHANNEL, REQUESTER, has_event};
    const STRANGER: &str = "U0STRANGER";
    let opts = StackOptions {
        env: vec![(
            "CHATOPS__APPROVALS__APPROVERS".into(),
            APPROVER_GROUP.into(),
        )],
        ..StackOptions::default()
    };
    let stack = Stack::start("trust-steer", opts).await?;
    let (id, _card, _request) = stack.feature_at_intake("Add a login page").await?;

    // Someone with no role: the bot refuses at once and audits it.
    stack
        .command_as(STRANGER, "/feature", &format!("pause {id} not mine"))
        .await?;
    stack
        .ephemeral_containing(&format!(
            "Only the requester (@{REQUESTER}), the approvers of its gates (CHATOPS__APPROVALS__APPROVERS) or an admin (CHATOPS__APPROVALS__ADMINS) may pause, resume, block, unblock or reprioritise `{id}`. Nothing was changed."
        ))
        .await?;
    // Raw signals from the same person are refused by the workflow and kept on its timeline.
    let user = json!({"user": STRANGER, "reason": "raw"}).to_string();
    stack.signal(&id, signals::PAUSE, &user)?;
    stack.signal(&id, signals::CANCEL, &user)?;
    stack.signal(
        &id,
        signals::UPDATE_PRIORITY,
        &json!({"user": STRANGER, "priority": "critical"}).to_string(),
    )?;
    stack.signal(
        &id,
        signals::REQUEST_CLARIFICATION,
        &json!({"user": STRANGER, "note": "raw"}).to_string(),
    )?;
    let status = stack
        .wait_status(&id, "four refusals", |s| {
            [
                "pause by U0STRANGER refused",
                "cancel by U0STRANGER refused",
                "priority by U0STRANGER refused",
                "request_clarification by U0STRANGER refused",
            ]
            .iter()
            .all(|e| has_event(s, e))
        })
        .await?;
    assert_eq!(status["paused"], false, "{status}");
    assert_eq!(status["phase"], "intake", "{status}");
    assert_ne!(status["priority"], "critical", "{status}");

    // An approver (not the requester) may pause; the requester may resume.
    stack
        .command_as(APPROVER, "/feature", &format!("pause {id} demo day"))
        .await?;
    stack
        .wait_status(&id, "the pause", |s| s["paused"] == true)
        .await?;
    stack
        .command_as(REQUESTER, "/feature", &format!("resume {id}"))
        .await?;
    stack
        .wait_status(&id, "the resume", |s| s["paused"] == false)
        .await?;
    let audit = stack.audit_log()?;
    assert!(
        audit.contains("feature.pause") && audit.contains("refused: Only the requester"),
        "{audit}"
    );

    // A cancel sent with the start, so it arrives before the feature knows its roles: it waits
    // for them and is refused like any other.
    let early = format!("{id}-early");
    let request =
        json!({"request": "Add a logout page", "requester": REQUESTER, "channel": CHANNEL});
    stack.temporal(&[
        "workflow",
        "signal-with-start",
        "--workflow-id",
        &early,
        "--type",
        chatops_contract::workflows::FEATURE_DELIVERY,
        "--task-queue",
        &stack.task_queue,
        "--input",
        &request.to_string(),
        "--signal-name",
        signals::name::CANCEL,
        "--signal-input",
        &json!({"user": STRANGER, "reason": "early"}).to_string(),
    ])?;
    let status = stack
        .wait_status(&early, "the early cancel refused", |s| {
            has_event(s, "cancel by U0STRANGER refused") && s["phase"] == "intake"
        })
        .await?;
    assert!(!has_event(&status, "cancelled: early"), "{status}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn features_from_a_private_channel_are_shown_only_to_its_members() -> anyhow::Result<()> {
    use chatops_e2e::stack::{APPROVER, REQUESTER};
    let stack = Stack::start(
        "trust-private",
        StackOptions {
            private_channels: [("C0SECRET".to_owned(), vec![REQUESTER.to_owned()])].into(),
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    let ack = stack
        .command_in(REQUESTER, "C0SECRET", "/feature", "new Quiet launch")
        .await?;
    let secret = stack.feature_in_ack(&ack)?;
    stack.card(&secret).await?;
    let open = stack.new_feature("Loud launch").await?;
    stack.card(&open).await?;

    // Someone not in the channel: the public feature, not the private one.
    stack.command_as(APPROVER, "/feature", "list all").await?;
    let listed = stack.ephemeral_containing("Loud launch").await?;
    assert!(
        !listed.rendered().contains("Quiet launch"),
        "{}",
        listed.rendered()
    );
    stack
        .command_as(APPROVER, "/feature", &format!("status {secret}"))
        .await?;
    stack
        .ephemeral_containing("was requested in a private channel you are not in")
        .await?;
    // Its requester, a member, sees it.
    stack.command_as(REQUESTER, "/feature", "list all").await?;
    let theirs = stack.ephemeral_containing("Quiet launch").await?;
    assert!(
        theirs.rendered().contains("Loud launch"),
        "{}",
        theirs.rendered()
    );
    Ok(())
}

/// Incidents handled in a private channel, and features requested in one, are shown only to
/// the channel's members: in `/incident list` and `status`, in the CLI's view of the same, and
/// in the App Home tab.
#[tokio::test(flavor = "multi_thread")]
async fn incidents_in_a_private_channel_are_shown_only_to_its_members_and_so_is_the_home_tab()
-> anyhow::Result<()> {
    use chatops_e2e::stack::{APPROVER, INCIDENT_CHANNEL, REQUESTER, WAIT, alertmanager};
    let stack = Stack::start(
        "trust-private-incident",
        StackOptions {
            private_channels: [
                (INCIDENT_CHANNEL.to_owned(), vec![APPROVER.to_owned()]),
                ("C0SECRET".to_owned(), vec![APPROVER.to_owned()]),
            ]
            .into(),
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    stack
        .send_alert(&alertmanager("fp-ledger", "ledger", "firing"))
        .await?;
    let (_, id) = stack.incident_card("ledger").await?;
    // A private feature too, for the home tab.
    let ack = stack
        .command_in(APPROVER, "C0SECRET", "/feature", "new Quiet migration")
        .await?;
    let secret = stack.feature_in_ack(&ack)?;
    stack.card(&secret).await?;

    // Someone outside the channel: no incident listed, its status refused with the reason.
    stack.command_as(REQUESTER, "/incident", "list").await?;
    stack.ephemeral_containing("No open incidents").await?;
    stack
        .command_as(REQUESTER, "/incident", &format!("status {id}"))
        .await?;
    stack
        .ephemeral_containing(&format!(
            "`{id}` is handled in a private channel you are not in"
        ))
        .await?;
    // A member sees both.
    stack.command_as(APPROVER, "/incident", "list").await?;
    stack.ephemeral_containing("ledger 5xx above 5%").await?;

    // The home tab: the member sees the incident and the private feature; the other neither.
    let home_of = |user: &'static str| {
        let stack = &stack;
        async move {
            stack.slack.send(&stack.slack.app_home_opened(user))?;
            stack
                .slack
                .wait_for(&format!("the home tab of {user}"), WAIT, |r| {
                    r.views
                        .iter()
                        .rfind(|v| v.method == "views.publish" && v.user.as_deref() == Some(user))
                        .cloned()
                })
                .await
        }
    };
    let member = home_of(APPROVER).await?.rendered();
    assert!(member.contains("Open incidents (1)"), "{member}");
    assert!(member.contains(&secret), "{member}");
    let outsider = home_of(REQUESTER).await?.rendered();
    assert!(outsider.contains("Open incidents (0)"), "{outsider}");
    assert!(
        !outsider.contains(&secret) && !outsider.contains(&id),
        "{outsider}"
    );
    Ok(())
}
