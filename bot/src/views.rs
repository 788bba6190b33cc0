//! The `/feature new` form (a modal) and the App Home tab.

use chatops_blocks::views::{self as v, FORM_VALUE, form_block};
use chatops_contract::feature::{Environment, FeatureRequest, Gate, Priority};
use slack_morphism::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::invocation::Invocation;
use crate::ops;
use crate::{AnswerTo, App, Reply};

/// Opens the form on the trigger of `inv`, at once: Slack's trigger ids expire after ~3 s.
/// A failure is answered on the command's `response_url`.
pub fn open_form(app: &Arc<App>, inv: &Invocation) {
    let repositories: Vec<String> = app.settings.feature.repositories.keys().cloned().collect();
    let view = v::feature_form(&v::FeatureForm {
        channel: &inv.channel_id,
        repositories: &repositories,
        default_repository: app.settings.feature.repository.as_deref(),
    });
    let (app, trigger, response_url) = (
        app.clone(),
        inv.trigger_id.clone(),
        inv.response_url.clone(),
    );
    crate::tasks::spawn(async move {
        let req = SlackApiViewsOpenRequest::new(SlackTriggerId(trigger), view);
        if let Err(e) = app.session().views_open(&req).await {
            tracing::warn!(error = %e, "views.open failed");
            app.respond(
                response_url.as_deref(),
                Reply::text(format!(
                    "I couldn't open the form ({}). `/feature new <request>` starts a feature without it.",
                    crate::reply::short(&e)
                )),
            )
            .await;
        }
    });
}

/// What the form asked for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// What to build.
    pub request: String,
    /// `owner/name`, or the configured default when `None`.
    pub repository: Option<String>,
    /// How urgent.
    pub priority: Priority,
    /// Where it goes.
    pub target: Environment,
}

/// Reads the submitted form; `Err` maps block ids to what is wrong with each, as Slack shows
/// them under the inputs.
pub fn read_form(
    values: &HashMap<SlackBlockId, HashMap<SlackActionId, SlackViewStateValue>>,
    repositories: &[String],
) -> Result<Form, BTreeMap<String, String>> {
    let value = |block: &str| -> Option<String> {
        let v = values
            .get(&SlackBlockId(block.to_owned()))?
            .get(&SlackActionId(FORM_VALUE.to_owned()))?;
        v.selected_option
            .as_ref()
            .map(|o| o.value.clone())
            .or_else(|| v.value.clone())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let mut errors = BTreeMap::new();
    let request = value(form_block::REQUEST).unwrap_or_default();
    if request.is_empty() {
        errors.insert(
            form_block::REQUEST.to_owned(),
            "Say what should be built.".to_owned(),
        );
    } else if request.chars().count() > v::MAX_REQUEST_LEN {
        errors.insert(
            form_block::REQUEST.to_owned(),
            format!(
                "Keep it under {} characters; put the details in the thread.",
                v::MAX_REQUEST_LEN
            ),
        );
    }
    let repository = value(form_block::REPOSITORY);
    if let Some(r) = &repository {
        if !chatops_contract::ids::is_repository(r) {
            errors.insert(
                form_block::REPOSITORY.to_owned(),
                format!("{r} is not a repository; write it as owner/name."),
            );
        } else if !repositories.is_empty() && !repositories.contains(r) {
            errors.insert(
                form_block::REPOSITORY.to_owned(),
                format!("{r} is not one of the configured repositories."),
            );
        }
    }
    let priority = match value(form_block::PRIORITY) {
        None => Priority::default(),
        Some(p) => {
            serde_json::from_value(serde_json::Value::String(p.clone())).unwrap_or_else(|_| {
                errors.insert(
                    form_block::PRIORITY.to_owned(),
                    format!("{p} is not a priority: low, medium, high or critical."),
                );
                Priority::default()
            })
        }
    };
    let target = match value(form_block::TARGET) {
        None => Environment::default(),
        Some(t) => t.parse().unwrap_or_else(|_| {
            let targets = Environment::ALL.map(Environment::as_str).join(" or ");
            errors.insert(
                form_block::TARGET.to_owned(),
                format!("{t} is not an environment: {targets}."),
            );
            Environment::default()
        }),
    };
    if errors.is_empty() {
        Ok(Form {
            request,
            repository,
            priority,
            target,
        })
    } else {
        Err(errors)
    }
}

/// Handles a submitted view. A valid form starts the feature (in a task) and closes the modal;
/// an invalid one stays open with the mistakes shown under their inputs.
pub async fn form_submitted(
    app: &Arc<App>,
    ev: SlackInteractionViewSubmissionEvent,
) -> SlackInteractionResponse {
    let SlackView::Modal(modal) = &ev.view.view else {
        return SlackInteractionResponse::Empty;
    };
    if modal.callback_id.as_ref().map(|c| c.0.as_str()) != Some(v::FEATURE_FORM) {
        tracing::info!(callback_id = ?modal.callback_id, "ignoring an unknown form");
        return SlackInteractionResponse::Empty;
    }
    let user = ev.user.id.0.clone();
    let channel = modal.private_metadata.clone().unwrap_or_default();
    let values = ev
        .view
        .state_params
        .state
        .as_ref()
        .map(|s| s.values.clone())
        .unwrap_or_default();
    let repositories: Vec<String> = app.settings.feature.repositories.keys().cloned().collect();
    let mut form = match read_form(&values, &repositories) {
        Ok(form) => form,
        Err(errors) => {
            tracing::info!(%user, ?errors, "form refused");
            return errors_response(errors);
        }
    };
    if channel.is_empty() {
        let mut errors = BTreeMap::new();
        errors.insert(
            form_block::REQUEST.to_owned(),
            "This form lost the channel it was opened in; close it and run /feature new again."
                .to_owned(),
        );
        return errors_response(errors);
    }
    if form.repository.is_none() {
        form.repository.clone_from(&app.settings.feature.repository);
    }
    // A redelivered submission carries the same view id: it maps to the same workflow id.
    let id =
        ops::feature::workflow_id_for(&ev.team.id.0, &ev.view.state_params.id.0, &form.request);
    let input = FeatureRequest {
        repository: form.repository,
        priority: form.priority,
        target_environment: form.target,
        ..FeatureRequest::new(form.request, user.clone(), channel.clone())
    };
    let to = AnswerTo::Ephemeral {
        channel: channel.clone(),
        user: user.clone(),
    };
    // Recorded as owed before the submission is acknowledged (`journal`).
    let reply = crate::journal::start(
        app,
        crate::journal::OwedStart {
            user,
            channel: Some(channel),
            id,
            input,
            answer: to.clone(),
        },
    )
    .await;
    // A redelivered submission starts nothing new (same id) and is not answered twice.
    let key = format!("view:{}:{}", ev.team.id.0, ev.view.state_params.id.0);
    let app = app.clone();
    crate::tasks::spawn(async move {
        if app.first_time(&key).await {
            app.answer(&to, reply).await;
        } else {
            tracing::info!(%key, "redelivered form submission; answered the first time");
        }
    });
    SlackInteractionResponse::Empty
}

fn errors_response(errors: BTreeMap<String, String>) -> SlackInteractionResponse {
    SlackInteractionResponse::ViewSubmission(SlackViewSubmissionResponse::Errors(
        SlackViewSubmissionErrorsResponse::new(errors.into_iter().collect()),
    ))
}

/// Builds and publishes `user`'s App Home tab, in a task.
pub fn publish_home(app: &Arc<App>, user: String) {
    let app = app.clone();
    crate::tasks::spawn(async move {
        let view = home_view(&app, &user).await;
        let req = SlackApiViewsPublishRequest::new(SlackUserId(user.clone()), view);
        if let Err(e) = app.session().views_publish(&req).await {
            tracing::warn!(error = %e, %user, "views.publish failed");
        }
    });
}

async fn home_view(app: &App, user: &str) -> SlackView {
    let mut problems = Vec::new();
    let features = match ops::feature::running(app).await {
        Ok(all) => {
            // Features from private channels the viewer is not in stay out of their tab.
            let mut shown = Vec::new();
            for (id, status) in all {
                if ops::feature::visible(app, &status, user).await {
                    shown.push((id, status));
                }
            }
            shown
        }
        Err(e) => {
            problems.push(format!("Running features could not be read ({e})."));
            Vec::new()
        }
    };
    // Incidents handled in a private channel the viewer is not in stay out of their tab.
    let viewer = ops::Actor::slack(user.to_owned(), None);
    let incidents = match ops::incident::open_incidents(app, &viewer).await {
        Ok(open) => open,
        Err(e) => {
            problems.push(format!("Open incidents could not be read ({e})."));
            Vec::new()
        }
    };
    let links: Vec<String> = features
        .iter()
        .map(|(id, _)| app.workflow_url(id))
        .collect();
    let mut waiting: Vec<(usize, &Gate)> = Vec::new();
    for (i, (_, s)) in features.iter().enumerate() {
        for gate in &s.pending_gates {
            if ops::decision::may_decide(app, user, s, gate).await {
                waiting.push((i, gate));
            }
        }
    }
    let approvals: Vec<v::PendingApproval<'_>> = waiting
        .iter()
        .map(|(i, gate)| v::PendingApproval {
            workflow_id: &features[*i].0,
            status: &features[*i].1,
            gate,
            ui_link: &links[*i],
        })
        .collect();
    let deliveries: Vec<v::Delivery<'_>> = features
        .iter()
        .zip(&links)
        .map(|((id, s), link)| v::Delivery {
            workflow_id: id,
            status: s,
            ui_link: link,
        })
        .collect();
    let problem = problems.join(" ");
    let as_of = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    v::home(&v::Home {
        approvals: &approvals,
        deliveries: &deliveries,
        incidents: &incidents,
        problem: (!problem.is_empty()).then_some(problem.as_str()),
        as_of: &as_of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(
        pairs: &[(&str, &str, bool)],
    ) -> HashMap<SlackBlockId, HashMap<SlackActionId, SlackViewStateValue>> {
        pairs
            .iter()
            .map(|(block, value, selected)| {
                let state: SlackViewStateValue = serde_json::from_value(if *selected {
                    serde_json::json!({"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}})
                } else {
                    serde_json::json!({"type": "plain_text_input", "value": value})
                })
                .expect("a state value");
                (
                    SlackBlockId((*block).to_owned()),
                    HashMap::from([(SlackActionId(FORM_VALUE.to_owned()), state)]),
                )
            })
            .collect()
    }

    #[test]
    fn a_complete_form_reads_into_a_request() {
        let form = read_form(
            &values(&[
                ("request", "  Add OAuth2 login  ", false),
                ("repository", "acme/web", false),
                ("priority", "high", true),
                ("target", "staging", true),
            ]),
            &[],
        )
        .expect("valid");
        assert_eq!(
            form,
            Form {
                request: "Add OAuth2 login".into(),
                repository: Some("acme/web".into()),
                priority: Priority::High,
                target: Environment::Staging,
            }
        );
    }

    #[test]
    fn each_mistake_is_named_under_its_own_input() {
        let errors = read_form(
            &values(&[
                ("request", "   ", false),
                ("repository", "not a repo", false),
                ("priority", "urgent", true),
                ("target", "moon", true),
            ]),
            &[],
        )
        .expect_err("invalid");
        assert_eq!(errors["request"], "Say what should be built.");
        assert!(errors["repository"].contains("owner/name"), "{errors:?}");
        assert!(
            errors["priority"].contains("low, medium, high or critical"),
            "{errors:?}"
        );
        assert!(
            errors["target"].contains("staging or production"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_repository_outside_the_configured_ones_is_refused() {
        let errors = read_form(
            &values(&[("request", "x", false), ("repository", "evil/repo", true)]),
            &["acme/web".to_owned()],
        )
        .expect_err("invalid");
        assert!(
            errors["repository"].contains("not one of the configured"),
            "{errors:?}"
        );
    }
}
