//! Personal fields encrypted at rest, one value at a time (PIPL; MLPS level 3): citizen ID
//! numbers, phones, special-group membership. Each value is sealed with XChaCha20-Poly1305
//! under the newest key of a key file kept outside the database, a fresh random 24-byte nonce
//! each time, and the field's name as associated data (a ciphertext moved to another column
//! does not open). Exact search goes through a keyed hash (HMAC-SHA256 under a separate search
//! key) of the normalised value, so the database never holds the value itself.
//!
//! The key file (`registry.key`, mode 0600, created on first start) has one line per key:
//! `search <64 hex>` once, and `key <id> <64 hex>` for each encryption key, oldest first.
//! **Rotation**: append a new `key` line (a new id) and restart every instance — new values are
//! sealed under it, older ones still open under theirs (the id is in each sealed value); a
//! re-encryption pass may then rewrite old values before the old line is removed. The search
//! key is not rotated this way (every stored hash would change).
//!
//! A sealed value reads `v1.<key id>.<hex nonce>.<hex ciphertext>`.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a key file or a sealed value could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldCryptError {
    /// The key file is missing parts or malformed.
    #[error("registry key file: {0}")]
    KeyFile(String),
    /// A sealed value names a key the file does not hold.
    #[error("no registry key {0:?} (was the key file replaced instead of extended?)")]
    UnknownKey(String),
    /// A sealed value is not in the `v1.` format.
    #[error("not a sealed value")]
    Malformed,
    /// The value does not open: tampered with, moved from another field, or the wrong key.
    #[error("a sealed value does not open under its key")]
    Tampered,
    /// The OS gave no randomness.
    #[error("no randomness: {0}")]
    Random(String),
}

/// The registry's keys.
#[derive(Clone)]
pub struct FieldKeys {
    /// Encryption keys by id, oldest first; the last seals.
    keys: Vec<(String, [u8; 32])>,
    /// The search key, ready to hash with.
    search: Hmac<Sha256>,
}

impl std::fmt::Debug for FieldKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("FieldKeys").field("keys", &ids).finish_non_exhaustive()
    }
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn random<const N: usize>() -> Result<[u8; N], FieldCryptError> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|e| FieldCryptError::Random(e.to_string()))?;
    Ok(out)
}

impl FieldKeys {
    /// Reads the key file's text.
    pub fn from_text(text: &str) -> Result<Self, FieldCryptError> {
        let bad = |line: usize, why: &str| FieldCryptError::KeyFile(format!("line {line}: {why}"));
        let mut keys = Vec::new();
        let mut search = None;
        for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["search", k] if search.is_none() => search = Some(hex32(k).ok_or_else(|| bad(n, "a key is 64 hex digits"))?),
                ["search", _] => return Err(bad(n, "a second search key")),
                ["key", id, k] => {
                    let valid = !id.is_empty() && id.len() <= 16 && id.chars().all(|c| c.is_ascii_alphanumeric());
                    if !valid || keys.iter().any(|(i, _): &(String, [u8; 32])| i == id) {
                        return Err(bad(n, "a key id is 1 to 16 letters or digits, each id once"));
                    }
                    keys.push(((*id).to_owned(), hex32(k).ok_or_else(|| bad(n, "a key is 64 hex digits"))?));
                }
                _ => return Err(bad(n, "expected `search <hex>` or `key <id> <hex>`")),
            }
        }
        let search: [u8; 32] = search.ok_or_else(|| FieldCryptError::KeyFile("no search key".into()))?;
        let search = <Hmac<Sha256> as Mac>::new_from_slice(&search)
            .map_err(|_| FieldCryptError::KeyFile("the search key is not usable".into()))?;
        if keys.is_empty() {
            return Err(FieldCryptError::KeyFile("no encryption key".into()));
        }
        Ok(Self { keys, search })
    }

    /// A new key file's text: a search key and one encryption key (`k1`).
    pub fn new_file_text() -> Result<String, FieldCryptError> {
        Ok(format!(
            "# wangge registry keys: keep outside the database; see access/fieldcrypt.rs for rotation\nsearch {}\nkey k1 {}\n",
            hex(&random::<32>()?),
            hex(&random::<32>()?)
        ))
    }

    /// The keys in `path`, the file created (mode 0600) if it is missing.
    pub fn load_or_create(path: &Path) -> Result<Self, FieldCryptError> {
        let err = |e: std::io::Error| FieldCryptError::KeyFile(format!("{}: {e}", path.display()));
        if !path.exists() {
            super::audit::write_private(path, Self::new_file_text()?.as_bytes()).map_err(err)?;
            tracing::info!(path = %path.display(), "created a new registry key file");
        }
        Self::from_text(&std::fs::read_to_string(path).map_err(err)?)
    }

    /// The id of the key new values are sealed under.
    pub fn current(&self) -> &str {
        self.keys.last().map_or("", |(id, _)| id.as_str())
    }

    /// Seals `value` of `field` under the newest key.
    pub fn seal(&self, field: &str, value: &str) -> Result<String, FieldCryptError> {
        let (id, key) = self.keys.last().ok_or(FieldCryptError::UnknownKey(String::new()))?;
        let nonce = random::<24>()?;
        let cipher = XChaCha20Poly1305::new(key.into());
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: value.as_bytes(), aad: field.as_bytes() })
            .map_err(|_| FieldCryptError::Tampered)?;
        Ok(format!("v1.{id}.{}.{}", hex(&nonce), hex(&sealed)))
    }

    /// Opens a value of `field` sealed by [`FieldKeys::seal`] under any key of the file.
    pub fn open(&self, field: &str, sealed: &str) -> Result<String, FieldCryptError> {
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(id), Some(nonce), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(FieldCryptError::Malformed);
        };
        let (_, key) = self.keys.iter().find(|(k, _)| k == id).ok_or_else(|| FieldCryptError::UnknownKey(id.to_owned()))?;
        let nonce = unhex(nonce).filter(|n| n.len() == 24).ok_or(FieldCryptError::Malformed)?;
        let body = unhex(body).ok_or(FieldCryptError::Malformed)?;
        let cipher = XChaCha20Poly1305::new(key.into());
        let plain = cipher
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &body, aad: field.as_bytes() })
            .map_err(|_| FieldCryptError::Tampered)?;
        String::from_utf8(plain).map_err(|_| FieldCryptError::Tampered)
    }

    /// The keyed hash by which `value` of `field` is found exactly (hex HMAC-SHA256 of the
    /// field's name, a zero byte and the value); normalise the value first.
    pub fn search_hash(&self, field: &str, value: &str) -> String {
        let mut mac = self.search.clone();
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn keys() -> FieldKeys {
        FieldKeys::from_text(&FieldKeys::new_file_text().unwrap()).unwrap()
    }

    #[test]
    fn a_value_opens_only_in_its_field_and_untouched() {
        let k = keys();
        let id = "13073019850612003X";
        let sealed = k.seal("id_number", id).unwrap();
        assert!(sealed.starts_with("v1.k1.") && !sealed.contains(id) && !sealed.contains("19850612"), "{sealed}");
        assert_ne!(sealed, k.seal("id_number", id).unwrap(), "a fresh nonce each time");
        assert_eq!(k.open("id_number", &sealed).unwrap(), id);
        assert_eq!(k.open("phone", &sealed), Err(FieldCryptError::Tampered), "moved to another field");
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(k.open("id_number", &String::from_utf8(flipped).unwrap()), Err(FieldCryptError::Tampered));
        assert_eq!(k.open("id_number", "13073019850612003X"), Err(FieldCryptError::Malformed));
        assert_eq!(keys().open("id_number", &sealed), Err(FieldCryptError::Tampered), "another file's key");
    }

    #[test]
    fn rotation_seals_under_the_new_key_and_still_opens_the_old() {
        let text = FieldKeys::new_file_text().unwrap();
        let old = FieldKeys::from_text(&text).unwrap();
        let sealed_before = old.seal("phone", "13812345678").unwrap();
        let rotated = FieldKeys::from_text(&format!("{text}key k2 {}\n", "ab".repeat(32))).unwrap();
        assert_eq!(rotated.current(), "k2");
        let sealed_after = rotated.seal("phone", "13812345678").unwrap();
        assert!(sealed_after.starts_with("v1.k2."));
        assert_eq!(rotated.open("phone", &sealed_before).unwrap(), "13812345678");
        assert_eq!(rotated.open("phone", &sealed_after).unwrap(), "13812345678");
        assert_eq!(old.open("phone", &sealed_after), Err(FieldCryptError::UnknownKey("k2".into())));
        // The search hash does not change with rotation (same search key).
        assert_eq!(old.search_hash("phone", "13812345678"), rotated.search_hash("phone", "13812345678"));
    }

    #[test]
    fn search_hashes_are_keyed_and_per_field() {
        let k = keys();
        let h = k.search_hash("id_number", "13073019850612003X");
        assert_eq!(h.len(), 64);
        assert_eq!(h, k.search_hash("id_number", "13073019850612003X"));
        assert_ne!(h, k.search_hash("phone", "13073019850612003X"));
        assert_ne!(h, keys().search_hash("id_number", "13073019850612003X"), "another key, another hash");
    }

    #[test]
    fn bad_key_files_are_refused_with_the_line() {
        for (text, says) in [
            ("", "no search key"),
            (&format!("search {}\n", "00".repeat(32)) as &str, "no encryption key"),
            ("search 12\n", "line 1"),
            (&format!("search {0}\nkey k1 {0}\nkey k1 {0}\n", "00".repeat(32)), "line 3"),
            ("nonsense\n", "line 1"),
        ] {
            let e = FieldKeys::from_text(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
