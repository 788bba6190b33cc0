//! A patch: the fast path for a small change. Its request is its one task, so there is no
//! analysis, no plan, and no intake or plan gate; its card and thread, development, checks,
//! merge rules, deploys and production gate are a feature's.

use chatops_blocks::feature as blocks;
use chatops_contract::lifecycle::{Plan, PlannedTask};

use super::FeatureDelivery;
use crate::workflows::clock::{self, rfc3339};
use temporalio_sdk::WorkflowContext;

impl FeatureDelivery {
    /// Posts the patch's card and takes its request as its plan.
    pub(super) async fn patch_intake(ctx: &WorkflowContext<Self>, id: &str, link: &str) {
        Self::post_card(ctx, id, link).await;
        let at = rfc3339(clock::time(ctx));
        ctx.state_mut(|s| {
            s.state.evidence.plan = Some(Plan {
                tasks: vec![PlannedTask {
                    id: "T1".to_owned(),
                    title: s.state.input.request.clone(),
                    depends_on: Vec::new(),
                }],
                estimate_hours: 0.0,
                agent: String::new(),
            });
            s.state.event(
                &at,
                "patch: the request is its one task; no intake or plan gate".to_owned(),
                None,
            );
        });
        let text = "Patch: the request is its one task, so there is no analysis, plan, intake gate or plan gate. Development starts now; the checks and the production gate still decide whether it ships.";
        Self::report(ctx, id, link, blocks::thread_note(":wrench:", text)).await;
    }
}
