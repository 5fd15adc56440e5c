//! Passwords: the policy, Argon2id hashing, and generated passwords.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Random bytes [`generate_password`] takes.
pub const PASSWORD_ENTROPY_BYTES: usize = 24;

/// The 10 000 most common passwords of SecLists
/// (`Passwords/Common-Credentials/10k-most-common.txt`), one a line.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error(
        "密码至少需要 {min} 个字符（现为 {got} 个）/ a password needs at least {min} characters (this one has {got})"
    )]
    TooShort { min: usize, got: usize },
    #[error(
        "这是常见密码（或常见密码加数字、符号），容易被猜到 / this is a common password (or one with digits or signs added), easily guessed"
    )]
    Common,
    #[error("密码不能与用户名相同 / the password cannot be the user name")]
    SameAsUser,
}

/// Whether `candidate` is in the list of common passwords (case-insensitive).
pub fn is_common_password(candidate: &str) -> bool {
    let candidate = candidate.to_lowercase();
    COMMON_PASSWORDS.lines().any(|common| common == candidate)
}

/// Checks a new password for `user`: at least [`MIN_PASSWORD_CHARS`] characters, not the user
/// name, not a common password — also not one with digits or signs before or after it
/// (`password1234!`).
pub fn check_password(password: &str, user: &str) -> Result<(), PasswordProblem> {
    let got = password.chars().count();
    if got < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort {
            min: MIN_PASSWORD_CHARS,
            got,
        });
    }
    if password.to_lowercase() == user.to_lowercase() {
        return Err(PasswordProblem::SameAsUser);
    }
    let core = password.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    if is_common_password(password) || (core.chars().count() >= 4 && is_common_password(core)) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

/// Argon2id with OWASP's parameters (19 MiB of memory, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP's Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password` with `salt`
/// (16 random bytes from the caller).
pub fn hash_password(password: &str, salt: &[u8; 16]) -> String {
    argon2()
        .hash_password_with_salt(password.as_bytes(), salt)
        .expect("a 16-byte salt and a 32-byte output are within Argon2's limits")
        .to_string()
}

/// Whether `password` matches the PHC string `hash` (false for a hash that cannot be read).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// 32 letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i, u/v).
const ALPHABET: &[u8; 32] = b"23456789abcdefghjkmnpqrstwxyzACE";

/// A strong password from [`PASSWORD_ENTROPY_BYTES`] random bytes: 24 characters of a 32-sign
/// alphabet (120 bits) in groups of four, `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx`.
pub fn generate_password(entropy: &[u8; PASSWORD_ENTROPY_BYTES]) -> String {
    let mut password = String::with_capacity(29);
    for (i, byte) in entropy.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            password.push('-');
        }
        password.push(char::from(ALPHABET[usize::from(byte & 31)]));
    }
    password
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_shipped_list_is_the_10k_list() {
        assert_eq!(COMMON_PASSWORDS.lines().count(), 10_000);
        assert!(is_common_password("password"));
        assert!(is_common_password("PASSWORD"));
        assert!(!is_common_password("correct horse battery staple"));
    }

    #[test]
    fn short_common_and_own_name_passwords_are_refused() {
        assert_eq!(
            check_password("short", "alice"),
            Err(PasswordProblem::TooShort { min: 12, got: 5 })
        );
        // 12 characters, but 十二 Chinese characters count as 12 too.
        assert_eq!(check_password("成都市服务业发展规划监测", "alice"), Ok(()));
        assert_eq!(
            check_password("unbelievable", "alice"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_password("Password1234!", "alice"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_password("zhangwei.2024", "ZhangWei.2024"),
            Err(PasswordProblem::SameAsUser)
        );
        assert_eq!(check_password("tea-kettle-river-9", "alice"), Ok(()));
        let message = PasswordProblem::Common.to_string();
        assert!(message.contains("常见密码") && message.contains("common password"));
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password("tea-kettle-river-9", &[7; 16]);
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("tea-kettle-river-9", &hash));
        assert!(!verify_password("tea-kettle-river-8", &hash));
        assert!(!verify_password("tea-kettle-river-9", "not a hash"));
        assert_ne!(
            hash,
            hash_password("tea-kettle-river-9", &[8; 16]),
            "salted"
        );
    }

    proptest! {
        #[test]
        fn generated_passwords_pass_the_policy(entropy in prop::array::uniform24(any::<u8>())) {
            let password = generate_password(&entropy);
            prop_assert_eq!(password.len(), 29);
            prop_assert_eq!(check_password(&password, "alice"), Ok(()));
            prop_assert!(password.split('-').all(|group| group.len() == 4));
        }

        #[test]
        fn different_entropy_gives_different_passwords(
            a in prop::array::uniform24(any::<u8>()),
            b in prop::array::uniform24(any::<u8>()),
        ) {
            let masked = |e: &[u8; 24]| e.map(|byte| byte & 31);
            prop_assume!(masked(&a) != masked(&b));
            prop_assert_ne!(generate_password(&a), generate_password(&b));
        }
    }
}
