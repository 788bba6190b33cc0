//! Encrypted payloads: an AES-256-GCM [`PayloadCodec`] both processes and the CLI put in their
//! data converter, and the codec server's wire protocol (`server.rs`) through which the Temporal
//! UI and CLI read them.
//!
//! An encrypted payload has `encoding: binary/encrypted` and `encryption-key-id: <id>` in its
//! metadata and, as data, a random 12-byte nonce followed by the sealed protobuf of the original
//! payload (the layout of Temporal's encryption samples). Payloads without that encoding pass
//! through `decode` unchanged, so histories written before encryption was turned on still run.
//! With keys set, failure messages and stack traces are moved into an encoded payload too, so
//! history shows `Encoded failure` where an error text would be.

mod keys;
pub mod server;

pub use keys::{PayloadKey, PayloadKeys};

use prost::Message as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use temporalio_common::data_converters::{
    DataConverter, DefaultFailureConverter, PayloadCodec, PayloadConversionError, PayloadConverter,
    SerializationContextData, WorkflowSerializationContext,
};
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::failure::v1::Failure;

/// The `encoding` of an encrypted payload.
pub const ENCRYPTED_ENCODING: &str = "binary/encrypted";
/// The metadata key naming the key a payload was encrypted with.
pub const KEY_ID_METADATA: &str = "encryption-key-id";
/// The message Temporal leaves in place of a failure message it encoded.
const ENCODED_FAILURE: &str = "Encoded failure";

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Encrypts every payload with the current key and decrypts with whichever key a payload names.
#[derive(Debug, Clone)]
pub struct EncryptionCodec {
    keys: Arc<PayloadKeys>,
    rng: SystemRandom,
}

/// Why a payload could not be encrypted or decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error(
        "a payload is encrypted with key `{0}`, which this process does not hold (add it to CHATOPS__CODEC__KEYS after the current key)"
    )]
    UnknownKey(String),
    #[error("an encrypted payload names no key (no `encryption-key-id` metadata)")]
    NoKeyId,
    #[error(
        "a payload encrypted with key `{0}` does not decrypt: the key is not the one it was sealed with, or the payload was altered"
    )]
    Unsealed(String),
    #[error("a decrypted payload is not a Temporal payload ({0})")]
    NotAPayload(String),
    #[error("no random nonce could be drawn")]
    Random,
}

impl EncryptionCodec {
    pub fn new(keys: PayloadKeys) -> Self {
        Self {
            keys: Arc::new(keys),
            rng: SystemRandom::new(),
        }
    }

    /// Encrypts one payload with the current key.
    pub fn seal(&self, payload: &Payload) -> Result<Payload, CodecError> {
        let key = self.keys.current();
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CodecError::Random)?;
        let mut data = payload.encode_to_vec();
        aead_key(key)
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| CodecError::Unsealed(key.id.clone()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + data.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&data);
        Ok(Payload {
            metadata: HashMap::from([
                (
                    "encoding".to_owned(),
                    ENCRYPTED_ENCODING.as_bytes().to_vec(),
                ),
                (KEY_ID_METADATA.to_owned(), key.id.as_bytes().to_vec()),
            ]),
            data: sealed,
            ..Default::default()
        })
    }

    /// Decrypts one payload; one that is not encrypted comes back as it is.
    pub fn open(&self, payload: Payload) -> Result<Payload, CodecError> {
        if !is_encrypted(&payload) {
            return Ok(payload);
        }
        let id = payload
            .metadata
            .get(KEY_ID_METADATA)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .ok_or(CodecError::NoKeyId)?;
        let key = self
            .keys
            .get(&id)
            .ok_or_else(|| CodecError::UnknownKey(id.clone()))?;
        if payload.data.len() < NONCE_LEN {
            return Err(CodecError::Unsealed(id));
        }
        let (nonce, sealed) = payload.data.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| CodecError::Unsealed(id.clone()))?;
        let mut data = sealed.to_vec();
        let plain = aead_key(key)
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| CodecError::Unsealed(id.clone()))?;
        Payload::decode(&plain[..]).map_err(|e| CodecError::NotAPayload(e.to_string()))
    }

    /// The ids of the keys held, the current one first.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.ids().map(str::to_owned).collect()
    }
}

fn aead_key(key: &PayloadKey) -> LessSafeKey {
    #[allow(clippy::expect_used)] // 32 bytes is always an AES-256 key
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key.bytes).expect("a 32-byte AES-256 key"))
}

/// Whether `payload` is one this codec encrypted.
pub fn is_encrypted(payload: &Payload) -> bool {
    payload.metadata.get("encoding").map(Vec::as_slice) == Some(ENCRYPTED_ENCODING.as_bytes())
}

fn conversion(e: CodecError) -> PayloadConversionError {
    PayloadConversionError::EncodingError(Box::new(e))
}

impl PayloadCodec for EncryptionCodec {
    fn encode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> Boxed<Result<Vec<Payload>, PayloadConversionError>> {
        let result = payloads
            .iter()
            .map(|p| self.seal(p).map_err(conversion))
            .collect();
        Box::pin(async move { result })
    }

    fn decode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> Boxed<Result<Vec<Payload>, PayloadConversionError>> {
        let result = payloads
            .into_iter()
            .map(|p| self.open(p).map_err(conversion))
            .collect();
        Box::pin(async move { result })
    }
}

/// The data converter for these keys: JSON payloads, encrypted (failure messages included)
/// when there are keys, plain otherwise.
pub fn data_converter(keys: Option<&PayloadKeys>) -> DataConverter {
    match keys {
        Some(keys) => DataConverter::new(
            PayloadConverter::default(),
            DefaultFailureConverter::new(true),
            EncryptionCodec::new(keys.clone()),
        ),
        None => DataConverter::default(),
    }
}

/// The message of a failure as its sender wrote it: read from its encoded attributes when the
/// sender encoded them (the payload must already be decrypted, as the SDK does for workflows,
/// or through [`EncryptionCodec::open`]).
pub fn failure_message(failure: &Failure) -> String {
    if failure.message == ENCODED_FAILURE
        && let Some(attributes) = &failure.encoded_attributes
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&attributes.data)
        && let Some(message) = value.get("message").and_then(|m| m.as_str())
    {
        return message.to_owned();
    }
    failure.message.clone()
}

/// Decrypts a failure's encoded attributes (and its causes') in place through `converter`'s
/// codec, so [`failure_message`] can read them; what cannot be decrypted is left as it is.
pub async fn open_failure(converter: &DataConverter, failure: &mut Failure) {
    let context = SerializationContextData::Workflow(WorkflowSerializationContext::new());
    let mut next = Some(failure);
    while let Some(f) = next {
        if let Some(attributes) = f.encoded_attributes.take() {
            let opened = converter
                .codec()
                .decode(&context, vec![attributes.clone()])
                .await
                .ok()
                .and_then(|mut p| p.pop());
            f.encoded_attributes = Some(opened.unwrap_or(attributes));
        }
        next = f.cause.as_deref_mut();
    }
}

#[cfg(test)]
mod tests;
