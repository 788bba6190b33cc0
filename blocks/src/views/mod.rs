//! Views: the `/feature new` form (a modal) and the App Home tab.

use chatops_contract::feature::{Environment, FeatureStatus, Gate};
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
                choice(
                    Environment::Production.as_str(),
                    "Production (through staging)",
                ),
                choice(Environment::Staging.as_str(), "Staging only"),
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
mod tests;
