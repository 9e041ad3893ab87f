//! Resource names for a city written without servers: what the registry
//! would have given, made up deterministically from the seed and the city's
//! keys (32 hex digits, the shape of the registry's ids).
use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::blueprint::Blueprint;

pub struct Synthesized {
    /// Placeholder (`bodies/SCJG`, `officers/SCJG-007`,
    /// `bodies/SCJG/powers/…`) -> resource name, as `registry::Made`.
    pub names: HashMap<String, String>,
    /// By blueprint index.
    pub bodies: Vec<String>,
    pub officers: Vec<String>,
}

fn id(seed: u64, what: &str) -> String {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(what.as_bytes());
    hex::encode(&h.finalize()[..16])
}

pub fn synthesize(bp: &Blueprint) -> Synthesized {
    let seed = bp.plan.seed;
    let mut names = HashMap::new();
    let mut bodies = Vec::with_capacity(bp.bodies.len());
    for b in &bp.bodies {
        let name = format!("bodies/{}", id(seed, &b.placeholder()));
        for p in 0..b.powers.len() {
            let power = b.power_placeholder(p);
            names.insert(power.clone(), format!("{name}/powers/{}", id(seed, &power)));
        }
        names.insert(b.placeholder(), name.clone());
        bodies.push(name);
    }
    let officers: Vec<String> = bp
        .officers
        .iter()
        .map(|o| format!("officers/{}", id(seed, &o.placeholder())))
        .collect();
    for (o, name) in bp.officers.iter().zip(&officers) {
        names.insert(o.placeholder(), name.clone());
    }
    Synthesized {
        names,
        bodies,
        officers,
    }
}
