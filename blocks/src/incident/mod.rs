//! Messages about incidents: the card, consensus, candidate diagnoses, the postmortem, and the
//! replies to `/incident status` and `/incident list` (in `replies`).

mod replies;

pub use replies::{list, status};

use chatops_contract::actions::Action;
use chatops_contract::incident::{
    ConsensusGroup, ConsensusReport, IncidentState, IncidentStatus, Severity,
};
use slack_morphism::prelude::*;

use crate::feature::truncate;
use crate::{Message, escape};

/// Longest text Slack takes in one section block.
pub(crate) const SECTION_MAX: usize = 2900;

/// The incident's card: severity, service, commander, state and its buttons.
pub fn card(s: &IncidentStatus, ui_link: &str) -> Message {
    let mut blocks: Vec<SlackBlock> = vec![
        SlackHeaderBlock::new(pt!(truncate(
            &format!("{} {}: {}", severity_word(s.severity), s.service, s.summary),
            150
        )))
        .into(),
        SlackSectionBlock::new()
            .with_fields(vec![
                md!(
                    "*Severity*\n{}{}",
                    severity_icon(s.severity),
                    severity_word(s.severity)
                ),
                md!("*Service*\n{}", escape(&s.service)),
                md!("*Commander*\n{}", who(s.commander.as_deref())),
                md!("*Status*\n{}", state_line(s)),
            ])
            .into(),
    ];
    let mut facts = vec![format!("`{}`", s.id), format!("opened {}", s.opened_at)];
    if s.alerts > 1 {
        facts.push(format!("{} alerts", s.alerts));
    }
    if let Some(c) = s.confidence {
        facts.push(format!("consensus {c:.2}"));
    }
    facts.push(format!("<{ui_link}|Open in Temporal>"));
    blocks.push(
        SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
            SlackBlockMarkDownText::new(facts.join(" · ")),
        )])
        .into(),
    );
    if s.state != IncidentState::Resolved {
        let workflow = s.id.clone();
        let mut buttons = Vec::new();
        if s.acknowledged_by.is_none() {
            buttons.push(button(
                "Acknowledge",
                &Action::Acknowledge {
                    workflow: workflow.clone(),
                },
                Some(SlackBlockButtonStyle::Primary),
            ));
        }
        let confirm = SlackBlockConfirmItem::new(
            pt!(format!("Roll back {}?", truncate(&s.service, 80))),
            md!(
                "This runs the configured rollback for *{}* now. Its result is posted in the incident's thread.",
                escape(&s.service)
            ),
            pt!("Roll back"),
            pt!("Cancel"),
        )
        .with_style("danger".into());
        buttons.push(button_with(
            "Roll back",
            &Action::Rollback {
                workflow: workflow.clone(),
            },
            Some(SlackBlockButtonStyle::Danger),
            Some(confirm),
        ));
        buttons.push(button("Resolve", &Action::Resolve { workflow }, None));
        blocks.push(
            SlackActionsBlock::new(buttons)
                .with_block_id(SlackBlockId("incident".into()))
                .into(),
        );
    }
    Message {
        text: format!(
            "{} incident {} on {}: {} — {}",
            severity_word(s.severity),
            s.id,
            escape(&s.service),
            escape(&s.summary),
            s.state.label()
        ),
        blocks,
    }
}

/// The consensus verdict, with its arithmetic, for the incident's thread.
pub fn consensus(report: &ConsensusReport, agents: usize) -> Message {
    let Some(v) = &report.verdict else {
        let why = report.error.as_deref().unwrap_or("not decided");
        return crate::feature::thread_note(
            ":grey_question:",
            &format!("No consensus: {}.", escape(why)),
        );
    };
    let mut lines = vec![format!(
        "*Consensus {:.2}* (threshold {:.2}) from {agents} agent{}: *{}* ({})",
        v.confidence,
        report.policy.threshold,
        if agents == 1 { "" } else { "s" },
        escape(&v.best.root_cause),
        escape(&v.best.category)
    )];
    for (i, g) in v.groups.iter().enumerate() {
        lines.push(format!(
            "{}. {} ({}): mean confidence {:.2} × agreement {:.2} = *{:.2}* — {}",
            i + 1,
            escape(&truncate(&g.root_cause, 200)),
            escape(&g.category),
            g.mean_confidence,
            g.agreement,
            g.score,
            escape(&g.agents.join(", "))
        ));
    }
    lines.push(if v.auto_fix {
        "Confident enough to act without waiting for a human.".to_owned()
    } else {
        "Below the threshold: the incident commander picks the diagnosis.".to_owned()
    });
    let emoji = if v.auto_fix {
        ":brain:"
    } else {
        ":thinking_face:"
    };
    Message {
        text: format!("Consensus {:.2}: {}", v.confidence, v.best.root_cause),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!(
                    "{} {}",
                    emoji,
                    truncate(&lines.join("\n"), SECTION_MAX)
                ))
                .into(),
        ],
    }
}

/// The candidate diagnoses, one Choose button each, for the incident commander.
pub fn candidates(id: &str, groups: &[ConsensusGroup], escalation: &str) -> Message {
    let mut blocks: Vec<SlackBlock> = vec![
        SlackSectionBlock::new()
            .with_text(md!(
                ":point_right: *Pick the diagnosis to act on.* {}",
                escalation
            ))
            .into(),
    ];
    for (i, g) in groups.iter().enumerate().take(10) {
        let action = Action::ChooseDiagnosis {
            workflow: id.to_owned(),
            index: i,
        };
        let (action_id, value) = action.encode();
        blocks.push(
            SlackSectionBlock::new()
                .with_text(md!(
                    "*{}.* {} ({}) — score {:.2}, {}",
                    i + 1,
                    escape(&truncate(&g.root_cause, 300)),
                    escape(&g.category),
                    g.score,
                    escape(&g.agents.join(", "))
                ))
                .with_accessory(SlackSectionBlockElement::Button(
                    SlackBlockButtonElement::new(pt!(format!("Choose {}", i + 1)))
                        .with_action_id(SlackActionId(action_id))
                        .with_value(value),
                ))
                .into(),
        );
    }
    Message {
        text: format!("Pick the diagnosis for {id}"),
        blocks,
    }
}

/// The candidates once one stands: same message, buttons gone.
pub fn candidates_decided(groups: &[ConsensusGroup], chosen: usize, by: &str) -> Message {
    let mut lines = Vec::new();
    for (i, g) in groups.iter().enumerate().take(10) {
        let mark = if i == chosen {
            ":white_check_mark:"
        } else {
            ":white_small_square:"
        };
        lines.push(format!(
            "{mark} *{}.* {} ({}) — score {:.2}",
            i + 1,
            escape(&truncate(&g.root_cause, 300)),
            escape(&g.category),
            g.score
        ));
    }
    lines.push(format!("Chosen by {}.", who(Some(by))));
    Message {
        text: format!("Diagnosis {} chosen", chosen + 1),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!("{}", truncate(&lines.join("\n"), SECTION_MAX)))
                .into(),
        ],
    }
}

/// The postmortem, as preformatted Markdown split over as many sections as it needs.
pub fn postmortem(markdown: &str) -> Message {
    let mut blocks: Vec<SlackBlock> = vec![
        SlackSectionBlock::new()
            .with_text(md!(":memo: *Postmortem*"))
            .into(),
    ];
    let mut chunk = String::new();
    let flush = |chunk: &mut String, blocks: &mut Vec<SlackBlock>| {
        if !chunk.is_empty() {
            blocks.push(
                SlackSectionBlock::new()
                    .with_text(md!("```{}```", escape(chunk)))
                    .into(),
            );
            chunk.clear();
        }
    };
    for line in markdown.lines() {
        let line = truncate(line, SECTION_MAX / 2);
        if chunk.len() + line.len() + 1 > SECTION_MAX / 2 {
            flush(&mut chunk, &mut blocks);
        }
        chunk.push_str(&line);
        chunk.push('\n');
    }
    flush(&mut chunk, &mut blocks);
    // Slack allows 50 blocks per message.
    blocks.truncate(50);
    Message {
        text: markdown
            .lines()
            .next()
            .unwrap_or("Postmortem")
            .trim_start_matches("# ")
            .to_owned(),
        blocks,
    }
}

fn button(
    label: &str,
    action: &Action,
    style: Option<SlackBlockButtonStyle>,
) -> SlackActionBlockElement {
    button_with(label, action, style, None)
}

/// A button, optionally behind Slack's confirm dialog.
fn button_with(
    label: &str,
    action: &Action,
    style: Option<SlackBlockButtonStyle>,
    confirm: Option<SlackBlockConfirmItem>,
) -> SlackActionBlockElement {
    let (id, value) = action.encode();
    let b = SlackBlockButtonElement::new(label.into())
        .with_action_id(SlackActionId(id))
        .with_value(value)
        .opt_style(style)
        .opt_confirm(confirm);
    SlackActionBlockElement::Button(b)
}

pub(crate) fn state_line(s: &IncidentStatus) -> String {
    let mut line = s.state.label().to_owned();
    if let Some(by) = &s.acknowledged_by
        && s.state != IncidentState::Resolved
    {
        line.push_str(&format!(", acknowledged by <@{by}>"));
    }
    line
}

pub(crate) fn who(user: Option<&str>) -> String {
    user.map_or_else(|| "_unassigned_".to_owned(), |u| format!("<@{u}>"))
}

pub(crate) fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "SEV1",
        Severity::High => "SEV2",
        Severity::Medium => "SEV3",
        Severity::Low => "SEV4",
    }
}

pub(crate) fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => ":red_circle: ",
        Severity::High => ":large_orange_circle: ",
        Severity::Medium => ":large_yellow_circle: ",
        Severity::Low => ":white_circle: ",
    }
}
