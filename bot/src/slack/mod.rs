//! Slack Socket Mode wiring: start-up checks, the listener, and thin callbacks that turn
//! envelopes into commands and button presses.

use anyhow::Context as _;
use secrecy::ExposeSecret;
use slack_morphism::prelude::*;
use std::future::Future;
use std::sync::Arc;

use crate::commands::{self, Ack, Command};
use crate::invocation::Invocation;
use crate::{AnswerTo, App, Reply, actions, views};

impl From<SlackCommandEvent> for Invocation {
    fn from(ev: SlackCommandEvent) -> Self {
        Self {
            team_id: ev.team_id.0,
            channel_id: ev.channel_id.0,
            user_id: ev.user_id.0,
            trigger_id: ev.trigger_id.0,
            response_url: Some(ev.response_url.0.to_string()),
            command: ev.command.0,
            text: ev.text.unwrap_or_default(),
        }
    }
}

/// Parses and runs a slash command; returns the ack payload. What the ack promises is recorded
/// before this returns.
pub async fn dispatch(app: &Arc<App>, inv: Invocation) -> Option<Reply> {
    let ack = match commands::parse(&inv.command, &inv.text) {
        Err(e) => {
            tracing::info!(command = %inv.command, user = %inv.user_id, error = %e, "unusable command");
            return Some(Reply::text(e.to_string()));
        }
        Ok(Command::Feature(cmd)) => commands::feature::run(app, &inv, cmd),
        Ok(Command::Incident(cmd)) => commands::incident::run(app, &inv, cmd),
        Ok(Command::EmergencyStop(cmd)) => commands::emergency::run(app, &inv, cmd),
        Ok(Command::Quality(cmd)) => commands::quality::run(app, &inv, cmd),
        Ok(Command::Freeze(cmd)) => commands::freeze::run(app, &inv, cmd),
        Ok(Command::Help) => return Some(Reply::text(commands::help())),
    };
    match ack {
        Ack::Reply(reply) => reply,
        Ack::OpenForm => {
            views::open_form(app, &inv);
            None
        }
        Ack::Start(owed) => Some(crate::journal::start(app, *owed).await),
    }
}

/// Checks the tokens, connects Socket Mode and serves until `shutdown` completes.
pub async fn serve(app: Arc<App>, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let app_token = SlackApiToken::new(app.settings.app_token()?.expose_secret().into());
    check_tokens(&app, &app_token).await?;
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let intake = crate::alerts::server::spawn(app.clone(), ready.clone()).await?;

    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_interaction_events(on_interaction)
        .with_push_events(on_push);
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(app.slack.clone())
            .with_error_handler(on_error)
            .with_user_state(app.clone()),
    );
    let config = SlackClientSocketModeConfig::new()
        .with_max_connections_count(app.settings.slack.socket_connections)
        .with_initial_backoff_in_seconds(1);
    let listener = SlackClientSocketModeListener::new(&config, env, callbacks);
    listener
        .listen_for(&app_token)
        .await
        .context("failed to register the Socket Mode token")?;
    listener.start().await;
    // Starts acknowledged by a bot that stopped before carrying them out (this one, earlier,
    // or a replica on the same store).
    let sweeper = tokio::spawn(crate::journal::sweep(app.clone()));
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    tracing::info!(
        connections = app.settings.slack.socket_connections,
        "Socket Mode listening"
    );
    shutdown.await;
    // Out of rotation, no new envelopes; then what was acknowledged is carried out.
    ready.store(false, std::sync::atomic::Ordering::SeqCst);
    listener.shutdown().await;
    sweeper.abort();
    let grace = app.settings.slack.shutdown_grace;
    match crate::tasks::drain(grace).await {
        0 => tracing::info!("every acknowledged command was carried out"),
        left => tracing::error!(
            tasks = left,
            grace = %humantime::format_duration(grace),
            "stopping with acknowledged work unfinished (CHATOPS__SLACK__SHUTDOWN_GRACE)"
        ),
    }
    intake.stop().await;
    Ok(())
}

/// slack-morphism only logs and retries a bad token forever; ask Slack first and fail with a
/// line that names the key.
async fn check_tokens(app: &App, app_token: &SlackApiToken) -> anyhow::Result<()> {
    let api = &app.settings.slack.api_url;
    let auth = app.session().auth_test().await.map_err(|e| {
        anyhow::anyhow!(
            "Slack at {api} rejected CHATOPS__SLACK__BOT_TOKEN (auth.test: {})",
            crate::reply::short(&e)
        )
    })?;
    app.slack
        .open_session(app_token)
        .apps_connections_open(&SlackApiAppsConnectionOpenRequest::new())
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "Slack at {api} rejected CHATOPS__SLACK__APP_TOKEN (apps.connections.open: {})",
                crate::reply::short(&e)
            )
        })?;
    tracing::info!(team = ?auth.team, user = ?auth.user, "Slack tokens accepted");
    Ok(())
}

async fn app_of(state: &SlackClientEventsUserState) -> Option<Arc<App>> {
    state.read().await.get_user_state::<Arc<App>>().cloned()
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Arc<SlackHyperClient>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let received = std::time::Instant::now();
    let Some(app) = app_of(&state).await else {
        return Err("bot state missing".into());
    };
    let metrics = chatops_common::metrics::get();
    chatops_common::metrics::Metrics::count(&metrics.envelopes, "slash_commands");
    let reply = dispatch(&app, Invocation::from(ev)).await;
    metrics
        .ack_seconds
        .observe(received.elapsed().as_secs_f64());
    let content = reply.map_or_else(SlackMessageContent::new, |r| r.content());
    Ok(SlackCommandEventResponse::new(content)
        .with_response_type(SlackMessageResponseType::Ephemeral))
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _client: Arc<SlackHyperClient>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let Some(app) = app_of(&state).await else {
        return Err("bot state missing".into());
    };
    chatops_common::metrics::Metrics::count(
        &chatops_common::metrics::get().envelopes,
        "interactive",
    );
    let ev = match ev {
        SlackInteractionEvent::BlockActions(ev) => ev,
        SlackInteractionEvent::ViewSubmission(ev) => {
            return Ok(views::form_submitted(&app, ev).await);
        }
        _ => {
            tracing::debug!("ignoring an interaction that is neither a button nor a form");
            return Ok(SlackInteractionResponse::Empty);
        }
    };
    let user_id = ev.user.as_ref().map(|u| u.id.0.clone()).unwrap_or_default();
    let channel_id = ev.channel.as_ref().map(|c| c.id.0.clone());
    let from_home = matches!(ev.view, Some(SlackView::Home(_)));
    let answer = match (&ev.response_url, from_home) {
        (Some(url), _) => Some(AnswerTo::ResponseUrl(url.0.to_string())),
        (None, true) => Some(AnswerTo::Direct(user_id.clone())),
        (None, false) => channel_id.clone().map(|channel| AnswerTo::Ephemeral {
            channel,
            user: user_id.clone(),
        }),
    };
    // A redelivered envelope carries the same trigger id: it is handled once.
    let envelope = format!("act:{}:{}", ev.team.id.0, ev.trigger_id.0);
    for (i, action) in ev.actions.unwrap_or_default().into_iter().enumerate() {
        actions::handle(
            &app,
            actions::Press {
                user_id: user_id.clone(),
                action_id: action.action_id.0,
                value: action.value,
                answer: answer.clone(),
                from_home,
                channel_id: channel_id.clone(),
                dedup_key: Some(format!("{envelope}:{i}")),
            },
        );
    }
    Ok(SlackInteractionResponse::Empty)
}

async fn on_push(
    ev: SlackPushEventCallback,
    _client: Arc<SlackHyperClient>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let Some(app) = app_of(&state).await else {
        return Err("bot state missing".into());
    };
    chatops_common::metrics::Metrics::count(
        &chatops_common::metrics::get().envelopes,
        "events_api",
    );
    let SlackEventCallbackBody::AppHomeOpened(opened) = ev.event else {
        tracing::debug!(event_id = %ev.event_id, "ignoring an Events API event");
        return Ok(());
    };
    if opened.tab.as_deref().is_some_and(|t| t != "home") {
        return Ok(());
    }
    // Slack retries an event whose ack was late, with the same `event_id`: handled once.
    let key = format!("evt:{}:{}", ev.team_id.0, ev.event_id.0);
    crate::tasks::spawn(async move {
        if app.first_time(&key).await {
            views::publish_home(&app, opened.user.0);
        } else {
            tracing::info!(%key, "redelivered event ignored");
        }
    });
    Ok(())
}

fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackHyperClient>,
    _state: SlackClientEventsUserState,
) -> HttpStatusCode {
    tracing::error!(error = %err, "Slack event handling failed");
    // Acknowledge anyway: a redelivery would fail the same way.
    HttpStatusCode::OK
}
