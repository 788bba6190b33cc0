//! The worker's Slack sender against a local Slack that enforces Slack's per-channel rate
//! limit: a storm of 429s loses and doubles nothing, and successive edits of one card are
//! coalesced so Slack sees the newest, in order.

use chatops_e2e::sender::{sender, standalone_slack, until_done};
use chatops_worker::activities::slack::{Edited, PostMessage, UpdateMessage};
use std::time::Duration;

fn edit(channel: &str, ts: &str, text: &str) -> UpdateMessage {
    UpdateMessage::of(channel, ts, chatops_blocks::feature::reply(text))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_delivers_every_post_and_edit_once_and_in_order() -> anyhow::Result<()> {
    // Slack allows one write per channel per second; the sender is told it may burst 10, so
    // most of its first writes draw 429s.
    let slack = standalone_slack(Some(1)).await?;
    let sender = std::sync::Arc::new(sender(&slack.api_url(), 10)?);
    let channels = ["C1", "C2", "C3"];

    // Each channel: four cards edited at once, and four thread notes posted one after another.
    let mut tasks = Vec::new();
    for channel in channels {
        for n in 0..4 {
            let card = slack.seed_message(channel, &format!("{channel} card {n}"));
            let sender = sender.clone();
            tasks.push(tokio::spawn(async move {
                let msg = edit(
                    &card.channel,
                    &card.ts,
                    &format!("{} card {n} edited", card.channel),
                );
                until_done(|| sender.update(msg.clone())).await
            }));
        }
    }
    let mut notes = Vec::new();
    for channel in channels {
        let sender = sender.clone();
        notes.push(tokio::spawn(async move {
            let mut rate_limited = 0;
            for n in 0..4 {
                let note = PostMessage::of(
                    channel,
                    None,
                    chatops_blocks::feature::reply(&format!("{channel} note {n}")),
                );
                let (_, tries) = until_done(|| sender.post(note.clone(), None)).await?;
                rate_limited += tries.rate_limited;
            }
            anyhow::Ok(rate_limited)
        }));
    }
    let mut limited = 0;
    for t in tasks {
        let (edited, tries) = t.await??;
        assert_eq!(edited, Edited::Sent);
        limited += tries.rate_limited;
    }
    for n in notes {
        limited += n.await??;
    }
    assert!(
        limited > 0,
        "the storm happened: some writes were answered 429"
    );

    let r = slack.recorded();
    for channel in channels {
        for n in 0..4 {
            let want = format!("{channel} card {n} edited");
            let card = r
                .messages
                .iter()
                .find(|m| m.text == want)
                .ok_or_else(|| anyhow::anyhow!("lost: {want}"))?;
            assert_eq!(card.edits, 1, "{want} edited once");
        }
        let notes: Vec<&str> = r
            .messages
            .iter()
            .filter(|m| m.channel == channel && m.text.contains("note"))
            .map(|m| m.text.as_str())
            .collect();
        let want: Vec<String> = (0..4).map(|n| format!("{channel} note {n}")).collect();
        assert_eq!(notes, want, "every note once, in order");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_waiting_for_a_slot_are_coalesced_into_the_newest() -> anyhow::Result<()> {
    let slack = standalone_slack(None).await?;
    // One write per second per channel, so edits queue behind the first.
    let sender = std::sync::Arc::new(sender(&slack.api_url(), 1)?);
    let card = slack.seed_message("C1", "card v0");
    sender.update(edit("C1", &card.ts, "card v1")).await?;

    // Five more edits arrive while the channel's budget is spent; each is asked after the one
    // before it, as the workflow's successive reports are.
    let mut pending = Vec::new();
    for v in 2..=6 {
        let sender = sender.clone();
        let msg = edit("C1", &card.ts, &format!("card v{v}"));
        pending.push(tokio::spawn(async move { sender.update(msg).await }));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut outcomes = Vec::new();
    for p in pending {
        outcomes.push(p.await??);
    }
    let r = slack.recorded();
    let shown = r
        .messages
        .iter()
        .find(|m| m.ts == card.ts)
        .ok_or_else(|| anyhow::anyhow!("the card is gone"))?;
    assert_eq!(shown.text, "card v6", "Slack shows the newest edit");
    let sent: Vec<String> = r
        .calls
        .iter()
        .filter(|c| c.method == "chat.update")
        .filter_map(|c| c.body["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(sent.first().map(String::as_str), Some("card v1"));
    assert!(
        sent.len() <= 3,
        "six edits reached Slack as {} calls: {sent:?}",
        sent.len()
    );
    let mut versions: Vec<&String> = sent.iter().collect();
    versions.dedup();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(versions, sorted, "never an older edit after a newer one");
    assert!(outcomes.contains(&Edited::Superseded), "{outcomes:?}");
    Ok(())
}
