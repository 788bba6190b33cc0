use super::server::{WirePayload, WirePayloads, convert_body};
use super::*;

const K1: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const K2: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

fn codec(keys: &str) -> EncryptionCodec {
    EncryptionCodec::new(PayloadKeys::parse(keys).expect("accepted"))
}

fn json_payload(text: &str) -> Payload {
    crate::payload::json(&text)
        .expect("accepted")
        .payloads
        .remove(0)
}

#[test]
fn a_sealed_payload_hides_its_text_names_its_key_and_opens_to_the_original() {
    let c = codec(&format!("k1={K1}"));
    let original = json_payload("Add a dark mode toggle");
    let sealed = c.seal(&original).expect("accepted");
    assert!(is_encrypted(&sealed));
    assert_eq!(sealed.metadata[KEY_ID_METADATA], b"k1");
    let haystack = String::from_utf8_lossy(&sealed.data);
    assert!(!haystack.contains("dark mode"), "{haystack}");
    assert_eq!(c.open(sealed.clone()).expect("accepted"), original);
    // Two seals of one payload differ (fresh nonce).
    assert_ne!(c.seal(&original).expect("accepted").data, sealed.data);
}

#[test]
fn after_a_rotation_old_payloads_open_and_new_ones_use_the_new_key() {
    let before = codec(&format!("k1={K1}"));
    let after = codec(&format!("k2={K2},k1={K1}"));
    let old = before
        .seal(&json_payload("written under k1"))
        .expect("accepted");
    assert_eq!(
        after.open(old).expect("accepted"),
        json_payload("written under k1")
    );
    let new = after.seal(&json_payload("x")).expect("accepted");
    assert_eq!(new.metadata[KEY_ID_METADATA], b"k2");
    let err = before.open(new).expect_err("refused").to_string();
    assert!(
        err.contains("key `k2`, which this process does not hold"),
        "{err}"
    );
}

#[test]
fn plain_payloads_pass_and_damaged_ones_are_refused_with_the_reason() {
    let c = codec(&format!("k1={K1}"));
    let plain = json_payload("from the temporal CLI");
    assert_eq!(c.open(plain.clone()).expect("accepted"), plain);

    let mut altered = c.seal(&plain).expect("accepted");
    let last = altered.data.len() - 1;
    altered.data[last] ^= 1;
    assert!(
        c.open(altered)
            .expect_err("refused")
            .to_string()
            .contains("does not decrypt")
    );

    let wrong_key = codec(&format!("k1={K2}"));
    let sealed = c.seal(&plain).expect("accepted");
    assert!(
        wrong_key
            .open(sealed.clone())
            .expect_err("refused")
            .to_string()
            .contains("does not decrypt")
    );

    let mut nameless = sealed;
    nameless.metadata.remove(KEY_ID_METADATA);
    assert!(
        c.open(nameless)
            .expect_err("refused")
            .to_string()
            .contains("names no key")
    );
}

#[tokio::test]
async fn the_data_converter_round_trips_values_and_encodes_failure_messages() {
    let keys = PayloadKeys::parse(&format!("k1={K1}")).expect("accepted");
    let dc = data_converter(Some(&keys));
    let ctx = SerializationContextData::Workflow(WorkflowSerializationContext::new());
    let payload = dc
        .to_payload(&ctx, &"secret request".to_owned())
        .await
        .expect("accepted");
    assert!(is_encrypted(&payload));
    let back: String = dc.from_payload(&ctx, payload).await.expect("accepted");
    assert_eq!(back, "secret request");

    let mut failure = dc.to_failure(
        &ctx,
        temporalio_common::error::OutgoingError::Activity(
            temporalio_common::error::OutgoingActivityError::Application(Box::new(
                temporalio_common::error::ApplicationFailure::non_retryable(std::io::Error::other(
                    "the agent said: secret",
                )),
            )),
        ),
    );
    assert_eq!(failure.message, "Encoded failure");
    // What the codec sends to the server is sealed…
    let sealed = dc
        .codec()
        .encode(
            &ctx,
            vec![failure.encoded_attributes.clone().expect("accepted")],
        )
        .await
        .expect("accepted");
    failure.encoded_attributes = sealed.into_iter().next();
    assert!(
        !String::from_utf8_lossy(&failure.encoded_attributes.as_ref().expect("accepted").data)
            .contains("secret")
    );
    // …and reads back once opened.
    open_failure(&dc, &mut failure).await;
    assert_eq!(failure_message(&failure), "the agent said: secret");

    let plain = Failure {
        message: "plain".into(),
        ..Default::default()
    };
    assert_eq!(failure_message(&plain), "plain");
}

#[test]
fn the_codec_server_protocol_round_trips_and_names_bad_input() {
    let c = codec(&format!("k1={K1}"));
    let body = serde_json::to_vec(&WirePayloads {
        payloads: vec![WirePayload {
            metadata: HashMap::from([("encoding".into(), "anNvbi9wbGFpbg==".into())]),
            data: "ImhlbGxvIg==".into(), // "hello"
        }],
    })
    .expect("accepted");
    let encoded = convert_body(&c, &body, true).expect("accepted");
    assert_eq!(
        encoded.payloads[0].metadata["encoding"],
        "YmluYXJ5L2VuY3J5cHRlZA=="
    );
    let decoded = convert_body(&c, &serde_json::to_vec(&encoded).expect("accepted"), false)
        .expect("accepted");
    assert_eq!(decoded.payloads[0].data, "ImhlbGxvIg==");

    for (input, want) in [
        (&b"nope"[..], "the body is not {\"payloads\": [...]}"),
        (
            br#"{"payloads":[{"data":"***"}]}"#,
            "payloads[0].data is not base64",
        ),
        (
            br#"{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA=="},"data":""}]}"#,
            "payloads[0]: an encrypted payload names no key",
        ),
    ] {
        let err = convert_body(&c, input, false).expect_err("refused");
        assert!(err.contains(want), "{err}");
    }
}
