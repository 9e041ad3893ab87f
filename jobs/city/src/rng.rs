//! Seeded randomness: one ChaCha8 stream per labelled part of the city, so
//! that a part drawing more or fewer numbers leaves the others as they were.
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

pub fn of(seed: u64, label: &str) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(label.as_bytes());
    ChaCha8Rng::from_seed(h.finalize().into())
}
