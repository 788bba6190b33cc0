//! A Temporal for tests: starts and signals get an empty (default) answer, anything else
//! (queries, updates, describes) is refused as unimplemented, and every call's name is recorded.
//! So the operations and the alert intake can be tried without a server, a test can say which
//! calls reached Temporal, and an unexpected call fails at once instead of waiting.

use chatops_common::Settings;
use std::sync::{Arc, Mutex, PoisonError};
use temporalio_client::callback_based::{
    CallbackBasedGrpcService, GrpcRequest, GrpcSuccessResponse,
};
use temporalio_client::tonic::Status;
use temporalio_client::{Client, Connection, ConnectionOptions};

use super::Temporal;

/// The calls answered (with an empty reply); the rest are refused.
const ANSWERED: &[&str] = &[
    "GetSystemInfo",
    "StartWorkflowExecution",
    "SignalWorkflowExecution",
    "SignalWithStartWorkflowExecution",
];

/// The RPCs made so far, by name (`SignalWorkflowExecution`, …), in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    /// Every call but the connection's handshake.
    pub(crate) fn made(&self) -> Vec<String> {
        let calls = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        calls
            .iter()
            .filter(|rpc| *rpc != "GetSystemInfo")
            .cloned()
            .collect()
    }

    fn push(&self, rpc: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(rpc);
    }
}

impl Temporal {
    /// A client whose calls never leave the process: each is answered at once with an empty
    /// reply and recorded in the returned [`Calls`].
    pub(crate) async fn recording(settings: &Settings) -> (Self, Calls) {
        let calls = Calls::default();
        let seen = calls.clone();
        let service = CallbackBasedGrpcService {
            callback: Arc::new(move |req: GrpcRequest| {
                let answered = ANSWERED.contains(&req.rpc.as_str());
                seen.push(req.rpc);
                Box::pin(async move {
                    if !answered {
                        return Err(Status::unimplemented(
                            "the test Temporal answers starts and signals only",
                        ));
                    }
                    Ok(GrpcSuccessResponse {
                        headers: axum::http::HeaderMap::new(),
                        proto: Vec::new(),
                    })
                })
            }),
        };
        let connection = Connection::connect(
            ConnectionOptions::new(settings.temporal.address.clone())
                .service_override(service)
                .dns_load_balancing(None)
                .build(),
        )
        .await
        .expect("a recording connection needs no server");
        let client = Client::new(
            connection,
            chatops_common::temporal::client_options(settings),
        )
        .expect("client");
        let temporal = Self {
            client,
            task_queue: settings.temporal.task_queue.clone(),
        };
        (temporal, calls)
    }
}
