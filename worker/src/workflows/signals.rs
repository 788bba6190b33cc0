//! Signals in and out of workflow code.
//!
//! In: every handler takes the payload as `serde_json::Value` and reads it with [`decode`], so
//! a payload that is not what its signal carries (a hand-typed `temporal workflow signal`, a
//! client from another version) is recorded or logged by the workflow, which then ignores it
//! (or, where missing the signal would be worse, as with a rollback, obeys it with defaults):
//! it never fails the workflow task and never wedges the workflow.
//!
//! Out: [`by_name`] signals a workflow by the contract's name and payload type, without
//! importing the receiving workflow's type (a phase child forwarded to, the monitor told of a
//! close).

use chatops_contract::{MalformedPayload, Signal};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use temporalio_common::{SignalDefinition, UntypedWorkflow};

/// Reads `payload` as the payload `signal` carries; `None` after handing a malformed one to
/// `malformed`, which records or logs it the way its workflow does.
pub(crate) fn decode<P: DeserializeOwned>(
    signal: Signal<P>,
    payload: Value,
    malformed: impl FnOnce(MalformedPayload),
) -> Option<P> {
    match signal.decode(payload) {
        Ok(p) => Some(p),
        Err(e) => {
            malformed(e);
            None
        }
    }
}

/// A signal addressed by its contract name.
pub(crate) struct ByName(&'static str);

impl SignalDefinition for ByName {
    type Workflow = UntypedWorkflow;
    type Input = Value;

    fn name(&self) -> &str {
        self.0
    }
}

/// `signal` with `payload` as it goes on the wire, for `external_workflow(..).signal(..)`.
pub(crate) fn by_name<P: Serialize>(signal: Signal<P>, payload: &P) -> (ByName, Value) {
    (
        ByName(signal.name()),
        serde_json::to_value(payload).unwrap_or_default(),
    )
}
