//! argon2id password hashing (PHC string format, random salt, the crate's recommended parameters).
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub const MIN_PASSWORD_LEN: usize = 8;

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so that timing does not reveal valid emails.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("dummy-password-for-timing").expect("argon2 works"))
}

pub fn validate_new(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("Kata sandi minimal {MIN_PASSWORD_LEN} karakter"));
    }
    if password.len() > 1024 {
        return Err("Kata sandi terlalu panjang".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("rahasia123").unwrap();
        let b = hash("rahasia123").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salt must differ");
        assert!(verify("rahasia123", &a));
        assert!(!verify("rahasia124", &a));
        assert!(!verify("rahasia123", "not a hash"));
    }

    #[test]
    fn new_password_rules() {
        assert!(validate_new("1234567").is_err());
        assert!(validate_new("12345678").is_ok());
    }
}
