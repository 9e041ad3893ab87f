//! Revoked tokens by `jti`: a file of one id a line (`#` comments), named by
//! `auth.revoked_jti_file`. A file, not a setting, because revoking must not
//! wait for a restart: the services re-read it every few seconds, so a
//! mounted Secret or ConfigMap updated in place revokes within a minute.
use std::{
    collections::HashSet,
    path::PathBuf,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How often the file is read again.
pub const RECHECK: Duration = Duration::from_secs(2);

pub struct Revocations {
    path: Option<PathBuf>,
    state: Mutex<State>,
}

struct State {
    read: Instant,
    ids: HashSet<String>,
}

fn parse(text: &str) -> HashSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

impl Revocations {
    /// Reads `path` (empty: no list). A configured file that cannot be read
    /// stops start-up: a revocation list silently absent revokes nothing.
    pub fn load(path: &str) -> anyhow::Result<Revocations> {
        let (path, ids) = if path.is_empty() {
            (None, HashSet::new())
        } else {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("auth.revoked_jti_file: {path}: {e}"))?;
            (Some(PathBuf::from(path)), parse(&text))
        };
        Ok(Revocations {
            path,
            state: Mutex::new(State {
                read: Instant::now(),
                ids,
            }),
        })
    }

    /// Whether `jti` is revoked, reading the file again when it is due. A
    /// file that went missing keeps the list last read (and says so).
    pub fn contains(&self, jti: &str) -> bool {
        let Ok(mut st) = self.state.lock() else {
            return true;
        };
        if let Some(path) = &self.path
            && st.read.elapsed() >= RECHECK
        {
            match std::fs::read_to_string(path) {
                Ok(text) => st.ids = parse(&text),
                Err(e) => tracing::warn!(path = %path.display(), error = %e,
                    "auth.revoked_jti_file unreadable: keeping the list last read"),
            }
            st.read = Instant::now();
        }
        st.ids.contains(jti)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_rereading() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("revoked");
        std::fs::write(&f, "# revoked\n a1 \n\nb2\n").unwrap();
        let r = Revocations::load(f.to_str().unwrap()).unwrap();
        assert!(r.contains("a1") && r.contains("b2") && !r.contains("# revoked"));
        assert!(!r.contains("c3"));
        std::fs::write(&f, "c3\n").unwrap();
        std::thread::sleep(RECHECK + Duration::from_millis(100));
        assert!(r.contains("c3"));
        assert!(!r.contains("a1"), "a line taken out is no longer revoked");
        assert!(Revocations::load("/nonexistent/revoked").is_err());
        assert!(!Revocations::load("").unwrap().contains("a1"));
    }
}
