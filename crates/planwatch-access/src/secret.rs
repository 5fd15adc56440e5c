//! API tokens and session ids: random secrets handed out once and stored only as hashes.

use sha2::{Digest, Sha256};

/// What every API token starts with.
pub const TOKEN_PREFIX: &str = "pwt_";

/// Random bytes a token or session id is made of (256 bits).
pub const SECRET_ENTROPY_BYTES: usize = 32;

/// An API token, `pwt_` and 64 hexadecimal digits, from random bytes.
pub fn generate_token(entropy: &[u8; SECRET_ENTROPY_BYTES]) -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(entropy))
}

/// A session id (the cookie's value), 64 hexadecimal digits, from random bytes.
pub fn generate_session_id(entropy: &[u8; SECRET_ENTROPY_BYTES]) -> String {
    hex::encode(entropy)
}

/// Whether `text` has the form of an API token (says nothing about whether it is valid).
pub fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 2 * SECRET_ENTROPY_BYTES && rest.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The stored form of a token or session id: SHA-256, in hexadecimal. The secrets carry 256
/// random bits, so a fast hash is enough: nothing can be guessed from it, and a stolen copy of
/// the store holds no usable secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn tokens_have_their_form_and_distinct_hashes(
            a in prop::array::uniform32(any::<u8>()),
            b in prop::array::uniform32(any::<u8>()),
        ) {
            let token = generate_token(&a);
            prop_assert!(looks_like_token(&token));
            prop_assert!(!looks_like_token(&generate_session_id(&a)));
            prop_assert_eq!(hash_secret(&token).len(), 64);
            prop_assert_ne!(hash_secret(&token), token.clone());
            prop_assume!(a != b);
            prop_assert_ne!(hash_secret(&token), hash_secret(&generate_token(&b)));
        }
    }

    #[test]
    fn the_hash_is_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
