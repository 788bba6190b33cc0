//! The repository every GitHub activity works on, and how GitHub's errors become activity
//! failures.
//!
//! Requests are octocrab's typed builders where it has them: sent as they are when octocrab's
//! model of the answer asks for no more than GitHub always sends (a status, a merge), else
//! serialized as the body or query of a call made here. Answers are read into the few fields
//! an activity uses, leniently: octocrab's models require ids, node ids, URLs and users that no
//! activity reads, and the local GitHub of the end-to-end tests answers without them.

use octocrab::Octocrab;
use octocrab::issues::IssueHandler;
use octocrab::pulls::PullRequestHandler;
use octocrab::repos::RepoHandler;
use serde::de::DeserializeOwned;
use temporalio_sdk::activities::ActivityError;

use crate::activities::failure::{permanent, retryable};

/// One repository, `owner/name`, with the client that reaches it.
pub(super) struct Repo<'a> {
    gh: &'a Octocrab,
    owner: &'a str,
    name: &'a str,
    /// `/repos/owner/name`: the start of every route, and how messages name the repository.
    path: String,
}

impl std::fmt::Display for Repo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)
    }
}

impl<'a> Repo<'a> {
    /// `repository` (`owner/name`) through `gh`, or a refusal naming the bad value.
    pub(super) fn new(gh: &'a Octocrab, repository: &'a str) -> Result<Self, ActivityError> {
        match repository.split_once('/') {
            Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(Self {
                    gh,
                    owner,
                    name,
                    path: format!("/repos/{owner}/{name}"),
                })
            }
            _ => Err(permanent(format!(
                "`{repository}` is not a repository like owner/name"
            ))),
        }
    }

    /// The client, for calls the handlers below do not cover.
    pub(super) fn gh(&self) -> &'a Octocrab {
        self.gh
    }

    /// `/repos/owner/name`, the repository's own route.
    pub(super) fn path(&self) -> &str {
        &self.path
    }

    /// The owner's login.
    pub(super) fn owner(&self) -> &'a str {
        self.owner
    }

    /// `/repos/owner/name/{tail}`.
    pub(super) fn route(&self, tail: &str) -> String {
        format!("{}/{tail}", self.path)
    }

    /// octocrab's repository endpoints.
    pub(super) fn repos(&self) -> RepoHandler<'a> {
        self.gh.repos(self.owner, self.name)
    }

    /// octocrab's pull request endpoints.
    pub(super) fn pulls(&self) -> PullRequestHandler<'a> {
        self.gh.pulls(self.owner, self.name)
    }

    /// octocrab's issue endpoints.
    pub(super) fn issues(&self) -> IssueHandler<'a> {
        self.gh.issues(self.owner, self.name)
    }

    /// GETs `route` with `query`; `None` on 404.
    pub(super) async fn get_optional<T: DeserializeOwned>(
        &self,
        route: &str,
        query: Option<&(impl serde::Serialize + ?Sized)>,
        doing: impl FnOnce() -> String,
    ) -> Result<Option<T>, ActivityError> {
        match self.gh.get::<T, _, _>(route, query).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(classify(&doing(), e)),
        }
    }
}

/// The HTTP status GitHub answered with, when it answered.
pub(super) fn status_of(e: &octocrab::Error) -> Option<u16> {
    match e {
        octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
        _ => None,
    }
}

/// `classify` for `map_err`: the failure of `doing`.
pub(super) fn failed(doing: impl Into<String>) -> impl FnOnce(octocrab::Error) -> ActivityError {
    let doing = doing.into();
    move |e| classify(&doing, e)
}

/// 401, 403, 404 and 422 fail at once with a message naming the cause; anything else is
/// retried.
pub(super) fn classify(doing: &str, e: octocrab::Error) -> ActivityError {
    let (status, message) = match &e {
        octocrab::Error::GitHub { source, .. } => {
            (Some(source.status_code.as_u16()), source.message.clone())
        }
        other => (None, other.to_string()),
    };
    match status {
        Some(401) => permanent(format!(
            "{doing}: GitHub rejected CHATOPS__GITHUB__TOKEN (401: {message})"
        )),
        Some(403) => permanent(format!(
            "{doing}: the GitHub token may not do this (403: {message})"
        )),
        Some(404) => permanent(format!(
            "{doing}: not found (404); check the repository name and the token's access"
        )),
        Some(422) => permanent(format!("{doing}: GitHub refused it (422: {message})")),
        _ => retryable(format!(
            "{doing}: {}{message}",
            status.map(|s| format!("{s}: ")).unwrap_or_default()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn repositories_are_owner_slash_name() {
        let gh = Octocrab::default();
        let repo = Repo::new(&gh, "acme/shop").expect("valid");
        assert_eq!(repo.to_string(), "/repos/acme/shop");
        assert_eq!(repo.route("pulls/3"), "/repos/acme/shop/pulls/3");
        for bad in ["acme", "/shop", "acme/", "acme/shop/x", ""] {
            assert!(Repo::new(&gh, bad).is_err(), "{bad}");
        }
    }
}
