//! Workflows: one file per workflow type.

pub mod feature_delivery;
