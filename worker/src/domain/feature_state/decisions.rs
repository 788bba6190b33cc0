//! A feature's gates as its workflow sees them: by name, as signals and updates spell them.
//! The [`GateBook`](super::GateBook) decides; this side writes the timeline and answers in the
//! workflow's terms.

use super::{DecisionOutcome, FeatureState};
use crate::domain::gates::{GateRefusal, Tally, gate_name};
use chatops_contract::feature::{Approve, Gate, GateName, GateState, Reject};
use chatops_contract::lifecycle::{ApprovalGates, SkipGate};

impl FeatureState {
    /// Opens gate `name`, pending until `deadline`. Callers pass the contract's gate names; any
    /// other name opens nothing and is noted on the timeline.
    pub fn open_gate(&mut self, name: &str, now: &str, deadline: &str) {
        match name.parse::<GateName>() {
            Ok(gate) => {
                let required = self.rules.required_for(gate.as_str());
                self.gates.open(gate, required, deadline);
                self.event(now, format!("{name} gate opened"), None);
            }
            Err(e) => self.event(now, format!("ignored: open {name} gate ({e})"), None),
        }
    }

    /// The gate called `name`, if opened.
    pub fn gate(&self, name: &str) -> Option<&Gate> {
        self.gates.get(name.parse().ok()?)
    }

    /// Whether gate `name` has been decided (or timed out).
    pub fn gate_decided(&self, name: &str) -> bool {
        name.parse().is_ok_and(|g| self.gates.is_decided(g))
    }

    /// Whether gate `name` passed (approved or skipped).
    pub fn gate_passed(&self, name: &str) -> bool {
        name.parse().is_ok_and(|g| self.gates.has_passed(g))
    }

    /// Whether `user` may cast this decision on gate `name` now; the refusal is what they are
    /// told. Used by the update validators and, for signals, before applying.
    pub fn check(&self, name: &str, user: &str, approving: bool) -> Result<(), GateRefusal> {
        self.gates
            .check(name, user, approving, &self.rules, &self.input.requester)
    }

    /// Applies an approval: one vote; the gate passes when it has enough distinct ones.
    pub fn approve(&mut self, a: &Approve, now: &str) -> DecisionOutcome {
        let tally = self
            .gates
            .approve(a, now, &self.rules, &self.input.requester);
        let what = match tally {
            Ok(Tally::Counted { have, need }) => {
                format!("{} gate: {have} of {need} approvals", a.gate)
            }
            Ok(Tally::Passed) => format!("{} gate approved", a.gate),
            Err(why) => return self.ignored(now, "approve", &a.gate, &a.user, why),
        };
        self.event(now, what, Some(&a.user));
        DecisionOutcome::Applied
    }

    /// Applies a rejection: the first one from someone allowed wins.
    pub fn reject(&mut self, r: &Reject, now: &str) -> DecisionOutcome {
        let done = self
            .gates
            .reject(r, now, &self.rules, &self.input.requester);
        if let Err(why) = done {
            return self.ignored(now, "reject", &r.gate, &r.user, why);
        }
        self.event(now, format!("{} gate rejected", r.gate), Some(&r.user));
        DecisionOutcome::Applied
    }

    /// Times out gate `name` if it is still pending.
    pub fn time_out(&mut self, name: &str, now: &str) -> DecisionOutcome {
        if let Err(why) = gate_name(name).and_then(|g| self.gates.time_out(g, now)) {
            return DecisionOutcome::Ignored(why.to_string());
        }
        self.event(now, format!("{name} gate timed out"), None);
        DecisionOutcome::Applied
    }

    /// Passes gate `name` because nobody decided in time, for gates that auto-approve.
    pub fn auto_approve(&mut self, name: &str, note: &str, now: &str) -> DecisionOutcome {
        if let Err(why) = gate_name(name).and_then(|g| self.gates.auto_approve(g, note, now)) {
            return DecisionOutcome::Ignored(why.to_string());
        }
        self.event(now, format!("{name} gate auto-approved: {note}"), None);
        DecisionOutcome::Applied
    }

    /// Marks gate `name` escalated; false when it was not pending or already escalated.
    pub fn escalate(&mut self, name: &str, now: &str) -> bool {
        if !name.parse().is_ok_and(|g| self.gates.escalate(g)) {
            return false;
        }
        self.event(now, format!("{name} gate escalated"), None);
        true
    }

    /// Whether `user` may skip gate `name` now; the refusal is what they are told.
    pub fn check_skip(&self, k: &SkipGate) -> Result<(), GateRefusal> {
        self.gates.check_skip(k, &self.rules)
    }

    /// Applies `skip_gate`.
    pub fn skip(&mut self, k: &SkipGate, now: &str) -> DecisionOutcome {
        if let Err(why) = self.gates.skip(k, now, &self.rules) {
            return self.ignored(now, "skip", &k.gate, &k.user, why);
        }
        let what = format!("{} gate skipped: {}", k.gate, k.reason.trim());
        self.event(now, what, Some(&k.user));
        DecisionOutcome::Applied
    }

    /// Drops the votes on pending gate `name` (what they approved has changed).
    pub fn reset_votes(&mut self, name: &str, now: &str) {
        let dropped = name.parse().map_or(0, |g| self.gates.reset_votes(g));
        if dropped == 0 {
            return;
        }
        self.event(
            now,
            format!("{name} gate: {dropped} earlier approval(s) dropped; asked again"),
            None,
        );
    }

    /// The `approval_gates` query's answer.
    pub fn approval_gates(&self) -> ApprovalGates {
        let (pending, decided) = self
            .gates
            .all()
            .iter()
            .cloned()
            .partition(|g| g.state == GateState::Pending);
        ApprovalGates { pending, decided }
    }

    /// Takes the feedback waiting for gate `name`, if any.
    pub fn take_feedback(&mut self, name: &str) -> Option<String> {
        let gate: GateName = name.parse().ok()?;
        let at = self.feedback.iter().position(|(g, _)| *g == gate)?;
        Some(self.feedback.remove(at).1)
    }

    /// Records a refused decision on the timeline, by whoever sent it.
    fn ignored(
        &mut self,
        now: &str,
        verb: &str,
        gate: &str,
        user: &str,
        why: GateRefusal,
    ) -> DecisionOutcome {
        self.event(now, format!("ignored: {verb} {gate} ({why})"), Some(user));
        DecisionOutcome::Ignored(why.to_string())
    }
}
