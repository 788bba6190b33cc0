use super::*;
use chatops_contract::lifecycle::{CheckResult, Evidence, HealthSample, Plan, PlannedTask};
use std::collections::BTreeSet;

fn task(id: &str, deps: &[&str]) -> PlannedTask {
    PlannedTask {
        id: id.into(),
        title: format!("do {id}"),
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
    }
}

fn plan(tasks: Vec<PlannedTask>) -> Plan {
    Plan {
        tasks,
        estimate_hours: 3.0,
        agent: "primary".into(),
    }
}

#[test]
fn names_carry_the_requirement_id() {
    assert_eq!(req_id("feature-add-login-ab12cd"), "REQ-ab12cd");
    assert_eq!(
        branch_name("feature-add-login-ab12cd", "Add login (OAuth)"),
        "feature/REQ-ab12cd-add-login-oauth"
    );
}

#[test]
fn plans_are_checked_and_problems_named() {
    assert_eq!(
        validate_plan(&plan(vec![task("T1", &[]), task("T2", &["T1"])])),
        Ok(())
    );
    let table = [
        (plan(vec![]), "no tasks"),
        (
            plan(vec![task("T1", &[]), task("T1", &[])]),
            "`T1` appears twice",
        ),
        (plan(vec![task("T1", &["T9"])]), "unknown task `T9`"),
        (
            plan(vec![
                task("T1", &["T2"]),
                task("T2", &["T1"]),
                task("T3", &[]),
            ]),
            "T1, T2 depend on each other in a cycle",
        ),
        (plan(vec![task("a b", &[])]), "must be letters"),
    ];
    for (p, want) in table {
        let err = validate_plan(&p).expect_err(want);
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn scheduling_honours_dependencies_and_the_limit() {
    let p = plan(vec![
        task("A", &[]),
        task("B", &[]),
        task("C", &["A"]),
        task("D", &[]),
        task("E", &[]),
        task("F", &["A", "B"]),
    ]);
    let none = BTreeSet::new();
    assert_eq!(ready_tasks(&p, &none, &none, 4), ["A", "B", "D", "E"]);
    let running: BTreeSet<String> = ["B".to_owned()].into();
    let done: BTreeSet<String> = ["A".to_owned()].into();
    assert_eq!(ready_tasks(&p, &done, &running, 4), ["C", "D", "E"]);
    assert_eq!(ready_tasks(&p, &done, &running, 2), ["C"]);
}

fn check(name: &str, passed: bool, required: bool, weight: f64, score: f64) -> CheckResult {
    CheckResult {
        name: name.into(),
        passed,
        required,
        weight,
        score,
        critical: None,
        output: String::new(),
        fixed: false,
    }
}

#[test]
fn quality_needs_required_checks_score_coverage_and_no_criticals() {
    let ok = quality_verdict(
        vec![
            check("unit_tests", true, true, 3.0, 100.0),
            check("coverage", true, true, 1.0, 84.0),
            check("lint", false, false, 1.0, 0.0),
        ],
        80.0,
        80.0,
    );
    // (300 + 84 + 0) / 5 = 76.8: below 80 although every required check passed.
    assert_eq!(ok.score, 76.8);
    assert!(!ok.can_merge);
    assert_eq!(ok.blocking, ["score 76.8 is below the threshold 80"]);

    let low_cov = quality_verdict(
        vec![
            check("unit_tests", true, true, 1.0, 100.0),
            check("coverage", true, true, 1.0, 70.0),
        ],
        80.0,
        80.0,
    );
    assert_eq!(low_cov.blocking, ["coverage 70% is below the minimum 80%"]);

    let mut scan = check("security_scan", true, false, 1.0, 100.0);
    scan.critical = Some(2);
    let vuln = quality_verdict(vec![scan], 85.0, 80.0);
    assert_eq!(vuln.blocking, ["2 critical vulnerabilities"]);

    let failed = quality_verdict(vec![check("unit_tests", false, true, 1.0, 0.0)], 0.0, 0.0);
    assert_eq!(failed.blocking, ["required check unit_tests failed"]);

    let good = quality_verdict(
        vec![check("unit_tests", true, true, 1.0, 100.0)],
        85.0,
        80.0,
    );
    assert!(good.can_merge);
    assert!(!quality_verdict(vec![], 85.0, 80.0).can_merge);
}

#[test]
fn check_output_reports_score_and_criticals() {
    assert_eq!(
        parse_check_output("ran 10 tests\nscore=91.5%\ncritical=0\n"),
        (Some(91.5), Some(0))
    );
    assert_eq!(parse_check_output("score=150"), (None, None));
    assert_eq!(parse_check_output("nothing"), (None, None));
}

fn sample(healthy: bool, err: Option<f64>, lat: Option<f64>) -> HealthSample {
    HealthSample {
        at: "t".into(),
        healthy,
        error_rate: err,
        latency_ms: lat,
        detail: String::new(),
    }
}

const RULES: HealthRules = HealthRules {
    max_failures: 3,
    error_rate_factor: 3.0,
    latency_factor: 5.0,
    sustain: 2,
};

#[test]
fn more_than_three_failures_in_a_row_roll_back() {
    let base = Baseline::default();
    let mut s = vec![sample(false, None, None); 3];
    assert_eq!(judge(&s, base, RULES), None, "3 is not more than 3");
    s.insert(0, sample(true, None, None));
    s.push(sample(false, None, None));
    assert_eq!(
        judge(&s, base, RULES).as_deref(),
        Some("4 health checks failed in a row (more than 3)")
    );
    let recovered = [
        sample(false, None, None),
        sample(false, None, None),
        sample(false, None, None),
        sample(true, None, None),
        sample(false, None, None),
    ];
    assert_eq!(judge(&recovered, base, RULES), None);
}

#[test]
fn error_rate_and_latency_must_be_sustained() {
    let base = Baseline {
        error_rate: Some(0.01),
        latency_ms: Some(100.0),
    };
    let spike = [
        sample(true, Some(0.5), Some(90.0)),
        sample(true, Some(0.01), Some(90.0)),
    ];
    assert_eq!(judge(&spike, base, RULES), None);
    let errors = [
        sample(true, Some(0.05), None),
        sample(true, Some(0.04), None),
    ];
    assert!(judge(&errors, base, RULES).is_some_and(|r| r.starts_with("error rate above 3×")));
    let slow = [
        sample(true, None, Some(600.0)),
        sample(true, None, Some(501.0)),
    ];
    assert!(judge(&slow, base, RULES).is_some_and(|r| r.starts_with("latency above 5×")));
    let fine = [
        sample(true, Some(0.02), Some(400.0)),
        sample(true, Some(0.03), Some(450.0)),
    ];
    assert_eq!(judge(&fine, base, RULES), None);
}

#[test]
fn readiness_counts_what_was_proven() {
    let empty = readiness(&Evidence::default());
    assert_eq!(empty.score, 0.0);
    assert_eq!(empty.findings.len(), 4);
    let e = Evidence {
        quality: Some(quality_verdict(
            vec![check("unit_tests", true, true, 1.0, 100.0)],
            85.0,
            80.0,
        )),
        ..Evidence::default()
    };
    let r = readiness(&e);
    assert_eq!(r.score, 40.0);
    assert!(r.findings[0].starts_with("+40: quality gate passed"));
}
