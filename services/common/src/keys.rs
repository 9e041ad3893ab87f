//! Secret files: the audit chain key, the national-ID HMAC key, the
//! development signing key. A key is created only on its built-in path under
//! the data directory (development); a configured path that is missing is an
//! error, so a mis-mounted secret never silently becomes a fresh key.
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone)]
pub struct KeyFile {
    pub path: PathBuf,
    /// The setting that names it, for messages.
    pub setting: &'static str,
    /// Whether a missing file may be created (the built-in default path).
    pub create: bool,
}

impl KeyFile {
    /// `configured` if set, else `default_name` under `data_dir` (creatable).
    pub fn resolve(
        configured: &str,
        data_dir: &Path,
        default_name: &str,
        setting: &'static str,
    ) -> KeyFile {
        if configured.is_empty() {
            KeyFile {
                path: data_dir.join(default_name),
                setting,
                create: true,
            }
        } else {
            KeyFile {
                path: PathBuf::from(configured),
                setting,
                create: false,
            }
        }
    }

    /// Reads the key (32 bytes or more), creating it first where allowed.
    pub fn load(&self) -> anyhow::Result<Vec<u8>> {
        let shown = self.path.display();
        if self.path.exists() {
            let k = std::fs::read(&self.path)
                .map_err(|e| anyhow::anyhow!("{}: {shown}: {e}", self.setting))?;
            anyhow::ensure!(
                k.len() >= 32,
                "{}: {shown}: key shorter than 32 bytes",
                self.setting
            );
            return Ok(k);
        }
        anyhow::ensure!(
            self.create,
            "{}: {shown} does not exist (a configured key is never created)",
            self.setting
        );
        let k: [u8; 32] = rand::random();
        write_private(&self.path, &k).map_err(|e| anyhow::anyhow!("{}: {e}", self.setting))?;
        Ok(k.to_vec())
    }
}

/// Writes a new secret file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

/// A value that identifies a key without revealing it: stored beside the data
/// the key protects, compared at start-up.
pub fn check_value(key: &[u8], purpose: &str) -> String {
    hmac_hex(key, &[b"probity key check: ", purpose.as_bytes()])
}

/// Hex HMAC-SHA256 under `key` of `parts`, fed in order: the one keyed hash
/// of the project (audit chain, key checks, national IDs).
pub fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_missing_key_is_an_error_default_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let configured = dir.path().join("mounted.key");
        let k = KeyFile::resolve(
            configured.to_str().unwrap(),
            dir.path(),
            "x.key",
            "audit.key_file",
        );
        let e = k.load().unwrap_err().to_string();
        assert!(e.starts_with("audit.key_file:"), "{e}");
        assert!(!configured.exists());
        let d = KeyFile::resolve("", dir.path(), "x.key", "audit.key_file");
        let first = d.load().unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(d.load().unwrap(), first, "created once, then read");
    }

    #[test]
    fn short_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("short.key");
        std::fs::write(&f, b"short").unwrap();
        assert!(
            KeyFile::resolve(f.to_str().unwrap(), dir.path(), "x", "k")
                .load()
                .is_err()
        );
    }
}
