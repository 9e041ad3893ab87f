//! `probity draw verify`: recompute a published draw offline.
use std::{path::Path, process::ExitCode};

use probity_draws::{DrawRecord, verify};

/// Prints whether the record holds and, where not, each field that does
/// not. Exit 0 when it matches, 1 when it does not, 2 when it cannot be read.
pub fn verify_file(path: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("probity: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let record: DrawRecord = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("probity: {}: not a draw record: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let mismatches = verify(&record);
    if mismatches.is_empty() {
        println!(
            "matches: {} targets drawn of {}, from {} inspectors",
            record.result.len(),
            record.targets.len(),
            record.inspectors.len()
        );
        return ExitCode::SUCCESS;
    }
    println!("does not match:");
    for m in &mismatches {
        println!("  {m}");
    }
    ExitCode::FAILURE
}
