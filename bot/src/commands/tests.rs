use super::{Command, EmergencyCommand, FeatureCommand, IncidentCommand, help, parse};

#[test]
fn chatops_help_lists_every_command() {
    assert_eq!(parse("/chatops", ""), Ok(Command::Help));
    let text = help();
    let tables: [&[(&str, &str)]; 3] = [
        FeatureCommand::HELP,
        IncidentCommand::HELP,
        EmergencyCommand::HELP,
    ];
    for (usage, _) in tables.iter().flat_map(|t| t.iter()) {
        if !usage.ends_with(" help") {
            assert!(text.contains(&chatops_blocks::escape(usage)), "{usage}");
        }
    }
    assert!(parse("/chatops", "deploy").is_err());
}

proptest::proptest! {
    #[test]
    fn any_input_parses_or_gets_an_answer(command in "/[a-z-]{0,16}", text in ".{0,300}") {
        match parse(&command, &text) {
            Ok(_) => {}
            Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
        }
    }
}

/// The help texts, word for word as people have seen them.
#[test]
fn help_texts_are_unchanged() {
    assert_eq!(
        FeatureCommand::help(),
        "*/feature* — deliver features from Slack\n\
• `/feature new &lt;request&gt;` — start delivering a feature: posts its card here and asks for intake approval\n\
• `/feature new` — open a form for the request, repository, priority and target environment\n\
• `/feature patch &lt;request&gt;` — ship a small change fast: the request is its one task, no intake or plan gate; checks and the production gate still decide\n\
• `/feature hotfix &lt;request&gt;` — a patch that someone on call may let pass a freeze\n\
• `/feature pass-freeze &lt;id&gt; &lt;reason&gt;` — let a hotfix go on while a freeze holds deliveries (on-call only)\n\
• `/feature status &lt;id&gt;` — show a feature's phase, gates and timeline\n\
• `/feature pause &lt;id&gt; [reason]` — hold a feature before its next phase (the running phase at its next safe point)\n\
• `/feature resume &lt;id&gt;` — let a paused feature go on\n\
• `/feature block &lt;id&gt; &lt;blocker&gt; [reason]` — hold the next phase until `/feature unblock`\n\
• `/feature unblock &lt;id&gt; &lt;blocker&gt;` — remove a blocker\n\
• `/feature skip &lt;id&gt; &lt;gate&gt; &lt;reason&gt;` — pass a pending gate without approvals (admins only)\n\
• `/feature override-window &lt;id&gt; &lt;reason&gt;` — let a feature deploy outside the deploy windows (admins only)\n\
• `/feature priority &lt;id&gt; &lt;low|medium|high|critical&gt;` — change a feature's priority\n\
• `/feature list [all]` — your running features (or every running one) with phase and pending gate\n\
• `/feature cancel &lt;id&gt; &lt;reason&gt;` — stop a feature for good (its requester or an admin); a production deploy in progress is rolled back\n\
• `/feature help` — show this help\n\
Approve or reject a feature with the buttons in its thread."
    );
    assert_eq!(
        IncidentCommand::help(),
        "*/incident* — respond to incidents from Slack\n\
• `/incident new &lt;service&gt; [sev1|sev2|sev3|sev4] &lt;summary&gt;` — open an incident by hand (default sev2): card in the incident channel, agents start diagnosing\n\
• `/incident status [id]` — one incident's state and latest events; without an id, the open incidents\n\
• `/incident list` — the open incidents, with severity and age\n\
• `/incident commander &lt;id&gt; &lt;@user&gt;` — hand command of an incident to someone\n\
• `/incident resolve &lt;id&gt; &lt;summary&gt;` — resolve an incident; its postmortem is posted in its thread\n\
• `/incident help` — show this help\n\
Acknowledge, roll back, resolve and pick diagnoses with the buttons on an incident's card and in its thread."
    );
    assert_eq!(
        EmergencyCommand::help(),
        "*/emergency-stop* — the big red button, and it stays pressed\n\
• `/emergency-stop [reason]` — halt every running delivery and hold new ones (on-call only; asks to confirm)\n\
• `/emergency-stop release &lt;reason&gt;` — let deliveries go on again (on-call only)\n\
• `/emergency-stop status` — whether the stop is engaged, since when and why\n\
• `/emergency-stop help` — show this help\n\
Engaged, it survives restarts of the worker and of Temporal until someone releases it."
    );
    assert_eq!(
        help(),
        "*chatops* — delivery and incidents from Slack\n\
• `/feature new &lt;request&gt;` — start delivering a feature: posts its card here and asks for intake approval\n\
• `/feature new` — open a form for the request, repository, priority and target environment\n\
• `/feature patch &lt;request&gt;` — ship a small change fast: the request is its one task, no intake or plan gate; checks and the production gate still decide\n\
• `/feature hotfix &lt;request&gt;` — a patch that someone on call may let pass a freeze\n\
• `/feature pass-freeze &lt;id&gt; &lt;reason&gt;` — let a hotfix go on while a freeze holds deliveries (on-call only)\n\
• `/feature status &lt;id&gt;` — show a feature's phase, gates and timeline\n\
• `/feature pause &lt;id&gt; [reason]` — hold a feature before its next phase (the running phase at its next safe point)\n\
• `/feature resume &lt;id&gt;` — let a paused feature go on\n\
• `/feature block &lt;id&gt; &lt;blocker&gt; [reason]` — hold the next phase until `/feature unblock`\n\
• `/feature unblock &lt;id&gt; &lt;blocker&gt;` — remove a blocker\n\
• `/feature skip &lt;id&gt; &lt;gate&gt; &lt;reason&gt;` — pass a pending gate without approvals (admins only)\n\
• `/feature override-window &lt;id&gt; &lt;reason&gt;` — let a feature deploy outside the deploy windows (admins only)\n\
• `/feature priority &lt;id&gt; &lt;low|medium|high|critical&gt;` — change a feature's priority\n\
• `/feature list [all]` — your running features (or every running one) with phase and pending gate\n\
• `/feature cancel &lt;id&gt; &lt;reason&gt;` — stop a feature for good (its requester or an admin); a production deploy in progress is rolled back\n\
• `/incident new &lt;service&gt; [sev1|sev2|sev3|sev4] &lt;summary&gt;` — open an incident by hand (default sev2): card in the incident channel, agents start diagnosing\n\
• `/incident status [id]` — one incident's state and latest events; without an id, the open incidents\n\
• `/incident list` — the open incidents, with severity and age\n\
• `/incident commander &lt;id&gt; &lt;@user&gt;` — hand command of an incident to someone\n\
• `/incident resolve &lt;id&gt; &lt;summary&gt;` — resolve an incident; its postmortem is posted in its thread\n\
• `/emergency-stop [reason]` — halt every running delivery and hold new ones (on-call only; asks to confirm)\n\
• `/emergency-stop release &lt;reason&gt;` — let deliveries go on again (on-call only)\n\
• `/emergency-stop status` — whether the stop is engaged, since when and why\n\
• `/freeze list` — the scheduled freezes and when each starts next\n\
• `/freeze add &lt;name&gt; &lt;YYYY-MM-DD HH:MM | days HH:MM&gt; for &lt;duration&gt; [&lt;time zone&gt;] &lt;reason&gt;` — schedule a freeze, once or weekly: deliveries hold before their next phase while it lasts (on-call only)\n\
• `/freeze remove &lt;name&gt;` — take a freeze off the calendar (on-call only)\n\
• `/quality &lt;owner/name&gt;` — the quality score of a watched repository's default branch over time, with the commits checked\n\
Buttons on cards and in threads decide gates and drive incidents. `/feature help`, `/incident help`, `/emergency-stop help`, `/freeze help` and `/quality help` say more."
    );
}
