//! The codec server: Temporal's remote codec protocol, so the Temporal UI and
//! `temporal … --codec-endpoint <base> --codec-auth 'Bearer <token>'` can read encrypted
//! payloads.
//!
//! `POST <base>/encode` and `POST <base>/decode` take and answer `{"payloads": [...]}` in
//! protobuf JSON (`metadata` values and `data` in base64). Every call needs
//! `Authorization: Bearer <codec.server_token>`; browsers may call from the configured origins
//! (CORS, preflight included). Refusals are JSON `{"error": …}`.

use super::EncryptionCodec;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Largest request body: a history page of payloads.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Where the endpoints live under a listener.
pub const BASE_PATH: &str = "/codec";

/// What the endpoints need.
pub struct CodecServer {
    pub codec: EncryptionCodec,
    pub token: SecretString,
    /// Browser origins allowed to call (e.g. the Temporal UI's).
    pub origins: Vec<String>,
}

/// `{"payloads": [...]}` in protobuf JSON.
#[derive(Debug, Serialize, Deserialize)]
pub struct WirePayloads {
    #[serde(default)]
    pub payloads: Vec<WirePayload>,
}

/// One payload in protobuf JSON: bytes as standard base64.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WirePayload {
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    #[serde(default)]
    pub data: String,
}

impl WirePayload {
    fn into_payload(self, n: usize) -> Result<Payload, String> {
        let mut metadata = HashMap::new();
        for (k, v) in self.metadata {
            let bytes = STANDARD
                .decode(&v)
                .map_err(|_| format!("payloads[{n}].metadata.{k} is not base64"))?;
            metadata.insert(k, bytes);
        }
        let data = STANDARD
            .decode(&self.data)
            .map_err(|_| format!("payloads[{n}].data is not base64"))?;
        Ok(Payload {
            metadata,
            data,
            ..Default::default()
        })
    }

    fn from_payload(p: Payload) -> Self {
        Self {
            metadata: p
                .metadata
                .into_iter()
                .map(|(k, v)| (k, STANDARD.encode(v)))
                .collect(),
            data: STANDARD.encode(p.data),
        }
    }
}

/// Answers a request body: the payloads encoded or decoded, or why not.
pub fn convert_body(
    codec: &EncryptionCodec,
    body: &[u8],
    encode: bool,
) -> Result<WirePayloads, String> {
    let request: WirePayloads = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not {{\"payloads\": [...]}} ({e})"))?;
    let mut out = Vec::with_capacity(request.payloads.len());
    for (n, wire) in request.payloads.into_iter().enumerate() {
        let payload = wire.into_payload(n)?;
        let converted = if encode {
            codec.seal(&payload)
        } else {
            codec.open(payload)
        }
        .map_err(|e| format!("payloads[{n}]: {e}"))?;
        out.push(WirePayload::from_payload(converted));
    }
    Ok(WirePayloads { payloads: out })
}

/// `POST /codec/encode` and `POST /codec/decode`, with CORS for `server.origins`.
pub fn router(server: Arc<CodecServer>) -> Router {
    let origins: Vec<HeaderValue> = server
        .origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::HeaderName::from_static("x-namespace"),
        ])
        .allow_credentials(true);
    Router::new()
        .route(
            &format!("{BASE_PATH}/encode"),
            post(|s, h, b| handle(s, h, b, true)),
        )
        .route(
            &format!("{BASE_PATH}/decode"),
            post(|s, h, b| handle(s, h, b, false)),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(cors)
        .with_state(server)
}

async fn handle(
    State(server): State<Arc<CodecServer>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
    encode: bool,
) -> Response {
    if !crate::http::bearer_matches(&headers, &server.token) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (send `Authorization: Bearer <CHATOPS__CODEC__SERVER_TOKEN>`)",
        );
    }
    match convert_body(&server.codec, &body, encode) {
        Ok(payloads) => Json(payloads).into_response(),
        Err(message) => refuse(StatusCode::BAD_REQUEST, &message),
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
