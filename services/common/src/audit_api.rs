//! `probity.audit.v1.AuditService` over one service's chain.
use probity_proto::audit::v1::{
    AuditEntry, ListAuditEntriesRequest, ListAuditEntriesResponse, VerifyAuditChainRequest,
    VerifyAuditChainResponse, audit_service_server::AuditService,
};
use tonic::{Request, Response, Status};

use crate::{
    AppError,
    audit::Entry,
    error::Violations,
    names::{next_token, page},
    store::Store,
};

/// Every chain this process serves, by service name.
pub struct AuditApi {
    chains: Vec<(&'static str, Store)>,
}

impl AuditApi {
    pub fn new(chains: Vec<(&'static str, Store)>) -> Self {
        AuditApi { chains }
    }

    fn store(&self, service: &str) -> Result<&Store, AppError> {
        if service.is_empty() && self.chains.len() == 1 {
            return Ok(&self.chains[0].1);
        }
        self.chains
            .iter()
            .find(|(n, _)| *n == service)
            .map(|(_, s)| s)
            .ok_or_else(|| {
                let names: Vec<&str> = self.chains.iter().map(|(n, _)| *n).collect();
                AppError::invalid("service", format!("must be one of: {}", names.join(", ")))
            })
    }
}

fn to_proto(e: Entry) -> AuditEntry {
    AuditEntry {
        sequence: e.seq,
        time: crate::names::us_ts(e.at_us),
        actor: e.actor,
        role: e.role,
        method: e.method,
        entity: e.entity,
        digest: e.digest,
        previous_hash: e.prev_hash,
        entry_hash: e.hash,
        change: e.change,
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_entries(
        &self,
        req: Request<ListAuditEntriesRequest>,
    ) -> Result<Response<ListAuditEntriesResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        v.check(
            r.from_sequence >= 0,
            "from_sequence",
            "must not be negative",
        );
        v.max_len(&r.service, 64, "service");
        v.max_len(&r.entity, 512, "entity");
        let filter = format!("audit|{}|{}|{}", r.service, r.entity, r.from_sequence);
        let pg = page(&mut v, r.page_size, &r.page_token, &filter);
        v.finish()?;
        let from = match &pg.after {
            Some(k) => k
                .parse::<i64>()
                .ok()
                .and_then(|k| k.checked_add(1))
                .ok_or_else(|| AppError::invalid("page_token", "malformed"))?,
            None => r.from_sequence.max(1),
        };
        let entity = (!r.entity.is_empty()).then_some(r.entity.as_str());
        let store = self.store(&r.service)?;
        let entries = store.chain.list(&store.db, from, entity, pg.size).await?;
        let last = entries.last().map(|e| e.seq.to_string());
        let next_page_token = next_token(entries.len(), &pg, last.as_deref(), &filter);
        Ok(Response::new(ListAuditEntriesResponse {
            entries: entries.into_iter().map(to_proto).collect(),
            next_page_token,
        }))
    }

    async fn verify_audit_chain(
        &self,
        req: Request<VerifyAuditChainRequest>,
    ) -> Result<Response<VerifyAuditChainResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        v.check(
            r.from_sequence >= 0,
            "from_sequence",
            "must not be negative",
        );
        v.check(r.to_sequence >= 0, "to_sequence", "must not be negative");
        v.check(
            r.to_sequence == 0 || r.to_sequence >= r.from_sequence,
            "to_sequence",
            "must not be before from_sequence",
        );
        v.finish()?;
        let store = self.store(&r.service)?;
        let rep = store
            .chain
            .verify(&store.db, r.from_sequence, r.to_sequence)
            .await?;
        Ok(Response::new(VerifyAuditChainResponse {
            ok: rep.ok,
            entries_checked: rep.checked,
            first_bad_sequence: rep.first_bad,
            problem: rep.problem,
            detail: rep.detail,
            head_sequence: rep.head_seq,
            head_hash: rep.head_hash,
        }))
    }
}
