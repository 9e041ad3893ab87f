//! A chain's head signed under the audit key, kept outside the database.
//!
//! Someone who can write the tables can put back a head row saved earlier
//! and delete the entries after it: the head's own MAC still holds, and the
//! chain verifies as a shorter intact one. A checkpoint taken after those
//! entries were written says how far the chain had reached and what its
//! entry there was, so `verify` against it names the cut.
use serde::{Deserialize, Serialize};

use crate::{
    audit::{Chain, Report},
    error::{AppError, AppResult},
    keys::hmac_hex,
    reasons::Reason,
};

/// Sets a checkpoint's MAC apart from every other MAC under the audit key
/// (entries begin with a length, heads with "head", key checks with
/// "probity key check").
const LABEL: &[u8] = b"probity audit checkpoint v1\n";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub service: String,
    pub seq: i64,
    pub hash: String,
    /// When it was taken, RFC 3339 UTC.
    pub time: String,
    pub mac: String,
}

impl Checkpoint {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> AppResult<Checkpoint> {
        serde_json::from_str(text).map_err(|e| {
            AppError::invalid("checkpoint", format!("not a Probity audit checkpoint: {e}"))
        })
    }
}

impl Chain {
    fn checkpoint_mac(&self, service: &str, seq: i64, hash: &str, time: &str) -> String {
        let seq = seq.to_string();
        let fields = [service, seq.as_str(), hash, time];
        let lens: Vec<[u8; 8]> = fields
            .iter()
            .map(|f| (f.len() as u64).to_be_bytes())
            .collect();
        let mut parts: Vec<&[u8]> = vec![LABEL];
        for (f, n) in fields.iter().zip(&lens) {
            parts.push(n);
            parts.push(f.as_bytes());
        }
        hmac_hex(self.key(), &parts)
    }

    /// Verifies the whole chain and signs its head; a broken chain gets no
    /// checkpoint (it would vouch for the tampering), only its report.
    pub async fn checkpoint(
        &self,
        db: &sea_orm::DatabaseConnection,
    ) -> AppResult<Result<Checkpoint, Report>> {
        let r = self.verify(db, 0, 0).await?;
        if !r.ok {
            return Ok(Err(r));
        }
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let service = self.prefix().to_string();
        let mac = self.checkpoint_mac(&service, r.head_seq, &r.head_hash, &time);
        Ok(Ok(Checkpoint {
            service,
            seq: r.head_seq,
            hash: r.head_hash,
            time,
            mac,
        }))
    }

    /// Refuses a checkpoint of another chain, or one not signed under this
    /// chain's key as it stands (edited by hand, or made up).
    pub fn check_checkpoint(&self, cp: &Checkpoint) -> AppResult<()> {
        if cp.service != self.prefix() {
            return Err(AppError::refused(
                Reason::CheckpointOfAnotherChain,
                format!(
                    "the checkpoint is of the {} chain, not of {}",
                    cp.service,
                    self.prefix()
                ),
            ));
        }
        if cp.mac != self.checkpoint_mac(&cp.service, cp.seq, &cp.hash, &cp.time) {
            return Err(AppError::refused(
                Reason::CheckpointForged,
                "the checkpoint does not match its MAC under the audit key: refused",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(chain: &Chain) -> Checkpoint {
        let (seq, hash, time) = (7, "ab".repeat(32), "2026-01-02T03:04:05.000000Z");
        Checkpoint {
            service: "intake".into(),
            seq,
            hash: hash.clone(),
            time: time.into(),
            mac: chain.checkpoint_mac("intake", seq, &hash, time),
        }
    }

    #[test]
    fn a_signed_checkpoint_holds_and_reads_back() {
        let chain = Chain::new("intake", vec![1; 32]);
        let cp = signed(&chain);
        chain.check_checkpoint(&cp).unwrap();
        assert_eq!(Checkpoint::from_json(&cp.to_json()).unwrap(), cp);
    }

    #[test]
    fn an_edited_or_foreign_checkpoint_is_refused() {
        let chain = Chain::new("intake", vec![1; 32]);
        let reason = |cp: &Checkpoint, c: &Chain| match c.check_checkpoint(cp) {
            Err(AppError::Refused { reason, .. }) => reason.code(),
            other => panic!("not refused: {other:?}"),
        };
        let mut cp = signed(&chain);
        cp.seq = 3;
        assert_eq!(reason(&cp, &chain), "CHECKPOINT_FORGED");
        let mut cp = signed(&chain);
        cp.time = "2027-01-01T00:00:00.000000Z".into();
        assert_eq!(reason(&cp, &chain), "CHECKPOINT_FORGED");
        let other_key = Chain::new("intake", vec![2; 32]);
        assert_eq!(reason(&signed(&chain), &other_key), "CHECKPOINT_FORGED");
        let registry = Chain::new("registry", vec![1; 32]);
        assert_eq!(
            reason(&signed(&chain), &registry),
            "CHECKPOINT_OF_ANOTHER_CHAIN"
        );
        assert!(Checkpoint::from_json("{\"service\":\"intake\"}").is_err());
    }
}
