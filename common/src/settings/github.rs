//! `[github]`: the token and REST API the worker opens branches and pull requests with. The
//! repository-delivery keys of this section (`reviewers`, `auto_merge`) are feature policy and
//! live in [`FeatureSettings`](super::FeatureSettings).

use super::{SettingsError, parse, source::Source};
use secrecy::SecretString;
use std::fmt;
use url::Url;

/// `[github]`
#[derive(Clone)]
pub struct GitHubSettings {
    pub token: Option<SecretString>,
    pub api_url: Url,
    /// Base URL of git over HTTPS: `{git_url}/{owner}/{name}.git` is fetched.
    pub git_url: Url,
}

impl GitHubSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            token: src.optional("github.token", parse::secret)?,
            api_url: src.get("github.api_url", parse::http_url)?,
            git_url: src.get("github.git_url", parse::http_url)?,
        })
    }
}

impl fmt::Debug for GitHubSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubSettings")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("api_url", &self.api_url.as_str())
            .field("git_url", &self.git_url.as_str())
            .finish()
    }
}
