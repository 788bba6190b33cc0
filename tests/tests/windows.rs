//! Deploy windows: a delivery that reaches production outside its environment's window says
//! so in its thread with the opening, waits on a durable timer (a worker lost meanwhile changes
//! nothing) and deploys when the window opens; an admin lets another deploy earlier, with the
//! reason on record.

use chatops_bot::shell::local_slack::PostedMessage;
use chatops_e2e::delivery::{env, healthy, wait_file};
use chatops_e2e::github::LocalGitHub;
use chatops_e2e::{Stack, StackOptions};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::time::Duration;

const ADMIN: &str = "U0ADMIN";
/// Far from UTC, with a half-hour offset, so a window read in the wrong zone is hours off.
const ZONE: &str = "Asia/Kolkata";

/// Requests `request` and approves it up to its pending production gate; its id and card.
async fn to_production_gate(
    stack: &Stack,
    request: &str,
) -> anyhow::Result<(String, PostedMessage, PostedMessage)> {
    let (id, card, intake) = stack.feature_at_intake(request).await?;
    stack.press(&intake, "Approve")?;
    stack.press(&stack.gate_request(&card, "plan").await?, "Approve")?;
    let gate = stack
        .reply_containing(&card, "Approval needed: production gate")
        .await?;
    Ok((id, card, gate))
}

/// When the production deploy of `feature` ran, in milliseconds since the epoch, from `log`.
fn deployed_at(log: &str, feature: &str) -> Option<i64> {
    log.lines()
        .filter_map(|l| l.strip_prefix("production "))
        .find_map(|l| {
            let (id, at) = l.split_once(' ')?;
            (id == feature).then(|| at.trim().parse().ok())?
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_waits_for_its_window_across_a_lost_worker_and_an_admin_lets_another_through()
-> anyhow::Result<()> {
    let gh = LocalGitHub::start().await?;
    let health = healthy().await?;
    let dir = chatops_e2e::scratch("windows")?;
    let log = dir.join("deploys.log");
    let production = format!(
        "echo \"production $CHATOPS_FEATURE $(date +%s%3N)\" >> {}",
        log.display()
    );
    let mut env = env(
        &gh,
        &health,
        ("CHATOPS__DEPLOY__STAGING_COMMAND", "true".to_owned()),
        ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", production),
    );
    env.push(("CHATOPS__APPROVALS__ADMINS".into(), ADMIN.into()));
    let mut stack = Stack::start(
        "windows",
        StackOptions {
            env,
            ..StackOptions::default()
        },
    )
    .await?;
    let (waits, waits_card, waits_gate) = to_production_gate(&stack, "Add gift cards").await?;
    let (hurries, hurries_card, hurries_gate) =
        to_production_gate(&stack, "Fix the checkout total").await?;

    // The worker is reconfigured: production may be deployed to from 40 s from now, for an
    // hour, in Kolkata's time.
    let zone = TimeZone::get(ZONE)?;
    let opens = Timestamp::from_second(Timestamp::now().as_second() + 40)?;
    let local = |t: Timestamp| t.to_zoned(zone.clone()).strftime("%H:%M:%S").to_string();
    let windows = format!(
        "Mon-Sun {}-{} {ZONE}",
        local(opens),
        local(Timestamp::from_second(opens.as_second() + 3600)?)
    );
    let opening = opens
        .to_zoned(zone.clone())
        .strftime("%a %Y-%m-%d %H:%M %Z")
        .to_string();
    let reconfigured = [("CHATOPS__DEPLOY__PRODUCTION_WINDOWS", windows.clone())];
    drop(stack.worker.take());
    let worker = stack.another_worker(&reconfigured)?;

    // Both are approved for production outside the window: both wait, and say until when.
    stack.press(&waits_gate, "Approve")?;
    stack.press(&hurries_gate, "Approve")?;
    let note = format!(
        "Waiting for the production deploy window (`{windows}`): it opens {opening}, and Production starts then."
    );
    stack.reply_containing(&waits_card, &note).await?;
    stack.reply_containing(&hurries_card, &note).await?;

    // The worker is lost while they wait; another takes over. The wait is a timer on the
    // server, not a sleep in a process.
    drop(worker);
    let _worker = stack.another_worker(&reconfigured)?;

    // An admin lets one through now, with a reason.
    stack
        .command_as(
            ADMIN,
            "/feature",
            &format!("override-window {hurries} checkout totals are wrong for everyone"),
        )
        .await?;
    stack
        .ephemeral_containing(&format!(
            "Letting `{hurries}` deploy outside the deploy windows"
        ))
        .await?;
    stack
        .reply_containing(
            &hurries_card,
            &format!(
                "Outside the production deploy window, deploying now: overridden by @{ADMIN} (checkout totals are wrong for everyone)."
            ),
        )
        .await?;
    let text = wait_file(&log, stack.patience(), "the overridden deploy", |t| {
        deployed_at(t, &hurries).is_some()
    })
    .await?;
    let early = deployed_at(&text, &hurries).unwrap_or(i64::MAX);
    assert!(
        early < opens.as_millisecond(),
        "the override deployed at {early}, not before the window opened at {}",
        opens.as_millisecond()
    );
    assert_eq!(
        deployed_at(&text, &waits),
        None,
        "the other delivery deployed outside its window: {text}"
    );
    let audit = stack.audit_log()?;
    assert!(
        audit.lines().any(|l| l.contains("feature.override_window")
            && l.contains(ADMIN)
            && l.contains(&hurries)
            && l.contains("sent")),
        "{audit}"
    );
    let timeline = stack.status(&hurries)?["timeline"].to_string();
    assert!(
        timeline.contains("deploy windows overridden: checkout totals are wrong for everyone"),
        "{timeline}"
    );

    // The window opens: the waiting delivery deploys, no earlier.
    let text = wait_file(
        &log,
        Duration::from_secs(90),
        "the deploy at the opening",
        |t| deployed_at(t, &waits).is_some(),
    )
    .await?;
    let on_time = deployed_at(&text, &waits).unwrap_or(0);
    assert!(
        on_time >= opens.as_millisecond(),
        "deployed at {on_time}, before the window opened at {}",
        opens.as_millisecond()
    );
    stack
        .reply_containing(
            &waits_card,
            "The production deploy window is open: going on with Production.",
        )
        .await?;
    stack.card_showing(&waits_card, "Complete").await?;
    stack.card_showing(&hurries_card, "Complete").await?;
    Ok(())
}
