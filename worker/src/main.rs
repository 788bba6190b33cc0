//! `chatops-worker`: hosts every chatops workflow and activity.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match chatops_common::Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chatops-worker: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = settings.bot_token() {
        eprintln!("chatops-worker: {e}");
        return ExitCode::from(2);
    }
    let subscriber = chatops_common::telemetry::init(settings.log.format, &settings.log.filter);
    match chatops_worker::run(settings, subscriber, chatops_common::shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("chatops-worker: {e:#}");
            ExitCode::FAILURE
        }
    }
}
