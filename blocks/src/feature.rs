//! Messages about one feature delivery: its card, approval requests, thread updates, status.

use chatops_contract::actions::Action;
use chatops_contract::feature::{FeatureStatus, Gate, GateState, Phase};
use slack_morphism::prelude::*;

use crate::{Message, escape};

/// What the feature's card (its root message) shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CardView<'a> {
    /// Workflow id.
    pub workflow_id: &'a str,
    /// Current state, as the `status` query reports it.
    pub status: &'a FeatureStatus,
    /// Deep link to the workflow in the Temporal UI.
    pub ui_link: &'a str,
}

/// The feature's card: request, phase, gates and a link to its workflow.
pub fn card(view: &CardView<'_>) -> Message {
    let s = view.status;
    let mut blocks: Vec<SlackBlock> = vec![
        SlackHeaderBlock::new(pt!(truncate(
            &format!("{}: {}", s.kind.title(), s.request),
            150
        )))
        .into(),
        SlackSectionBlock::new()
            .with_fields(vec![
                md!("*Phase*\n{}{}", phase_icon(s.phase), phase_label(s)),
                md!("*Requested by*\n<@{}>", s.requester),
                md!("*Priority*\n{}", json_name(&s.priority)),
                md!("*Target*\n{}", json_name(&s.target_environment)),
            ])
            .into(),
    ];
    if let Some(held) = &s.held {
        blocks.push(
            SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
                SlackBlockMarkDownText::new(format!(":double_vertical_bar: Held by {held}")),
            )])
            .into(),
        );
    }
    for gate in &s.gates {
        blocks.push(
            SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
                SlackBlockMarkDownText::new(gate_line(gate)),
            )])
            .into(),
        );
    }
    blocks.push(
        SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
            SlackBlockMarkDownText::new(format!(
                "`{}` · <{}|Open in Temporal>",
                view.workflow_id, view.ui_link
            )),
        )])
        .into(),
    );
    Message {
        text: format!(
            "{} {}: {} — {}",
            s.kind.title(),
            view.workflow_id,
            escape(&s.request),
            phase_label(s)
        ),
        blocks,
    }
}

/// What an approval request asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalView<'a> {
    /// Workflow id.
    pub workflow_id: &'a str,
    /// Gate name.
    pub gate: &'a str,
    /// The feature request.
    pub request: &'a str,
    /// Slack user id of the requester.
    pub requester: &'a str,
    /// When the gate times out, as already-formatted text (e.g. `in 24h`).
    pub timeout: &'a str,
    /// What a timeout does: `rejected`, or `approved` for a gate that auto-approves.
    pub on_timeout: &'a str,
    /// More to show under the request (the plan, the readiness score), Slack mrkdwn.
    pub detail: Option<&'a str>,
}

/// The approval request posted in the feature's thread, with Approve and Reject buttons.
pub fn approval_request(view: &ApprovalView<'_>) -> Message {
    Message {
        text: format!("Approval needed: {} gate for {}", view.gate, view.workflow_id),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!(
                    ":raised_hand: *Approval needed: {} gate*\n>{}\n{}Requested by <@{}>. Without a decision it is {} {}.",
                    view.gate,
                    escape(&truncate(view.request, 2000)),
                    view.detail
                        .map(|d| format!("{}\n", truncate(d, 2500)))
                        .unwrap_or_default(),
                    view.requester,
                    view.on_timeout,
                    view.timeout
                ))
                .into(),
            SlackActionsBlock::new(decision_buttons(view.workflow_id, view.gate))
                .with_block_id(SlackBlockId(format!("gate:{}", view.gate)))
                .into(),
        ],
    }
}

/// Approve and Reject for gate `gate` of feature `workflow_id`, encoded with the contract's
/// button codec.
pub(crate) fn decision_buttons(workflow_id: &str, gate: &str) -> Vec<SlackActionBlockElement> {
    let button = |label: &str, action: Action, style: SlackBlockButtonStyle| {
        let (id, value) = action.encode();
        SlackActionBlockElement::Button(
            SlackBlockButtonElement::new(label.into())
                .with_action_id(SlackActionId(id))
                .with_value(value)
                .with_style(style),
        )
    };
    let (workflow, gate) = (workflow_id.to_owned(), gate.to_owned());
    vec![
        button(
            "Approve",
            Action::Approve {
                workflow: workflow.clone(),
                gate: gate.clone(),
            },
            SlackBlockButtonStyle::Primary,
        ),
        button(
            "Reject",
            Action::Reject { workflow, gate },
            SlackBlockButtonStyle::Danger,
        ),
    ]
}

/// The approval request once decided: same place, buttons gone, decision shown.
pub fn approval_decided(workflow_id: &str, gate: &Gate) -> Message {
    let line = gate_line(gate);
    Message {
        text: format!(
            "{} gate for {}: {}",
            gate.name,
            workflow_id,
            gate_state_word(gate.state)
        ),
        blocks: vec![SlackSectionBlock::new().with_text(md!(line)).into()],
    }
}

/// A one-line update in the feature's thread.
pub fn thread_note(emoji: &str, text: &str) -> Message {
    Message {
        text: text.to_owned(),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!("{} {}", emoji, text))
                .into(),
        ],
    }
}

/// The thread update for entering `phase`; placeholder phases say so.
pub fn phase_entered(phase: Phase, placeholder: bool) -> Message {
    if placeholder {
        thread_note(
            phase_icon(phase).trim(),
            &format!(
                "*{}* — placeholder: this phase does no real work yet",
                phase.label()
            ),
        )
    } else {
        thread_note(phase_icon(phase).trim(), &format!("*{}*", phase.label()))
    }
}

/// Where a running feature stands, in a few words: `Planning, waiting for the plan gate,
/// paused` (used by `/feature list` and the CLI).
pub fn standing(s: &FeatureStatus) -> String {
    let mut out = s.phase.label().to_owned();
    if let Some(g) = s.pending_gates.first() {
        out.push_str(&format!(", waiting for the {} gate", g.name));
    }
    if s.paused {
        out.push_str(", paused");
    } else if !s.blockers.is_empty() {
        out.push_str(", blocked");
    }
    out
}

/// The reply to `/feature status`.
pub fn status(workflow_id: &str, s: &FeatureStatus, ui_link: &str) -> Message {
    let mut lines = vec![
        format!(
            "*{}* — {}{}",
            workflow_id,
            phase_icon(s.phase),
            phase_label(s)
        ),
        format!(">{}", escape(&truncate(&s.request, 500))),
    ];
    if s.paused {
        lines.push(":double_vertical_bar: paused".to_owned());
    }
    for gate in &s.gates {
        lines.push(gate_line(gate));
    }
    if !s.placeholder_phases.is_empty() {
        let names: Vec<&str> = s.placeholder_phases.iter().map(|p| p.label()).collect();
        lines.push(format!(
            "Placeholder phases (no real work yet): {}",
            names.join(", ")
        ));
    }
    if let Some(last) = s.timeline.last() {
        let what = last
            .event
            .clone()
            .or_else(|| last.phase.map(|p| format!("entered {}", p.label())));
        lines.push(format!("Last: {} at {}", what.unwrap_or_default(), last.at));
    }
    lines.push(format!("<{ui_link}|Open in Temporal>"));
    Message {
        text: format!("{}: {}", workflow_id, phase_label(s)),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!("{}", lines.join("\n")))
                .into(),
        ],
    }
}

/// A plain reply (ephemeral answers to commands).
pub fn reply(text: &str) -> Message {
    Message {
        text: text.to_owned(),
        blocks: vec![
            SlackSectionBlock::new()
                .with_text(md!(text.to_owned()))
                .into(),
        ],
    }
}

fn phase_label(s: &FeatureStatus) -> String {
    if s.placeholder_phases.contains(&s.phase) {
        format!("{} (placeholder)", s.phase.label())
    } else {
        s.phase.label().to_owned()
    }
}

fn gate_line(gate: &Gate) -> String {
    let who = gate
        .decided_by
        .as_deref()
        .map(|u| format!(" by <@{u}>"))
        .unwrap_or_default();
    let when = gate
        .decided_at
        .as_deref()
        .map(|t| format!(" at {t}"))
        .unwrap_or_default();
    let note = gate
        .note
        .as_deref()
        .map(|n| format!(": {}", escape(&truncate(n, 300))))
        .unwrap_or_default();
    let icon = match gate.state {
        GateState::Pending => ":hourglass_flowing_sand:",
        GateState::Approved => ":white_check_mark:",
        GateState::Rejected => ":x:",
        GateState::TimedOut => ":alarm_clock:",
        GateState::Skipped => ":fast_forward:",
    };
    let deadline = match (&gate.state, &gate.deadline) {
        (GateState::Pending, Some(d)) => format!(" (times out at {d})"),
        _ => String::new(),
    };
    let votes = if gate.needed() > 1 {
        let who: Vec<String> = gate
            .approvals
            .iter()
            .map(|v| format!("<@{}>", v.user))
            .collect();
        let list = if who.is_empty() {
            String::new()
        } else {
            format!(": {}", who.join(", "))
        };
        format!(
            " · {} of {} approvals{list}",
            gate.approvals.len(),
            gate.needed()
        )
    } else {
        String::new()
    };
    format!(
        "{icon} {} gate {}{who}{when}{deadline}{votes}{note}",
        gate.name,
        gate_state_word(gate.state)
    )
}

fn gate_state_word(state: GateState) -> &'static str {
    match state {
        GateState::Pending => "pending",
        GateState::Approved => "approved",
        GateState::Rejected => "rejected",
        GateState::TimedOut => "timed out (rejected)",
        GateState::Skipped => "skipped",
    }
}

fn phase_icon(phase: Phase) -> &'static str {
    match phase {
        Phase::Intake => ":inbox_tray: ",
        Phase::Complete => ":tada: ",
        Phase::Rejected | Phase::Failed => ":no_entry: ",
        Phase::Cancelled => ":octagonal_sign: ",
        _ => ":arrow_forward: ",
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
