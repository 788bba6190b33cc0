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

/// Where git is served for the REST API at `api`: `https://github.com` for
/// `https://api.github.com`, `https://host` for GitHub Enterprise's `https://host/api/v3`, and
/// the API's own base otherwise (a forge serving both at one address).
fn git_url_for(api: &Url) -> Url {
    let mut git = api.clone();
    if api.host_str() == Some("api.github.com") {
        let _ = git.set_host(Some("github.com"));
        git.set_path("/");
    } else {
        let path = api.path().trim_end_matches('/');
        if let Some(base) = path.strip_suffix("/api/v3") {
            git.set_path(&format!("{base}/"));
        }
    }
    git
}

impl GitHubSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            token: src.optional("github.token", parse::secret)?,
            api_url: src.get("github.api_url", parse::http_url)?,
            git_url: match src.optional("github.git_url", parse::http_url)? {
                Some(url) => url,
                None => git_url_for(&src.get("github.api_url", parse::http_url)?),
            },
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

#[cfg(test)]
mod tests {
    use super::git_url_for;
    use url::Url;

    #[test]
    fn git_is_found_beside_the_api() {
        for (api, git) in [
            ("https://api.github.com", "https://github.com/"),
            ("https://ghe.example.com/api/v3", "https://ghe.example.com/"),
            (
                "https://ghe.example.com/api/v3/",
                "https://ghe.example.com/",
            ),
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000/"),
        ] {
            let api = Url::parse(api).expect("url");
            assert_eq!(git_url_for(&api).as_str(), git, "{api}");
        }
    }
}
