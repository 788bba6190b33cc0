//! Messages of the emergency stop.

use chatops_contract::actions::Action;
use chatops_contract::freeze::FreezeStatus;
use slack_morphism::prelude::*;

use crate::{Message, escape};

/// The confirmation asked before engaging: a danger button behind Slack's confirm dialog, and
/// Cancel.
pub fn confirm(reason: &str) -> Message {
    let (engage_id, engage_value) = Action::EngageFreeze {
        reason: reason.to_owned(),
    }
    .encode();
    let (cancel_id, cancel_value) = Action::CancelFreeze.encode();
    let dialog = SlackBlockConfirmItem::new(
        pt!("Stop all delivery?"),
        md!("Every running delivery halts now, and no delivery moves to its next phase until someone releases the stop."),
        pt!("Engage emergency stop"),
        pt!("Keep going"),
    )
    .with_style("danger".into());
    Message {
        text: "Engage the emergency stop?".to_owned(),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!(
                    ":rotating_light: *Engage the emergency stop?*\nReason: {}\nEvery running delivery halts; new ones hold before their next phase until `/emergency-stop release <reason>`.",
                    escape(reason)
                ))
                .into(),
            SlackActionsBlock::new(vec![
                SlackActionBlockElement::Button(
                    SlackBlockButtonElement::new(pt!("Engage emergency stop"))
                        .with_action_id(SlackActionId(engage_id))
                        .with_value(engage_value)
                        .with_style(SlackBlockButtonStyle::Danger)
                        .with_confirm(dialog),
                ),
                SlackActionBlockElement::Button(
                    SlackBlockButtonElement::new(pt!("Cancel"))
                        .with_action_id(SlackActionId(cancel_id))
                        .with_value(cancel_value),
                ),
            ])
            .with_block_id(SlackBlockId("emergency-stop".into()))
            .into(),
        ],
    }
}

/// The reply to `/emergency-stop status`.
pub fn status(s: &FreezeStatus) -> Message {
    let text = if s.engaged {
        let mut lines = vec![format!(
            ":octagonal_sign: *The emergency stop is engaged* since {} by <@{}>: {}",
            s.since.as_deref().unwrap_or("?"),
            s.engaged_by.as_deref().unwrap_or("?"),
            escape(s.reason.as_deref().unwrap_or(""))
        )];
        if let Some(h) = &s.scheduled {
            lines.push(format!(
                "By the scheduled freeze `{}`, until {}: deliveries hold before their next phase.",
                escape(&h.name),
                h.until
            ));
        }
        if !s.stopped.is_empty() {
            lines.push(format!("Deliveries stopped: {}", s.stopped.len()));
        }
        lines.push("Release it with `/emergency-stop release <reason>`.".to_owned());
        lines.join("\n")
    } else {
        ":large_green_circle: The emergency stop is not engaged.".to_owned()
    };
    crate::feature::reply(&text)
}

/// `/freeze list`: each scheduled freeze with when it starts next.
pub fn calendar(entries: &[chatops_contract::freeze::FreezeEntry]) -> String {
    if entries.is_empty() {
        return "No freezes are scheduled. `/freeze add` schedules one (on-call only).".to_owned();
    }
    let mut out = format!("*Scheduled freezes* ({}):\n", entries.len());
    for e in entries {
        let next = match e.next.first() {
            Some(at) => format!("next starts {at}"),
            None => "no start ahead".to_owned(),
        };
        out.push_str(&format!(
            "• `{}` — {} — {} — {next} (by <@{}>)\n",
            crate::escape(&e.name),
            crate::escape(&e.when),
            crate::escape(&e.reason),
            e.user
        ));
    }
    out.trim_end().to_owned()
}
