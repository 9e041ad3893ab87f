//! `probity audit verify` and `probity audit checkpoint`.
use std::{path::Path, process::ExitCode};

use probity_common::{
    audit::{Chain, Report},
    audit_checkpoint::Checkpoint,
    config::Settings,
    db::{connect, stmt, t},
    error::AppError,
};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection};

/// The service's chain, with the columns of its data that name entries.
fn chain_of(service: &str, key: Vec<u8>) -> anyhow::Result<Chain> {
    let Some(s) = probity::SERVICES.iter().find(|s| s.name == service) else {
        let names: Vec<&str> = probity::SERVICES.iter().map(|s| s.name).collect();
        anyhow::bail!(
            "--service: unknown service {service} ({})",
            names.join(", ")
        );
    };
    Ok(Chain::new(s.name, key)
        .with_anchors(s.audit_anchors)
        .with_records(s.audit_records))
}

/// Connects to the service's database with the chain's key. Never makes a
/// key, and a key the database was not used with is named as such: every
/// entry would read as forged.
async fn open(settings: &Settings, service: &str) -> anyhow::Result<(DatabaseConnection, Chain)> {
    let mut key_file = settings.audit_key();
    key_file.create = false;
    let chain = chain_of(service, Vec::new())?;
    let prefix = chain.prefix();
    let db = connect(&settings.database_url(prefix), settings).await?;
    let key = key_file.load()?;
    let checks = t(prefix, "key_checks");
    if let Some(row) = db
        .query_one_raw(stmt(
            &db,
            &format!("SELECT check_value FROM {checks} WHERE purpose = $1"),
            vec!["audit.key_file".into()],
        ))
        .await?
    {
        let stored: String = row.try_get("", "check_value")?;
        anyhow::ensure!(
            stored == probity_common::keys::check_value(&key, "audit.key_file"),
            "audit.key_file: {} is not the key this database's chain was written with (KEY_MISMATCH): nothing verified",
            key_file.path.display()
        );
    }
    Ok((db, chain_of(service, key)?))
}

fn refused(e: AppError) -> anyhow::Error {
    match &e {
        AppError::Refused { reason, message } => anyhow::anyhow!("{reason}: {message}"),
        _ => anyhow::anyhow!("{e}"),
    }
}

fn print_broken(service: &str, r: &Report) {
    println!(
        "audit chain of {service}: BROKEN at entry {}: {} ({}); {} entries checked before it",
        r.first_bad, r.problem, r.detail, r.checked
    );
}

pub async fn verify(
    settings: &Settings,
    service: &str,
    from: i64,
    to: i64,
    checkpoint: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    // The checkpoint is read and its MAC checked before anything is verified:
    // one that does not hold is refused, never taken as a weaker answer.
    let cp = match checkpoint {
        Some(path) => Some(
            Checkpoint::from_json(
                &std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("--checkpoint: {}: {e}", path.display()))?,
            )
            .map_err(|e| anyhow::anyhow!("--checkpoint: {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let (db, chain) = open(settings, service).await?;
    if let Some(cp) = &cp {
        chain.check_checkpoint(cp).map_err(refused)?;
    }
    let r = chain.verify_against(&db, from, to, cp.as_ref()).await?;
    db.close().await?;
    if !r.ok {
        print_broken(service, &r);
        return Ok(ExitCode::FAILURE);
    }
    let against = cp
        .map(|cp| format!(", holds the checkpoint at {} of {}", cp.seq, cp.time))
        .unwrap_or_default();
    println!(
        "audit chain of {service}: OK, {} entries checked, head {} {}{against}",
        r.checked, r.head_seq, r.head_hash
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn checkpoint(
    settings: &Settings,
    service: &str,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (db, chain) = open(settings, service).await?;
    let taken = chain.checkpoint(&db).await?;
    db.close().await?;
    let cp = match taken {
        Ok(cp) => cp,
        Err(r) => {
            print_broken(service, &r);
            eprintln!("probity: no checkpoint of a broken chain");
            return Ok(ExitCode::FAILURE);
        }
    };
    let json = cp.to_json();
    match out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, format!("{json}\n"))
                .map_err(|e| anyhow::anyhow!("--out: {}: {e}", path.display()))?;
            eprintln!(
                "probity: checkpoint of {service} at {} written to {}",
                cp.seq,
                path.display()
            );
        }
        None => println!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
