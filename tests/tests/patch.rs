//! `/feature patch`: a small change from request to production with one task, no intake or plan
//! gate, the same workspace, checks and deploys as a feature, and the production gate, which
//! its requester may not approve.

use chatops_contract::queries;
use chatops_e2e::delivery::{env, healthy, wait_file};
use chatops_e2e::github::LocalGitHub;
use chatops_e2e::stack::REQUESTER;
use chatops_e2e::{Stack, StackOptions};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn a_patch_goes_from_request_to_production_with_one_task_and_one_gate() -> anyhow::Result<()>
{
    let gh = LocalGitHub::start().await?;
    let health = healthy().await?;
    let dir = chatops_e2e::scratch("patch")?;
    let log = dir.join("deploys.log");
    let deploy = |env: &str| {
        format!(
            "echo \"{env} $CHATOPS_FEATURE $CHATOPS_SHA\" >> {}",
            log.display()
        )
    };
    let stack = Stack::start(
        "patch",
        StackOptions {
            env: env(
                &gh,
                &health,
                ("CHATOPS__DEPLOY__STAGING_COMMAND", deploy("staging")),
                ("CHATOPS__DEPLOY__PRODUCTION_COMMAND", deploy("production")),
            ),
            ..StackOptions::default()
        },
    )
    .await?;
    let request = "Fix the typo on the login page";
    let ack = stack
        .command("/feature", &format!("patch {request}"))
        .await?;
    let id = stack.feature_in_ack(&ack)?;
    let card = stack.card(&id).await?;
    stack
        .card_showing(&card, &format!("Patch: {request}"))
        .await?;
    stack
        .reply_containing(&card, "Patch: the request is its one task")
        .await?;

    // Straight to development, testing and staging; the first gate is production's, and its
    // requester may not approve it.
    let production = stack.gate_request(&card, "production").await?;
    stack.press_as(REQUESTER, &production, "Approve")?;
    stack
        .ephemeral_containing("someone else must approve its production gate")
        .await?;
    stack.press(&production, "Approve")?;
    stack.card_showing(&card, "Complete").await?;
    let deploys = wait_file(&log, Duration::from_secs(10), "both deploys", |t| {
        t.contains("production ")
    })
    .await?;
    assert!(deploys.contains(&format!("staging {id} ")), "{deploys}");
    assert!(deploys.contains(&format!("production {id} ")), "{deploys}");

    let thread = stack.thread_text(&card);
    for absent in [
        "Approval needed: intake gate",
        "Approval needed: plan gate",
        "> Planning",
    ] {
        assert!(
            !thread.contains(absent),
            "{absent:?} in a patch's thread:\n{thread}"
        );
    }
    let status = stack.status(&id)?;
    let gates: Vec<&str> = status["gates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(gates, ["production"], "{status}");
    assert_eq!(status["kind"], "patch", "{status}");
    let children: Vec<String> = status["children"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            c.as_str()
                .map(|c| c.trim_start_matches(&format!("{id}/")).to_owned())
        })
        .collect();
    assert_eq!(
        children,
        [
            "development",
            "testing",
            "staging",
            "readiness",
            "production"
        ],
        "{status}"
    );
    // The request was its one task, done by the agent on the branch, checked, and in a pull
    // request like a feature's.
    let evidence = stack.query(&id, queries::EVIDENCE)?;
    let tasks = evidence["plan"]["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tasks.len(), 1, "{evidence}");
    assert_eq!(tasks[0]["title"], request, "{evidence}");
    assert_eq!(
        evidence["tasks"].as_array().map(Vec::len),
        Some(1),
        "{evidence}"
    );
    assert!(evidence["quality"]["score"].is_number(), "{evidence}");
    assert!(evidence["pull_request"]["number"].is_u64(), "{evidence}");
    Ok(())
}
