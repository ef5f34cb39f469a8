//! Kiosk liveness challenges: a random sequence of steps, a random nonce and an expiry, signed by the
//! server (HS256 JWT with its own key and audience), so any instance sharing `JWT_SECRET` can check it
//! without shared state. Single use is enforced by the caller (`services::kiosk::UsedNonces`).
//!
//! The signing key is `HMAC-SHA256(JWT_SECRET, "absensi-wajah/kiosk-challenge/v1")`: an owner session
//! token is not a valid challenge and a challenge is not a valid session token (different keys, and the
//! challenge carries the audience `kiosk-challenge`).
use face_engine::liveness::Step;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const AUDIENCE: &str = "kiosk-challenge";
const KEY_LABEL: &[u8] = b"absensi-wajah/kiosk-challenge/v1";
/// Every challenge has this many steps (two keep the prompt short: ~3.5 s of capture).
pub const STEPS_PER_CHALLENGE: usize = 2;
pub const ALL_STEPS: [Step; 3] = [Step::Blink, Step::TurnLeft, Step::TurnRight];

/// HMAC-SHA256 (RFC 2104), from the `hmac` crate.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The derived signing key of challenges.
#[derive(Clone)]
pub struct ChallengeKey([u8; 32]);

impl ChallengeKey {
    pub fn derive(jwt_secret: &str) -> ChallengeKey {
        ChallengeKey(hmac_sha256(jwt_secret.as_bytes(), KEY_LABEL))
    }
}

impl std::fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChallengeKey(..)")
    }
}

/// What a challenge token carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Challenge {
    pub aud: String,
    /// Random nonce (128 bits, hex): the single-use key.
    pub jti: String,
    pub steps: Vec<Step>,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeError {
    /// Not a token of ours: malformed, forged, tampered, signed with another key or for another audience.
    Invalid,
    Expired,
}

/// A random sequence of `n` steps with no step twice in a row that always contains a BLINK: a head turn
/// alone does not prove a live face. A flat print turned 45-65° about its vertical axis reads as a turn
/// (|yaw| 0.30-0.66), and FaceMesh's 2-D geometry of such a print overlaps that of real turns (measured
/// in `backend/tests/api/liveness_eval.rs`), while a print cannot blink. With two steps: BLINK and one
/// turn, in either order and either direction.
pub fn random_steps(rng: &mut impl Rng, n: usize) -> Vec<Step> {
    if n == 0 {
        return Vec::new();
    }
    loop {
        let mut steps: Vec<Step> = Vec::with_capacity(n);
        while steps.len() < n {
            let s = ALL_STEPS[rng.gen_range(0..ALL_STEPS.len())];
            if steps.last() != Some(&s) {
                steps.push(s);
            }
        }
        if steps.contains(&Step::Blink) {
            return steps;
        }
    }
}

/// Parses `LIVENESS_FIXED_CHALLENGE` (e.g. `BLINK,TURN_LEFT`): at least one step, none twice in a row.
pub fn parse_steps(s: &str) -> Result<Vec<Step>, String> {
    let steps = s
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<Step>())
        .collect::<Result<Vec<Step>, String>>()?;
    if steps.is_empty() {
        return Err("at least one step is needed (BLINK, TURN_LEFT, TURN_RIGHT)".into());
    }
    if steps.windows(2).any(|w| w[0] == w[1]) {
        return Err("the same step twice in a row cannot be verified".into());
    }
    Ok(steps)
}

/// A fresh random nonce (128 bits, hex).
pub fn new_nonce(rng: &mut impl Rng) -> String {
    let bytes: [u8; 16] = rng.gen();
    hex::encode(bytes)
}

/// Signs a challenge valid from `now` for `ttl_secs` seconds (unix seconds).
pub fn issue(key: &ChallengeKey, steps: Vec<Step>, nonce: String, now: i64, ttl_secs: i64) -> (String, Challenge) {
    let c = Challenge { aud: AUDIENCE.to_string(), jti: nonce, steps, iat: now, exp: now + ttl_secs };
    let token = encode(&Header::new(Algorithm::HS256), &c, &EncodingKey::from_secret(&key.0))
        .expect("HS256 encoding cannot fail");
    (token, c)
}

/// Checks the signature, the audience and the expiry at `now` (a token is valid while `now < exp`).
pub fn verify(key: &ChallengeKey, token: &str, now: i64) -> Result<Challenge, ChallengeError> {
    if token.is_empty() || token.len() > 2048 {
        return Err(ChallengeError::Invalid);
    }
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.validate_exp = false; // checked below against the caller's clock
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "aud", "jti"]);
    let c = decode::<Challenge>(token, &DecodingKey::from_secret(&key.0), &v)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => ChallengeError::Expired,
            _ => ChallengeError::Invalid,
        })?
        .claims;
    if c.steps.is_empty() || c.jti.len() < 16 {
        return Err(ChallengeError::Invalid);
    }
    if now >= c.exp {
        return Err(ChallengeError::Expired);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // Case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(hex::encode(mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    #[test]
    fn random_steps_never_repeat_always_blink_and_cover_all() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let s = random_steps(&mut rng, STEPS_PER_CHALLENGE);
            assert_eq!(s.len(), 2);
            assert_ne!(s[0], s[1]);
            assert!(s.contains(&Step::Blink), "a turn alone can be faked with a tilted print: {s:?}");
            seen.insert(format!("{s:?}"));
        }
        assert_eq!(seen.len(), 4, "BLINK with each turn, in both orders: {seen:?}");
        assert_eq!(random_steps(&mut rng, 1), vec![Step::Blink]);
        assert!(random_steps(&mut rng, 3).contains(&Step::Blink));
        let a = new_nonce(&mut rng);
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_nonce(&mut rng));
    }

    #[test]
    fn round_trip_expiry_and_forgery() {
        let key = ChallengeKey::derive("s3cret");
        let (token, c) = issue(&key, vec![Step::Blink, Step::TurnLeft], "0123456789abcdef0123".into(), 1000, 20);
        assert_eq!(verify(&key, &token, 1000), Ok(c.clone()));
        assert_eq!(verify(&key, &token, 1019), Ok(c));
        assert_eq!(verify(&key, &token, 1020), Err(ChallengeError::Expired));
        assert_eq!(verify(&ChallengeKey::derive("other"), &token, 1000), Err(ChallengeError::Invalid));
        // Tampered payload (steps changed): the signature no longer matches.
        let parts: Vec<&str> = token.split('.').collect();
        let other = issue(&key, vec![Step::TurnRight, Step::Blink], "0123456789abcdef0123".into(), 1000, 20).0;
        let forged = format!("{}.{}.{}", parts[0], other.split('.').nth(1).unwrap(), parts[2]);
        assert_eq!(verify(&key, &forged, 1000), Err(ChallengeError::Invalid));
        assert_eq!(verify(&key, "garbage", 1000), Err(ChallengeError::Invalid));
        assert_eq!(verify(&key, "", 1000), Err(ChallengeError::Invalid));
        // An owner session token (signed with the raw secret, no audience) is not a challenge.
        let session = crate::auth::jwt::issue("s3cret", 1, "a@b.co", "hash", 1000, 3600);
        assert_eq!(verify(&key, &session, 1000), Err(ChallengeError::Invalid));
    }

    #[test]
    fn fixed_steps_parse() {
        assert_eq!(parse_steps("BLINK,TURN_LEFT").unwrap(), vec![Step::Blink, Step::TurnLeft]);
        assert_eq!(parse_steps(" turn_right ").unwrap(), vec![Step::TurnRight]);
        assert!(parse_steps("BLINK,BLINK").is_err());
        assert!(parse_steps("JUMP").is_err());
        assert!(parse_steps(",").is_err());
    }
}
