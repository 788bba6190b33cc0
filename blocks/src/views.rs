//! Views: the `/feature new` form (a modal) and the App Home tab.

use chatops_contract::feature::{FeatureStatus, Gate};
use chatops_contract::incident::OpenIncident;
use slack_morphism::prelude::*;

use crate::escape;

/// `callback_id` of the `/feature new` form; its submission is recognised by it.
pub const FEATURE_FORM: &str = "feature_new";

/// Block ids of the form's inputs; each input's `action_id` is [`FORM_VALUE`].
pub mod form_block {
    /// What to build.
    pub const REQUEST: &str = "request";
    /// `owner/name`.
    pub const REPOSITORY: &str = "repository";
    /// `low` … `critical`.
    pub const PRIORITY: &str = "priority";
    /// `staging` or `production`.
    pub const TARGET: &str = "target";
}

/// `action_id` of every input of the form.
pub const FORM_VALUE: &str = "value";

/// Longest request the form accepts (the slash command has the same limit).
pub const MAX_REQUEST_LEN: usize = 2000;

/// What the form offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureForm<'a> {
    /// Channel the feature's card goes to (carried in `private_metadata`).
    pub channel: &'a str,
    /// Repositories to choose from; empty shows a free-text field.
    pub repositories: &'a [String],
    /// The repository chosen at first.
    pub default_repository: Option<&'a str>,
}

/// The `/feature new` modal: request, repository, priority, target environment.
pub fn feature_form(form: &FeatureForm<'_>) -> SlackView {
    let input = |block: &str, label: &str, element: SlackInputBlockElement| {
        SlackInputBlock::new(SlackBlockPlainTextOnly::from(label.to_owned()), element)
            .with_block_id(SlackBlockId(block.to_owned()))
    };
    let choice = |value: &str, label: &str| {
        SlackBlockChoiceItem::new(
            SlackBlockPlainTextOnly::from(label.to_owned()),
            value.into(),
        )
    };
    let select = |options: Vec<SlackBlockChoiceItem<SlackBlockPlainTextOnly>>, initial: usize| {
        let first = options.get(initial).cloned();
        let mut el = SlackBlockStaticSelectElement::new()
            .with_action_id(SlackActionId(FORM_VALUE.into()))
            .with_options(options);
        el.initial_option = first;
        SlackInputBlockElement::StaticSelect(el)
    };
    let request = input(
        form_block::REQUEST,
        "What should be built?",
        SlackInputBlockElement::PlainTextInput(
            SlackBlockPlainTextInputElement::new()
                .with_action_id(SlackActionId(FORM_VALUE.into()))
                .with_multiline(true)
                .with_max_length(MAX_REQUEST_LEN as u64)
                .with_focus_on_load(true)
                .with_placeholder(
                    "Add OAuth2 login with Google; keep password login for admins".into(),
                ),
        ),
    )
    .with_hint("The first line names the feature; the rest goes to the agents as detail.".into());
    let repository = if form.repositories.is_empty() {
        let mut el = SlackBlockPlainTextInputElement::new()
            .with_action_id(SlackActionId(FORM_VALUE.into()))
            .with_placeholder("owner/name".into());
        el.initial_value = form.default_repository.map(str::to_owned);
        input(
            form_block::REPOSITORY,
            "Repository",
            SlackInputBlockElement::PlainTextInput(el),
        )
        .with_optional(true)
        .with_hint("Leave empty for the configured default (CHATOPS__FEATURE__REPOSITORY).".into())
    } else {
        let options: Vec<_> = form.repositories.iter().map(|r| choice(r, r)).collect();
        let initial = form
            .default_repository
            .and_then(|d| form.repositories.iter().position(|r| r == d))
            .unwrap_or(0);
        input(
            form_block::REPOSITORY,
            "Repository",
            select(options, initial),
        )
    };
    let priority = input(
        form_block::PRIORITY,
        "Priority",
        select(
            vec![
                choice("low", "Low"),
                choice("medium", "Medium"),
                choice("high", "High"),
                choice("critical", "Critical"),
            ],
            1,
        ),
    );
    let target = input(
        form_block::TARGET,
        "Deliver to",
        select(
            vec![
                choice("production", "Production (through staging)"),
                choice("staging", "Staging only"),
            ],
            0,
        ),
    );
    SlackView::Modal(
        SlackModalView::new(
            "New feature".into(),
            vec![
                request.into(),
                repository.into(),
                priority.into(),
                target.into(),
            ],
        )
        .with_submit("Start".into())
        .with_close("Cancel".into())
        .with_callback_id(SlackCallbackId(FEATURE_FORM.into()))
        .with_private_metadata(form.channel.to_owned()),
    )
}

/// A gate the viewer may decide, with the feature it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingApproval<'a> {
    /// Feature workflow id.
    pub workflow_id: &'a str,
    /// The feature.
    pub status: &'a FeatureStatus,
    /// The pending gate.
    pub gate: &'a Gate,
    /// Temporal UI link.
    pub ui_link: &'a str,
}

/// A running feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<'a> {
    /// Feature workflow id.
    pub workflow_id: &'a str,
    /// The feature.
    pub status: &'a FeatureStatus,
    /// Temporal UI link.
    pub ui_link: &'a str,
}

/// What the App Home tab shows one viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Home<'a> {
    /// Gates waiting for this viewer's decision.
    pub approvals: &'a [PendingApproval<'a>],
    /// Running features.
    pub deliveries: &'a [Delivery<'a>],
    /// Open incidents.
    pub incidents: &'a [OpenIncident],
    /// Something could not be read (Temporal down); shown at the top.
    pub problem: Option<&'a str>,
    /// When the view was built, as text (e.g. `2026-11-21 08:00 UTC`).
    pub as_of: &'a str,
}

/// Most items of one kind the tab lists (Slack allows 100 blocks per view).
const HOME_MAX_ITEMS: usize = 20;

/// The App Home tab: pending approvals with their buttons, running deliveries, open incidents.
pub fn home(view: &Home<'_>) -> SlackView {
    let mut blocks: Vec<SlackBlock> = Vec::new();
    let section =
        |text: String| -> SlackBlock { SlackSectionBlock::new().with_text(md!(text)).into() };
    let context = |text: String| -> SlackBlock {
        SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
            SlackBlockMarkDownText::new(text),
        )])
        .into()
    };
    if let Some(problem) = view.problem {
        blocks.push(section(format!(":warning: {}", escape(problem))));
    }

    blocks.push(
        SlackHeaderBlock::new(pt!(format!("Waiting for you ({})", view.approvals.len()))).into(),
    );
    if view.approvals.is_empty() {
        blocks.push(context("No gate is waiting for your decision.".into()));
    }
    for a in view.approvals.iter().take(HOME_MAX_ITEMS) {
        let votes = if a.gate.approvals.is_empty() {
            String::new()
        } else {
            format!(
                " · {} of {} approvals: {}",
                a.gate.approvals.len(),
                a.gate.needed(),
                a.gate
                    .approvals
                    .iter()
                    .map(|v| format!("<@{}>", v.user))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        blocks.push(section(format!(
            "*{} gate* of <{}|{}>\n>{}\nRequested by <@{}>{votes}",
            a.gate.name,
            a.ui_link,
            a.workflow_id,
            escape(&truncate(&a.status.request, 300)),
            a.status.requester
        )));
        blocks.push(
            SlackActionsBlock::new(crate::feature::decision_buttons(
                a.workflow_id,
                &a.gate.name,
            ))
            .with_block_id(SlackBlockId(format!(
                "home:{}:{}",
                a.workflow_id, a.gate.name
            )))
            .into(),
        );
    }
    more(&mut blocks, view.approvals.len(), "`/feature list all`");

    blocks.push(SlackDividerBlock::new().into());
    blocks.push(
        SlackHeaderBlock::new(pt!(format!(
            "Active deliveries ({})",
            view.deliveries.len()
        )))
        .into(),
    );
    if view.deliveries.is_empty() {
        blocks.push(context(
            "No feature is being delivered. `/feature new` starts one.".into(),
        ));
    }
    for d in view.deliveries.iter().take(HOME_MAX_ITEMS) {
        blocks.push(section(format!(
            "<{}|{}> — {}\n{} (<@{}>)",
            d.ui_link,
            d.workflow_id,
            crate::feature::standing(d.status),
            escape(&truncate(&d.status.request, 200)),
            d.status.requester
        )));
    }
    more(&mut blocks, view.deliveries.len(), "`/feature list all`");

    blocks.push(SlackDividerBlock::new().into());
    blocks.push(
        SlackHeaderBlock::new(pt!(format!("Open incidents ({})", view.incidents.len()))).into(),
    );
    if view.incidents.is_empty() {
        blocks.push(context(":white_check_mark: No open incidents.".into()));
    }
    for i in view.incidents.iter().take(HOME_MAX_ITEMS) {
        blocks.push(section(format!(
            "{}{} `{}` {}: {} ({} alert{})",
            crate::incident::severity_icon(i.severity),
            crate::incident::severity_word(i.severity),
            i.id,
            escape(&i.service),
            escape(&truncate(&i.summary, 200)),
            i.alerts,
            if i.alerts == 1 { "" } else { "s" }
        )));
    }
    more(&mut blocks, view.incidents.len(), "`/incident list`");
    blocks.push(context(format!("Updated {}", view.as_of)));
    SlackView::Home(SlackHomeView::new(blocks))
}

fn more(blocks: &mut Vec<SlackBlock>, n: usize, command: &str) {
    if n > HOME_MAX_ITEMS {
        blocks.push(
            SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
                SlackBlockMarkDownText::new(format!(
                    "… and {} more: {command} lists them all.",
                    n - HOME_MAX_ITEMS
                )),
            )])
            .into(),
        );
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::actions::Action;
    use chatops_contract::feature::{GateState, Vote};

    fn status() -> FeatureStatus {
        serde_json::from_value(serde_json::json!({
            "request": "Add OAuth2 login",
            "requester": "U0REQ",
            "phase": "planning",
            "priority": "high",
            "target_environment": "production",
            "paused": false,
            "pending_gates": [],
            "gates": [],
            "blockers": [],
            "timeline": [],
            "children": [],
            "placeholder_phases": [],
        }))
        .expect("a status")
    }

    #[test]
    fn the_form_carries_the_channel_and_names_each_input() {
        let repos = vec!["acme/web".to_owned(), "acme/api".to_owned()];
        let view = feature_form(&FeatureForm {
            channel: "C0DELIVERY",
            repositories: &repos,
            default_repository: Some("acme/api"),
        });
        let json = serde_json::to_value(&view).expect("serialises");
        assert_eq!(json["type"], "modal");
        assert_eq!(json["callback_id"], FEATURE_FORM);
        assert_eq!(json["private_metadata"], "C0DELIVERY");
        let ids: Vec<&str> = json["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .filter_map(|b| b["block_id"].as_str())
            .collect();
        assert_eq!(ids, ["request", "repository", "priority", "target"]);
        assert_eq!(
            json["blocks"][1]["element"]["initial_option"]["value"],
            "acme/api"
        );
        assert_eq!(
            json["blocks"][2]["element"]["initial_option"]["value"],
            "medium"
        );
        assert_eq!(
            json["blocks"][3]["element"]["initial_option"]["value"],
            "production"
        );
    }

    #[test]
    fn without_configured_repositories_the_form_asks_for_one_in_words() {
        let view = feature_form(&FeatureForm {
            channel: "C1",
            repositories: &[],
            default_repository: None,
        });
        let json = serde_json::to_value(&view).expect("serialises");
        assert_eq!(json["blocks"][1]["element"]["type"], "plain_text_input");
        assert_eq!(json["blocks"][1]["optional"], true);
    }

    #[test]
    fn home_lists_waiting_gates_with_buttons_and_votes_so_far() {
        let s = status();
        let gate = Gate {
            name: "production".into(),
            state: GateState::Pending,
            decided_by: None,
            decided_at: None,
            note: None,
            deadline: None,
            required: 2,
            approvals: vec![Vote {
                user: "U0A".into(),
                at: String::new(),
            }],
            escalated: false,
        };
        let approvals = [PendingApproval {
            workflow_id: "feature-add-oauth2-login-1a2b3c4d",
            status: &s,
            gate: &gate,
            ui_link: "http://ui/f",
        }];
        let deliveries = [Delivery {
            workflow_id: "feature-add-oauth2-login-1a2b3c4d",
            status: &s,
            ui_link: "http://ui/f",
        }];
        let view = home(&Home {
            approvals: &approvals,
            deliveries: &deliveries,
            incidents: &[],
            problem: None,
            as_of: "2026-11-21 08:00 UTC",
        });
        let json = serde_json::to_value(&view).expect("serialises");
        assert_eq!(json["type"], "home");
        let (text, buttons) = crate::text::render("", Some(&json["blocks"]), 1);
        assert!(text.contains("Waiting for you (1)"), "{text}");
        assert!(
            text.contains("1 of 2 approvals: <@U0A>") || text.contains("1 of 2 approvals: @U0A"),
            "{text}"
        );
        assert!(text.contains("Active deliveries (1)"), "{text}");
        assert!(text.contains("No open incidents"), "{text}");
        let labels: Vec<&str> = buttons.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["Approve", "Reject"]);
        let action =
            Action::decode(&buttons[0].action_id, buttons[0].value.as_deref()).expect("decodes");
        assert_eq!(
            action,
            Action::Approve {
                workflow: "feature-add-oauth2-login-1a2b3c4d".into(),
                gate: "production".into()
            }
        );
    }
}
