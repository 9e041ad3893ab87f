//! The draw's random stream and its unbiased sampler.
//!
//! Block j of the stream is SHA-256(key ‖ j as 8 bytes big-endian); each
//! block gives four 64-bit words, big-endian, in order. A number below n is
//! the first word w with w < 2^64 − (2^64 mod n), taken mod n: words at or
//! above that limit are discarded, so every residue is equally likely
//! (a plain `w mod n` would favour the small residues).
use sha2::{Digest, Sha256};

pub struct Stream {
    key: [u8; 32],
    next_block: u64,
    block: [u8; 32],
    used: usize,
}

impl Stream {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key,
            next_block: 0,
            block: [0; 32],
            used: 32,
        }
    }

    pub fn next_word(&mut self) -> u64 {
        if self.used == 32 {
            let mut h = Sha256::new();
            h.update(self.key);
            h.update(self.next_block.to_be_bytes());
            self.block = h.finalize().into();
            self.next_block += 1;
            self.used = 0;
        }
        let mut w = [0u8; 8];
        w.copy_from_slice(&self.block[self.used..self.used + 8]);
        self.used += 8;
        u64::from_be_bytes(w)
    }

    /// A uniform number in 0..n; `n` must be at least 1.
    pub fn below(&mut self, n: u64) -> u64 {
        self.below_in(n, 64)
    }

    /// `below` over words cut to their top `bits` bits (1..=64). The draw
    /// uses 64; narrower words make the bias a plain modulo would have
    /// large enough for a test to see, so the rejection rule can be tested.
    pub fn below_in(&mut self, n: u64, bits: u32) -> u64 {
        assert!(n > 0 && (1..=64).contains(&bits), "below_in({n}, {bits})");
        let max = u64::MAX >> (64 - bits);
        assert!(n - 1 <= max, "n beyond the word space");
        // 2^bits mod n, without 128-bit arithmetic.
        let excess = (max % n + 1) % n;
        loop {
            let w = self.next_word() >> (64 - bits);
            if excess == 0 || w <= max - excess {
                return w % n;
            }
        }
    }
}
