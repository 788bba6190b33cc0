use super::*;

#[test]
fn postgres_versions_follow_the_matrix() {
    let table = [
        ("15.20 (Debian 15.20-0+deb12u1)", false, Status::Pass),
        ("13.1", false, Status::Pass),
        ("16.4", false, Status::Pass),
        ("12.9", false, Status::Fail),
        ("12.9", true, Status::Warn),
        ("17.0", false, Status::Warn),
        ("devel", false, Status::Warn),
    ];
    for (version, force, want) in table {
        assert_eq!(
            postgres_verdict(version, force).status,
            want,
            "{version} force={force}"
        );
    }
    let old = postgres_verdict("12.9", false);
    assert!(old.remedy.is_some_and(|r| r.contains("--force")));
}

#[test]
fn the_table_names_failures_and_their_remedies() {
    let checks = vec![
        Check::pass("config", "ok"),
        Check::fail(
            "workers",
            "no worker polls task queue chatops",
            "start chatops-worker",
        ),
    ];
    let table = render(&checks);
    assert!(
        table.contains("workers  FAIL  no worker polls task queue chatops"),
        "{table}"
    );
    assert!(table.contains("→ start chatops-worker"), "{table}");
    assert!(table.ends_with("1 check failed.\n"), "{table}");
    assert!(!healthy(&checks));
}
