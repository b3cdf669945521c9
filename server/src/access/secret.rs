//! Secrets: random tokens, their stored hashes, and argon2id password hashes (computed off
//! the async threads).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, Salt, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use super::service::AuthError;

/// A new secret of 32 random bytes as 64 hex digits.
pub fn random_token() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(hex(&bytes))
}

/// The SHA-256 of a token as stored (a stolen table holds no usable token).
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two strings are equal, in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// At most this many argon2 computations run at once (each holds ~19 MiB while it runs), so
/// that a flood of logins can exhaust neither memory nor the blocking threads.
pub const ARGON2_AT_ONCE: usize = 4;

/// How long a login waits for a free argon2 slot before it is answered "busy" (503).
const ARGON2_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

static ARGON2: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(ARGON2_AT_ONCE);

/// Runs one argon2 computation inside the global bound.
async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
    let permit = tokio::time::timeout(ARGON2_WAIT, ARGON2.acquire())
        .await
        .map_err(|_| AuthError::Busy)?
        .map_err(|_| AuthError::Busy)?;
    let out = tokio::task::spawn_blocking(work).await.map_err(|e| AuthError::Hash(e.to_string()));
    drop(permit);
    out
}

/// How many argon2 computations are running now (for tests and metrics).
pub fn argon2_running() -> usize {
    ARGON2_AT_ONCE - ARGON2.available_permits()
}

/// A fresh salt of the recommended 16 bytes from the OS (an error, not a panic, if it has none).
fn random_salt() -> Result<SaltString, AuthError> {
    let mut bytes = [0u8; Salt::RECOMMENDED_LENGTH];
    getrandom::getrandom(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    SaltString::encode_b64(&bytes).map_err(|e| AuthError::Hash(e.to_string()))
}

/// The argon2id PHC string of `password` (default parameters: 19 MiB, 2 passes).
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    bounded(move || {
        let salt = random_salt()?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    })
    .await?
}

/// Whether `password` matches the PHC string `hash`. An account whose stored hash is not a
/// PHC string (say `!`, an account for API keys only) matches no password.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AuthError> {
    bounded(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()),
        Err(_) => Ok(false),
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[tokio::test]
    async fn argon2id_hashes_verify() {
        let hash = hash_password("Correct-Horse-9".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("Correct-Horse-9".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("correct-horse-9".into(), hash).await.unwrap());
        assert!(!verify_password("x".into(), "!".into()).await.unwrap());
    }
}
