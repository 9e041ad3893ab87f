//! A database refuses a key it was not used with: a wrong audit key would
//! write entries that never verify, a wrong national-ID key would make every
//! officer unfindable by ID.
use probity_common::config::Settings;

use crate::harness::{Backend, fresh_pg_database};

/// The registry opened as `serve` opens it (connect, migrate, keys).
async fn open_registry(s: &Settings) -> anyhow::Result<std::sync::Arc<probity_registry::Registry>> {
    let own = "127.0.0.1:0".parse().expect("an address");
    probity_common::service::open::<probity_registry::Registry>(s, own).await
}

async fn settings(b: &Backend, dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.database.data_dir = dir.to_string_lossy().into_owned();
    s.database.url = match b {
        Backend::Sqlite => format!("sqlite://{}/registry.db?mode=rwc", dir.display()),
        Backend::Postgres(admin) => fresh_pg_database(admin).await,
    };
    s
}

crate::db_test!(a_different_key_is_refused_at_start, |b| async move {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(&b, dir.path()).await;
    let first = open_registry(&s)
        .await
        .expect("first start creates and records the keys");
    drop(first);
    open_registry(&s).await.expect("the same keys start again");

    for (name, setting) in [
        ("audit-chain.key", "audit.key_file"),
        ("national-id-hmac.key", "registry.national_id_key_file"),
    ] {
        let other = tempfile::tempdir().unwrap();
        let f = other.path().join(name);
        std::fs::write(&f, [7u8; 32]).unwrap();
        let mut wrong = s.clone();
        match setting {
            "audit.key_file" => wrong.audit.key_file = f.to_string_lossy().into_owned(),
            _ => {
                wrong
                    .section_mut::<probity_registry::settings::RegistrySettings>()
                    .national_id_key_file = f.to_string_lossy().into_owned()
            }
        }
        let e = open_registry(&wrong)
            .await
            .err()
            .expect("a foreign key is refused")
            .to_string();
        assert!(
            e.contains(setting) && e.contains("refusing to start"),
            "{e}"
        );
    }
    let mut missing = s.clone();
    missing.audit.key_file = dir
        .path()
        .join("not-mounted.key")
        .to_string_lossy()
        .into_owned();
    let e = open_registry(&missing)
        .await
        .err()
        .expect("a missing configured key is refused")
        .to_string();
    assert!(e.starts_with("audit.key_file"), "{e}");
});
