//! HS256 tokens. A token carries a fingerprint of the password hash, so changing the password ends every
//! older session.
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    /// Password-hash fingerprint.
    pub pwv: String,
}

pub fn password_fingerprint(password_hash: &str) -> String {
    let digest = Sha256::digest(password_hash.as_bytes());
    hex::encode(&digest[..8])
}

pub fn issue(secret: &str, user_id: i32, email: &str, password_hash: &str, now: i64, ttl_secs: i64) -> String {
    let claims = Claims {
        sub: user_id.to_string(),
        email: email.to_string(),
        iat: now,
        exp: now + ttl_secs,
        pwv: password_fingerprint(password_hash),
    };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("HS256 encoding cannot fail")
}

pub fn verify(secret: &str, token: &str) -> Option<Claims> {
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.validate_exp = true;
    v.set_required_spec_claims(&["exp", "sub"]);
    decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &v).ok().map(|d| d.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn round_trip_and_rejections() {
        let t = issue("s3cret", 7, "a@b.c", "$argon2id$x", now(), 3600);
        let c = verify("s3cret", &t).unwrap();
        assert_eq!(c.sub, "7");
        assert_eq!(c.pwv, password_fingerprint("$argon2id$x"));
        assert!(verify("other", &t).is_none(), "wrong secret");
        let expired = issue("s3cret", 7, "a@b.c", "h", now() - 7200, 3600);
        assert!(verify("s3cret", &expired).is_none(), "expired");
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert!(verify("s3cret", &parts.join(".")).is_none(), "tampered");
        assert!(verify("s3cret", "garbage").is_none());
    }

    #[test]
    fn alg_none_is_refused() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let b64 = |data: &[u8]| URL_SAFE_NO_PAD.encode(data);
        let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
        let exp = now() + 3600;
        let payload = b64(format!(r#"{{"sub":"1","email":"a","iat":0,"exp":{exp},"pwv":"x"}}"#).as_bytes());
        assert!(verify("s3cret", &format!("{header}.{payload}.")).is_none());
    }
}
