//! The replies to `/incident status` and `/incident list`.

use chatops_contract::incident::{IncidentStatus, OpenIncident};
use slack_morphism::prelude::*;
use std::time::Duration;

use super::SECTION_MAX;
use super::{severity_icon, severity_word, state_line, who};
use crate::feature::truncate;
use crate::{Message, escape};

/// The reply to `/incident status <id>`.
pub fn status(s: &IncidentStatus, ui_link: &str) -> Message {
    let mut lines = vec![
        format!(
            "*{}* — {}{} {}: {}",
            s.id,
            severity_icon(s.severity),
            severity_word(s.severity),
            escape(&s.service),
            escape(&truncate(&s.summary, 300))
        ),
        format!(
            "Status: {} · Commander: {}",
            state_line(s),
            who(s.commander.as_deref())
        ),
        format!(
            "Opened {} · {} alert{}",
            s.opened_at,
            s.alerts,
            if s.alerts == 1 { "" } else { "s" }
        ),
    ];
    if let Some(c) = s.confidence {
        lines.push(format!("Consensus confidence {c:.2}"));
    }
    for e in s.timeline.iter().rev().take(5).rev() {
        let by =
            e.by.as_deref()
                .map(|u| format!(" (<@{u}>)"))
                .unwrap_or_default();
        lines.push(format!(
            "• {} {}{by}",
            e.at,
            escape(&truncate(&e.event, 200))
        ));
    }
    lines.push(format!("<{ui_link}|Open in Temporal>"));
    Message {
        text: format!("{}: {}", s.id, s.state.label()),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!("{}", truncate(&lines.join("\n"), SECTION_MAX)))
                .into(),
        ],
    }
}

/// The reply to `/incident list` and `/incident status` without an id. `ages` holds how long
/// each incident has been open, in the same order.
pub fn list(open: &[OpenIncident], ages: &[Option<Duration>]) -> Message {
    if open.is_empty() {
        return crate::feature::reply(":white_check_mark: No open incidents.");
    }
    let mut lines = vec![format!(
        "*{} open incident{}*",
        open.len(),
        if open.len() == 1 { "" } else { "s" }
    )];
    for (i, o) in open.iter().enumerate() {
        let age = ages
            .get(i)
            .copied()
            .flatten()
            .map(|d| {
                format!(
                    ", open {}",
                    chatops_contract::human_duration(Duration::from_secs(d.as_secs()))
                )
            })
            .unwrap_or_default();
        lines.push(format!(
            "{}{} `{}` {}: {} ({} alert{}{age})",
            severity_icon(o.severity),
            severity_word(o.severity),
            o.id,
            escape(&o.service),
            escape(&truncate(&o.summary, 200)),
            o.alerts,
            if o.alerts == 1 { "" } else { "s" }
        ));
    }
    Message {
        text: lines[0].replace('*', ""),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!("{}", truncate(&lines.join("\n"), SECTION_MAX)))
                .into(),
        ],
    }
}
