//! Payload encryption keys: `id=<base64 of 32 bytes>`, comma- or line-separated. The first key
//! encrypts; every key decrypts, so a rotation puts the new key first and keeps the old ones.

use std::fmt;

/// Longest key id accepted; it is written into every payload's metadata.
const MAX_ID_LEN: usize = 64;

/// One AES-256 key and its id.
#[derive(Clone)]
pub struct PayloadKey {
    /// Written into each payload's `encryption-key-id` metadata.
    pub id: String,
    pub(super) bytes: [u8; 32],
}

/// The keys, newest (the one that encrypts) first.
#[derive(Clone)]
pub struct PayloadKeys {
    keys: Vec<PayloadKey>,
}

impl fmt::Debug for PayloadKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("PayloadKeys")
            .field("ids", &ids)
            .finish_non_exhaustive()
    }
}

impl PayloadKeys {
    /// Reads `id=key` entries separated by commas or line breaks; blank lines and lines
    /// starting with `#` are skipped. The message never repeats a key.
    pub fn parse(text: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let mut keys: Vec<PayloadKey> = Vec::new();
        for (n, entry) in text
            .split(['\n', ','])
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.starts_with('#'))
            .enumerate()
        {
            let Some((id, key)) = entry.split_once('=') else {
                return Err(format!(
                    "entry {} is not `id=<base64 key>` (make a key with `openssl rand -base64 32`)",
                    n + 1
                ));
            };
            let id = id.trim();
            if id.is_empty()
                || id.len() > MAX_ID_LEN
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(format!(
                    "entry {}: the key id must be 1–{MAX_ID_LEN} letters, digits, `-`, `_` or `.`",
                    n + 1
                ));
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(format!("the key id `{id}` is given twice"));
            }
            let raw = base64::engine::general_purpose::STANDARD
                .decode(key.trim())
                .map_err(|_| format!("the key `{id}` is not base64"))?;
            let bytes: [u8; 32] = raw.try_into().map_err(|raw: Vec<u8>| {
                format!(
                    "the key `{id}` is {} bytes; AES-256 needs 32 (make one with `openssl rand -base64 32`)",
                    raw.len()
                )
            })?;
            keys.push(PayloadKey {
                id: id.to_owned(),
                bytes,
            });
        }
        if keys.is_empty() {
            return Err("holds no key".to_owned());
        }
        Ok(Self { keys })
    }

    /// The key new payloads are encrypted with.
    pub fn current(&self) -> &PayloadKey {
        &self.keys[0]
    }

    /// The key with this id, if held.
    pub fn get(&self, id: &str) -> Option<&PayloadKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Every id held, newest first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes

    #[test]
    fn the_first_key_encrypts_and_every_key_is_held() {
        let keys = PayloadKeys::parse(&format!("new={K1}, old={K1}")).expect("accepted");
        assert_eq!(keys.current().id, "new");
        assert!(keys.get("old").is_some());
        assert_eq!(keys.ids().collect::<Vec<_>>(), ["new", "old"]);
        let from_file = PayloadKeys::parse(&format!("# rotated 2026-12\nnew={K1}\n\nold={K1}\n"));
        assert_eq!(from_file.expect("accepted").ids().count(), 2);
    }

    #[test]
    fn mistakes_are_named_and_keys_never_repeated() {
        let cases = [
            ("", "holds no key"),
            ("nokey", "entry 1 is not `id=<base64 key>`"),
            (&format!("a={K1},a={K1}"), "`a` is given twice"),
            ("a=!!!", "the key `a` is not base64"),
            ("a=c2hvcnQ=", "the key `a` is 5 bytes; AES-256 needs 32"),
            (&format!("bad id={K1}"), "entry 1: the key id must be"),
        ];
        for (input, want) in cases {
            let err = PayloadKeys::parse(input).expect_err("refused");
            assert!(err.contains(want), "{input:?}: {err}");
            assert!(!err.contains(K1), "{err}");
        }
        let debug = format!(
            "{:?}",
            PayloadKeys::parse(&format!("a={K1}")).expect("accepted")
        );
        assert!(debug.contains("\"a\"") && !debug.contains(K1), "{debug}");
    }
}
