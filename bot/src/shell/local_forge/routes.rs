//! The REST routes of the local GitHub, GitHub's paths and methods, behind the storm.

use axum::Router;
use axum::routing::{get, patch, post, put};
use std::sync::Arc;

use super::{Forge, api, data, deployments, issues, pulls, smart_http, storm};

pub(super) fn routes(forge: Arc<Forge>) -> Router {
    Router::new()
        .route("/user", get(api::user))
        .route("/repos/{o}/{r}", get(api::repository))
        .route("/repos/{o}/{r}/git/ref/heads/{*branch}", get(api::get_ref))
        .route("/repos/{o}/{r}/git/refs", post(api::create_ref))
        .route(
            "/repos/{o}/{r}/git/refs/heads/{*branch}",
            patch(data::update_ref),
        )
        .route("/repos/{o}/{r}/git/blobs", post(data::create_blob))
        .route("/repos/{o}/{r}/git/trees", post(data::create_tree))
        .route("/repos/{o}/{r}/git/commits", post(data::create_commit))
        .route(
            "/repos/{o}/{r}/git/commits/{sha}",
            get(data::get_git_commit),
        )
        .route(
            "/repos/{o}/{r}/commits/{*rest}",
            get(data::commit_or_status),
        )
        .route("/repos/{o}/{r}/tarball/{*rev}", get(data::tarball))
        .route(
            "/repos/{o}/{r}/contents/{*path}",
            get(api::get_contents).put(api::put_contents),
        )
        .route("/repos/{o}/{r}/pulls", get(pulls::list).post(pulls::create))
        .route("/repos/{o}/{r}/pulls/{n}", get(pulls::get))
        .route("/repos/{o}/{r}/pulls/{n}/merge", put(pulls::merge))
        .route(
            "/repos/{o}/{r}/pulls/{n}/requested_reviewers",
            post(issues::request_reviewers),
        )
        .route("/repos/{o}/{r}/statuses/{sha}", post(issues::set_status))
        .route(
            "/repos/{o}/{r}/deployments",
            get(deployments::list).post(deployments::create),
        )
        .route(
            "/repos/{o}/{r}/deployments/{id}/statuses",
            get(deployments::statuses).post(deployments::add_status),
        )
        .route(
            "/repos/{o}/{r}/issues",
            get(issues::list).post(issues::create),
        )
        .route("/repos/{o}/{r}/issues/{n}", patch(issues::update))
        .route(
            "/repos/{o}/{r}/issues/{n}/comments",
            get(issues::list_comments).post(issues::add_comment),
        )
        .route("/repos/{o}/{r}/issues/{n}/labels", post(issues::add_labels))
        .fallback(smart_http::serve)
        .layer(axum::middleware::from_fn_with_state(
            forge.clone(),
            storm::weather,
        ))
        .with_state(forge)
}
