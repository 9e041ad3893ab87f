//! A service is a type that keeps the `Service` contract, put on a list: this
//! one has no protos, no settings and no methods of its own, and runs beside
//! the registry in the same plumbing `probity serve` uses (its database
//! migrated, its audit chain opened, its key checked, its chain served by the
//! AuditService).
use std::sync::Arc;

use probity_common::{
    auth::{Access, Role},
    db::{SharedAuditGuards, SharedTables},
    section::NoSettings,
    service::{Listed, Opened, Routes, Service},
    store::Store,
};
use probity_proto::audit::v1::VerifyAuditChainRequest;
use sea_orm_migration::{async_trait::async_trait, prelude::*};

use crate::harness::TestServer;

struct Empty {
    store: Store,
}

impl Service for Empty {
    const NAME: &'static str = "empty";
    type Settings = NoSettings;
    type Migrator = EmptyMigrator;
    const POLICY: &'static [(&'static str, Access)] = &[];

    async fn open(o: Opened<'_, Self>) -> anyhow::Result<Arc<Empty>> {
        Ok(Arc::new(Empty { store: o.store }))
    }

    fn routes(self: &Arc<Self>, _: &mut Routes<'_>) {}

    fn store(&self) -> &Store {
        &self.store
    }
}

struct EmptyMigrator;

#[async_trait]
impl MigratorTrait for EmptyMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SharedTables::new("empty")),
            Box::new(SharedAuditGuards::new("empty")),
        ]
    }
    fn migration_table_name() -> DynIden {
        Alias::new("empty_migrations").into_iden()
    }
}

crate::db_test!(an_empty_service_runs_in_the_same_plumbing, |b| async move {
    let services = vec![probity::SERVICES[0], Listed::of::<Empty>()];
    let s = TestServer::start_services(b, services, |_| {}).await;
    let mut audit = s.audit(&s.token(Role::Auditor, None)).await;
    for service in ["empty", "registry"] {
        let v = audit
            .verify_audit_chain(VerifyAuditChainRequest {
                service: service.into(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{service}: {e}"))
            .into_inner();
        assert!(v.ok, "{service}: {v:?}");
        assert!(
            v.head_sequence >= 1,
            "{service}: the audit key's check was recorded at start: {v:?}"
        );
    }
    let e = audit
        .verify_audit_chain(VerifyAuditChainRequest {
            service: "intake".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        tonic::Code::InvalidArgument,
        "a service not on the list is not served: {e}"
    );
    // `probity migrate` goes through the same list: applied again, nothing to do.
    Listed::of::<Empty>()
        .migrate(&s.settings)
        .await
        .expect("migrations applied again");
});
