pub mod local_slack;
