//! The job's own source, hashed into JOB_SOURCE_SHA256: a run's id names
//! the code that scored it as well as its inputs, so a scoring fix rerun on
//! the same inputs is a new run rather than a replay of the old one. Beside
//! the job's own files: the rules it shares with intake (probity-rules: the
//! finding catalogue, a column per rule; the legal-review rule; the city's
//! calendar), the protos (the kinds and enums it reads) and Cargo.lock
//! (polars' version computes the tables too).
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let mut files = Vec::new();
    for path in [
        "src",
        "plans",
        "../../services/rules/src",
        "../../proto",
        "../../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={path}");
        sources(Path::new(path), &mut files);
    }
    files.sort();
    let mut h = Sha256::new();
    for f in &files {
        // Path separators differ between hosts; the hash must not.
        h.update(f.to_string_lossy().replace('\\', "/").as_bytes());
        h.update(std::fs::read(f).unwrap_or_default());
    }
    let sha: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=JOB_SOURCE_SHA256={sha}");
}
