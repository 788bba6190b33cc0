//! Activities: every side effect a workflow has, one file per integration.

pub mod delivery;
pub mod freeze;
pub mod github;
pub mod incident;
pub mod policy;
pub mod shell;
pub mod slack;
