//! The `/feature new` form and the App Home tab, end to end: the bot opens and reads views on
//! the local Slack, and what they start or decide runs on the real worker.

use chatops_e2e::stack::{APPROVER, APPROVER_GROUP, CHANNEL, REQUESTER, WAIT};
use chatops_e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use std::time::Duration;

fn text(value: &str) -> Value {
    json!({"type": "plain_text_input", "value": value})
}

fn choice(value: &str) -> Value {
    json!({"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}})
}

#[tokio::test(flavor = "multi_thread")]
async fn feature_new_without_text_opens_a_form_that_starts_the_feature_once() -> anyhow::Result<()>
{
    let stack = Stack::start("form", StackOptions::slow_phases()).await?;
    let ack = stack.command("/feature", "new").await?;
    assert_eq!(stack.ack_text(&ack), "", "the form is the answer");
    let form = stack
        .slack
        .wait_for("the form to open", WAIT, |r| {
            r.views.iter().find(|v| v.method == "views.open").cloned()
        })
        .await?;
    assert_eq!(form.view["callback_id"], "feature_new");
    assert_eq!(form.view["private_metadata"], CHANNEL);
    let labels: Vec<&str> = form.view["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["label"]["text"].as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "What should be built?",
            "Repository",
            "Priority",
            "Deliver to"
        ]
    );

    // Mistakes come back under their inputs, and the form stays open.
    let bad = stack.slack.submit_view(
        REQUESTER,
        &form,
        json!({
            "request": {"value": text("   ")},
            "repository": {"value": text("not a repository")},
            "priority": {"value": choice("high")},
            "target": {"value": choice("staging")},
        }),
    );
    let ack = stack
        .slack
        .send_and_ack(&bad, Duration::from_secs(3))
        .await?;
    let answer = ack.payload.unwrap_or_default();
    assert_eq!(answer["response_action"], "errors", "{answer}");
    assert_eq!(answer["errors"]["request"], "Say what should be built.");
    assert_eq!(
        answer["errors"]["repository"],
        "not a repository is not a repository; write it as owner/name."
    );
    assert!(answer["errors"].get("priority").is_none(), "{answer}");

    // A good submission closes the form, tells the requester, and starts the feature with
    // what the form said.
    let good = stack.slack.submit_view(
        REQUESTER,
        &form,
        json!({
            "request": {"value": text("Export the audit log as CSV")},
            "repository": {"value": text("acme/web")},
            "priority": {"value": choice("high")},
            "target": {"value": choice("staging")},
        }),
    );
    let ack = stack
        .slack
        .send_and_ack(&good, Duration::from_secs(3))
        .await?;
    assert!(
        ack.payload
            .as_ref()
            .is_none_or(|p| p.get("response_action").is_none()),
        "{:?}",
        ack.payload
    );
    let started = stack.ephemeral_containing("Starting `feature-").await?;
    let id = started
        .rendered()
        .split('`')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(id.starts_with("feature-export-the-audit-log"), "{id}");
    let card = stack.card(&id).await?;
    let shown = card.rendered();
    assert!(
        shown.contains("high") && shown.contains("staging"),
        "{shown}"
    );
    assert_eq!(card.channel, CHANNEL);
    let status = stack.status(&id)?;
    assert_eq!(status["requester"], REQUESTER);
    assert_eq!(status["priority"], "high");
    assert_eq!(status["target_environment"], "staging");

    // Slack redelivers the submission: the same view maps to the same feature; one card.
    stack
        .slack
        .send_and_ack(&good.redelivery(), Duration::from_secs(3))
        .await?;
    stack
        .bot_logged(&[
            "duplicate /feature new",
            &format!("workflow_id={id}"),
            "redelivered form submission",
        ])
        .await?;
    assert_eq!(stack.recorded().cards_mentioning(&id).len(), 1);
    let told = stack
        .recorded()
        .ephemerals
        .iter()
        .filter(|e| e.rendered().contains(&format!("Starting `{id}`")))
        .count();
    assert_eq!(told, 1, "the requester is told once");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn app_home_lists_what_waits_for_the_viewer_and_its_buttons_decide() -> anyhow::Result<()> {
    let stack = Stack::start(
        "home",
        StackOptions {
            env: vec![
                (
                    "CHATOPS__APPROVALS__APPROVERS".into(),
                    APPROVER_GROUP.into(),
                ),
                (
                    "CHATOPS__APPROVALS__NO_SELF_APPROVAL".into(),
                    "intake".into(),
                ),
            ],
            ..StackOptions::slow_phases()
        },
    )
    .await?;
    let (id, card, _request) = stack.feature_at_intake("Rotate the signing keys").await?;

    let home_of = |user: &'static str, nth: usize| {
        let stack = &stack;
        async move {
            stack
                .slack
                .wait_for(&format!("home tab #{nth} of {user}"), WAIT, |r| {
                    r.views
                        .iter()
                        .filter(|v| v.method == "views.publish" && v.user.as_deref() == Some(user))
                        .nth(nth)
                        .cloned()
                })
                .await
        }
    };

    // The approver sees the gate with its buttons; the requester (self-approval banned) and
    // someone outside the approvers see it only among the deliveries.
    let lookups_before = stack.recorded().count("usergroups.users.list");
    let opened = stack.slack.app_home_opened(APPROVER);
    stack.slack.send(&opened)?;
    let home = home_of(APPROVER, 0).await?;
    let shown = home.rendered();
    assert!(shown.contains("Waiting for you (1)"), "{shown}");
    assert!(shown.contains(&format!("intake gate of {id}")), "{shown}");
    assert!(shown.contains("Active deliveries (1)"), "{shown}");
    assert!(shown.contains("Open incidents (0)"), "{shown}");
    for user in [REQUESTER, "U0OUTSIDER"] {
        stack.slack.send(&stack.slack.app_home_opened(user))?;
        let theirs = home_of(user, 0).await?.rendered();
        assert!(theirs.contains("Waiting for you (0)"), "{user}: {theirs}");
        assert!(theirs.contains(&id), "{user}: {theirs}");
    }
    // Three viewers, one approver group: Slack was asked for its members once (role cache).
    let lookups = stack.recorded().count("usergroups.users.list") - lookups_before;
    assert!(
        lookups <= 1,
        "{lookups} usergroups.users.list calls for three views"
    );

    // Slack retries the event (same event id, new envelope): handled once.
    let mut retry = opened.redelivery();
    retry.id = format!("{}-retry", retry.id);
    stack.slack.send(&retry)?;
    stack.bot_logged(&["redelivered event ignored"]).await?;
    let published = |user: &str| {
        stack
            .recorded()
            .views
            .iter()
            .filter(|v| v.method == "views.publish" && v.user.as_deref() == Some(user))
            .count()
    };
    assert_eq!(published(APPROVER), 1);

    // Approve from the tab: the gate passes, and the tab is published again without it.
    let approve = home
        .buttons()
        .into_iter()
        .find(|b| b.label == "Approve")
        .ok_or_else(|| anyhow::anyhow!("no Approve button in {shown}"))?;
    stack
        .slack
        .send(&stack.slack.home_button_press(APPROVER, &home, &approve))?;
    stack
        .reply_containing(&card, &format!("Intake approved by @{APPROVER}"))
        .await?;
    let after = home_of(APPROVER, 1).await?.rendered();
    assert!(after.contains("Waiting for you (0)"), "{after}");

    // A press on the stale tab is refused, and the answer arrives as a direct message.
    stack
        .slack
        .send(&stack.slack.home_button_press(APPROVER, &home, &approve))?;
    let dm = stack
        .slack
        .wait_for("a direct message to the approver", WAIT, |r| {
            r.messages.iter().find(|m| m.channel == APPROVER).cloned()
        })
        .await?;
    assert!(
        dm.rendered().contains("Nothing was changed"),
        "{}",
        dm.rendered()
    );
    Ok(())
}
