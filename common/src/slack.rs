//! The Slack Web API client, pointed at the configured base URL.

use slack_morphism::prelude::*;
use std::sync::Arc;

/// The connector both processes use: HTTPS with bundled web roots (no system CA store needed),
/// plain HTTP for loopback stand-ins.
pub type Connector = SlackClientHyperConnector<SlackHyperHttpsConnector>;
/// The Slack client type used across the project.
pub type Client = SlackClient<Connector>;

/// A Slack client whose Web API calls go to `api_url` (e.g. `https://slack.com/api`).
pub fn client(api_url: &url::Url) -> Arc<Client> {
    let https = crate::http::connector();
    let base = api_url.as_str().trim_end_matches('/');
    Arc::new(SlackClient::new(
        SlackClientHyperConnector::with_connector(https).with_slack_api_url(base),
    ))
}
