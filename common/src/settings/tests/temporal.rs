//! `[temporal]` connection settings: when TLS is on, the files it reads and the API key.

use super::*;
use crate::temporal::connection_options;
use std::path::PathBuf;

const CERT: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydA==\n-----END CERTIFICATE-----\n";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEH\n-----END PRIVATE KEY-----\n";

/// A folder of this test's own with `files` written in it.
fn folder(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chatops-settings-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    dir
}

fn path(dir: &std::path::Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn plain_text_by_default() {
    let s = load(&[]).expect("defaults load");
    assert!(s.temporal.tls.is_none());
    assert!(s.temporal.api_key.is_none());
    let options = connection_options(&s.temporal, "me".into());
    assert!(options.tls_options.is_none());
    assert_eq!(options.target.scheme(), "http");
}

#[test]
fn an_https_address_or_any_tls_key_turns_tls_on() {
    let dir = folder("implied", &[("ca.pem", CERT)]);
    let ca = path(&dir, "ca.pem");
    for pairs in [
        vec![(
            "CHATOPS__TEMPORAL__ADDRESS",
            "https://temporal.example:7233",
        )],
        vec![("CHATOPS__TEMPORAL__TLS", "true")],
        vec![("CHATOPS__TEMPORAL__TLS_CA_FILE", ca.as_str())],
        vec![("CHATOPS__TEMPORAL__TLS_SERVER_NAME", "temporal.example")],
        vec![("CHATOPS__TEMPORAL__API_KEY", "key-very-secret")],
    ] {
        let s = load(&pairs).expect("loads");
        assert!(s.temporal.tls.is_some(), "{pairs:?}");
        // tonic speaks TLS only to an https URI.
        assert_eq!(s.temporal.address.scheme(), "https", "{pairs:?}");
        let options = connection_options(&s.temporal, "me".into());
        assert!(options.tls_options.is_some(), "{pairs:?}");
        assert_eq!(options.target.scheme(), "https", "{pairs:?}");
    }
}

#[test]
fn tls_files_and_names_reach_the_connection() {
    let dir = folder(
        "files",
        &[("ca.pem", CERT), ("client.pem", CERT), ("client.key", KEY)],
    );
    let s = load(&[
        ("CHATOPS__TEMPORAL__ADDRESS", "http://10.0.0.5:7233"),
        ("CHATOPS__TEMPORAL__TLS_CA_FILE", &path(&dir, "ca.pem")),
        ("CHATOPS__TEMPORAL__TLS_SERVER_NAME", "temporal.internal"),
        (
            "CHATOPS__TEMPORAL__TLS_CERT_FILE",
            &path(&dir, "client.pem"),
        ),
        ("CHATOPS__TEMPORAL__TLS_KEY_FILE", &path(&dir, "client.key")),
    ])
    .expect("loads");
    let options = connection_options(&s.temporal, "me".into());
    assert_eq!(options.target.as_str(), "https://10.0.0.5:7233/");
    let tls = options.tls_options.expect("tls");
    assert_eq!(tls.server_root_ca_cert.as_deref(), Some(CERT.as_bytes()));
    assert_eq!(tls.domain.as_deref(), Some("temporal.internal"));
    let client = tls.client_tls_options.expect("mTLS");
    assert_eq!(client.client_cert, CERT.as_bytes());
    assert_eq!(client.client_private_key, KEY.as_bytes());
    // The key material never shows in Debug output.
    let debug = format!("{s:?}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
}

#[test]
fn the_api_key_is_sent_with_tls_and_never_shown() {
    let dir = folder("key", &[("api-key", "key-from-file-very-secret\n")]);
    let key_file = path(&dir, "api-key");
    for (pairs, want) in [
        (
            vec![("CHATOPS__TEMPORAL__API_KEY", "key-inline-very-secret")],
            "key-inline-very-secret",
        ),
        (
            vec![("CHATOPS__TEMPORAL__API_KEY_FILE", key_file.as_str())],
            "key-from-file-very-secret",
        ),
    ] {
        let s = load(&pairs).expect("loads");
        let debug = format!("{s:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
        let options = connection_options(&s.temporal, "me".into());
        assert_eq!(options.api_key.as_deref(), Some(want));
        assert!(options.tls_options.is_some(), "an API key needs TLS");
    }
}

#[test]
fn bad_connection_settings_name_their_key_and_file() {
    let dir = folder(
        "bad",
        &[
            ("ca.pem", CERT),
            ("not-pem.txt", "just some text\n"),
            ("key.pem", KEY),
            ("empty-key", "\n"),
        ],
    );
    let missing = path(&dir, "missing.pem");
    let not_pem = path(&dir, "not-pem.txt");
    let ca = path(&dir, "ca.pem");
    let key = path(&dir, "key.pem");
    let empty = path(&dir, "empty-key");
    let folder_itself = dir.display().to_string();
    std::fs::write(dir.join("api-key"), "key\n").expect("write");
    let key_file = path(&dir, "api-key");
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (
            vec![("CHATOPS__TEMPORAL__TLS_CA_FILE", &missing)],
            format!("CHATOPS__TEMPORAL__TLS_CA_FILE (temporal.tls_ca_file): `{missing}` does not exist"),
        ),
        (
            vec![("CHATOPS__TEMPORAL__TLS_CA_FILE", &folder_itself)],
            format!("(temporal.tls_ca_file): `{folder_itself}` cannot be read ("),
        ),
        (
            vec![("CHATOPS__TEMPORAL__TLS_CA_FILE", &not_pem)],
            format!("CHATOPS__TEMPORAL__TLS_CA_FILE (temporal.tls_ca_file): `{not_pem}` holds no PEM certificate"),
        ),
        (
            vec![("CHATOPS__TEMPORAL__TLS_CA_FILE", &key)],
            format!("(temporal.tls_ca_file): `{key}` holds no PEM certificate"),
        ),
        (
            vec![
                ("CHATOPS__TEMPORAL__TLS_CERT_FILE", &ca),
                ("CHATOPS__TEMPORAL__TLS_KEY_FILE", &ca),
            ],
            format!("(temporal.tls_key_file): `{ca}` holds no PEM private key"),
        ),
        (
            vec![("CHATOPS__TEMPORAL__TLS_CERT_FILE", &ca)],
            "(temporal.tls_key_file): is missing; mTLS needs the private key".to_owned(),
        ),
        (
            vec![("CHATOPS__TEMPORAL__TLS_KEY_FILE", &key)],
            "(temporal.tls_cert_file): is missing; mTLS needs the client certificate".to_owned(),
        ),
        (
            vec![
                ("CHATOPS__TEMPORAL__API_KEY", "k"),
                ("CHATOPS__TEMPORAL__API_KEY_FILE", &key),
            ],
            "(temporal.api_key_file): set either temporal.api_key or temporal.api_key_file, not both".to_owned(),
        ),
        (
            vec![("CHATOPS__TEMPORAL__API_KEY_FILE", &empty)],
            format!("(temporal.api_key_file): `{empty}` is empty"),
        ),
        (
            vec![("CHATOPS__TEMPORAL__API_KEY", "two words")],
            "(temporal.api_key): must be printable ASCII".to_owned(),
        ),
        (
            vec![
                ("CHATOPS__TEMPORAL__TLS", "false"),
                ("CHATOPS__TEMPORAL__TLS_CA_FILE", &ca),
            ],
            "(temporal.tls): is false, but temporal.tls_ca_file is set".to_owned(),
        ),
        (
            vec![
                ("CHATOPS__TEMPORAL__TLS", "false"),
                ("CHATOPS__TEMPORAL__ADDRESS", "https://temporal.example:7233"),
            ],
            "(temporal.tls): is false, but temporal.address is set".to_owned(),
        ),
        (
            vec![
                ("CHATOPS__TEMPORAL__TLS", "false"),
                ("CHATOPS__TEMPORAL__API_KEY_FILE", &key_file),
            ],
            "(temporal.tls): is false, but temporal.api_key_file is set and needs TLS".to_owned(),
        ),
        (
            vec![("CHATOPS__TEMPORAL__TLS_SERVER_NAME", "not a name")],
            "(temporal.tls_server_name): `not a name` is not a DNS name".to_owned(),
        ),
    ];
    for (pairs, want) in cases {
        let got = load(&pairs).expect_err("refused").to_string();
        assert!(got.contains(&want), "{pairs:?}:\n got {got}\nwant {want}");
    }
}

#[test]
fn temporals_standard_variables_are_read_and_ours_win() {
    let dir = folder(
        "profile",
        &[("ca.pem", CERT), ("c.pem", CERT), ("k.pem", KEY)],
    );
    let s = load(&[
        ("TEMPORAL_ADDRESS", "acme.a1b2c.tmprl.cloud:7233"),
        ("TEMPORAL_NAMESPACE", "acme.a1b2c"),
        ("TEMPORAL_API_KEY", "tk-very-secret"),
        ("TEMPORAL_TLS_SERVER_CA_CERT_PATH", &path(&dir, "ca.pem")),
        ("TEMPORAL_TLS_SERVER_NAME", "frontend.internal"),
        ("TEMPORAL_TLS_CLIENT_CERT_PATH", &path(&dir, "c.pem")),
        ("TEMPORAL_TLS_CLIENT_KEY_PATH", &path(&dir, "k.pem")),
    ])
    .expect("loads");
    assert_eq!(
        s.temporal.address.as_str(),
        "https://acme.a1b2c.tmprl.cloud:7233/"
    );
    assert_eq!(s.temporal.namespace, "acme.a1b2c");
    assert!(s.temporal.api_key.is_some());
    let tls = s.temporal.tls.expect("TLS on");
    assert_eq!(tls.server_name.as_deref(), Some("frontend.internal"));
    assert!(tls.ca_pem.is_some() && tls.client.is_some());

    let ours = load(&[
        ("TEMPORAL_NAMESPACE", "theirs"),
        ("CHATOPS__TEMPORAL__NAMESPACE", "ours"),
    ])
    .expect("loads");
    assert_eq!(ours.temporal.namespace, "ours");
}

#[test]
fn temporal_variables_chatops_does_not_read_are_refused_with_what_to_set() {
    for (name, hint) in [
        (
            "TEMPORAL_TLS_CLIENT_CERT_DATA",
            "TEMPORAL_TLS_CLIENT_CERT_PATH",
        ),
        ("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "always verifies"),
        ("TEMPORAL_PROFILE", "instead"),
    ] {
        let err = load(&[(name, "x")]).expect_err(name).to_string();
        assert!(err.contains(name) && err.contains(hint), "{err}");
    }
}
