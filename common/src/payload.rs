//! Temporal payloads in the standard `json/plain` encoding, as every SDK and the `temporal` CLI
//! read and write them.

use std::collections::HashMap;
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::temporal::api::common::v1::Payload;

/// One `json/plain` payload holding `value`.
pub fn json<T: serde::Serialize>(value: &T) -> Result<RawValue, serde_json::Error> {
    let data = serde_json::to_vec(value)?;
    let metadata = HashMap::from([("encoding".to_owned(), b"json/plain".to_vec())]);
    Ok(RawValue::new(vec![Payload {
        metadata,
        data,
        ..Default::default()
    }]))
}

/// Decodes the first payload of `raw` as JSON (`null` when there is none).
pub fn from_json<T: serde::de::DeserializeOwned>(raw: &RawValue) -> Result<T, serde_json::Error> {
    let data = raw
        .payloads
        .first()
        .map(|p| p.data.as_slice())
        .unwrap_or(b"null");
    serde_json::from_slice(data)
}
