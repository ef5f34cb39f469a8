//! Frames analysed ahead of their burst. The kiosk page sends each frame to `POST /api/kiosk/frame` the
//! moment it is captured, so the first pass (detection, FaceMesh, the iris model: most of a burst's CPU)
//! runs during the seconds the person spends blinking and turning; `attend` then finds each of its frames
//! here and only embeds the few its verdict rests on.
//!
//! A result is bound to the exact bytes it was computed from (SHA-256 of the frame) and to the challenge
//! (its nonce): `attend` uses it only for a frame with the same digest under the same challenge, and a
//! frame it does not find is analysed as before. So nothing sent ahead can change a verdict: the cache
//! only saves work, and a kiosk that sends nothing ahead (or another instance behind a load balancer,
//! whose cache is empty) gets the same answer.
//!
//! What is kept is what the engine measured (faces found, yaw, eye openness, face proportions) and where
//! the aligned chip lies in the frame ([`face_engine::ChipPlacement`]): no pixels. The chip is cut again
//! from the frame `attend` carries. Entries live until their burst's `attend` takes them, or, never
//! taken, until their challenge has expired and room is needed. At most [`MAX_PENDING_BURSTS`]
//! challenges and [`MAX_FRAMES`](super::kiosk::MAX_FRAMES) distinct frames each are held, so the work a
//! challenge buys stays bounded (each distinct frame is analysed once, whoever asks first).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::error::AppError;

/// Challenges with frames analysed ahead at once (20 kiosks need 20; expired ones make room).
pub const MAX_PENDING_BURSTS: usize = 512;

pub type FrameDigest = [u8; 32];

pub fn digest(bytes: &[u8]) -> FrameDigest {
    Sha256::digest(bytes).into()
}

/// One frame's result: filled once by whoever gets there first (the frame's own request, or `attend`
/// when that request went away), awaited by the others.
pub type Slot<T> = Arc<OnceCell<Result<T, AppError>>>;

struct Pending<T> {
    exp: i64,
    frames: HashMap<FrameDigest, Slot<T>>,
}

/// Why a frame was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The challenge already has its maximum of distinct frames.
    Burst,
    /// [`MAX_PENDING_BURSTS`] live challenges have frames pending.
    Cache,
}

pub struct FrameCache<T> {
    bursts: Mutex<HashMap<String, Pending<T>>>,
    max_bursts: usize,
    max_frames: usize,
}

impl<T> FrameCache<T> {
    pub fn new(max_bursts: usize, max_frames: usize) -> FrameCache<T> {
        FrameCache { bursts: Mutex::new(HashMap::new()), max_bursts, max_frames }
    }

    /// The slot of the frame `digest` of challenge `jti` (valid until `exp`, unix seconds): the existing
    /// one when this frame was sent before, else a new, empty one.
    pub fn slot(&self, jti: &str, exp: i64, digest: FrameDigest, now: i64) -> Result<Slot<T>, Full> {
        let mut bursts = self.bursts.lock().unwrap();
        if !bursts.contains_key(jti) && bursts.len() >= self.max_bursts {
            bursts.retain(|_, p| p.exp > now);
            if bursts.len() >= self.max_bursts {
                return Err(Full::Cache);
            }
        }
        let pending = bursts.entry(jti.to_string()).or_insert_with(|| Pending { exp, frames: HashMap::new() });
        if let Some(s) = pending.frames.get(&digest) {
            return Ok(s.clone());
        }
        if pending.frames.len() >= self.max_frames {
            return Err(Full::Burst);
        }
        let s: Slot<T> = Arc::new(OnceCell::new());
        pending.frames.insert(digest, s.clone());
        Ok(s)
    }

    /// Takes the frames sent ahead for `jti` out of the cache (its burst is being analysed).
    pub fn take(&self, jti: &str) -> HashMap<FrameDigest, Slot<T>> {
        self.bursts.lock().unwrap().remove(jti).map(|p| p.frames).unwrap_or_default()
    }

    /// Challenges with frames pending.
    pub fn pending(&self) -> usize {
        self.bursts.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_sent_twice_shares_its_slot_and_take_empties_the_challenge() {
        let c: FrameCache<u32> = FrameCache::new(4, 3);
        let a = c.slot("j1", 100, digest(b"a"), 0).unwrap();
        let again = c.slot("j1", 100, digest(b"a"), 0).unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        let other_challenge = c.slot("j2", 100, digest(b"a"), 0).unwrap();
        assert!(!Arc::ptr_eq(&a, &other_challenge), "results are per challenge");
        a.set(Ok(7)).unwrap();
        let taken = c.take("j1");
        assert_eq!(taken.len(), 1);
        assert!(matches!(taken[&digest(b"a")].get(), Some(Ok(7))));
        assert!(c.take("j1").is_empty());
        assert_eq!(c.pending(), 1);
    }

    #[test]
    fn a_challenge_holds_at_most_max_frames_distinct_frames() {
        let c: FrameCache<u32> = FrameCache::new(4, 2);
        c.slot("j", 100, digest(b"1"), 0).unwrap();
        c.slot("j", 100, digest(b"2"), 0).unwrap();
        assert_eq!(c.slot("j", 100, digest(b"3"), 0).err(), Some(Full::Burst));
        // a frame already held is still answered
        assert!(c.slot("j", 100, digest(b"2"), 0).is_ok());
    }

    #[test]
    fn expired_challenges_make_room_and_live_ones_do_not() {
        let c: FrameCache<u32> = FrameCache::new(2, 20);
        c.slot("old", 10, digest(b"x"), 0).unwrap();
        c.slot("live", 100, digest(b"x"), 0).unwrap();
        assert_eq!(c.slot("new", 100, digest(b"x"), 5).err(), Some(Full::Cache), "nothing expired at 5");
        assert!(c.slot("new", 100, digest(b"x"), 11).is_ok(), "old expired at 10");
        assert!(c.take("old").is_empty());
        assert_eq!(c.pending(), 2);
    }

    #[test]
    fn the_digest_is_sha256() {
        let hex: String = digest(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
