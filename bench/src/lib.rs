//! What the benchmark binaries share: connecting, bearer tokens, the seeded
//! registry they all measure against; the edge-case year the rankings job
//! and its DuckDB yardstick must agree on.
pub mod edge_year;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tonic::{
    Request,
    metadata::{Ascii, MetadataValue},
    transport::{Channel, Endpoint},
};

/// What `load seed` made: a department, its penalty power, officers with
/// valid credentials (and their numbers).
#[derive(Serialize, Deserialize)]
pub struct Seed {
    pub body: String,
    pub power: String,
    pub officers: Vec<String>,
    pub numbers: Vec<String>,
}

pub fn url(addr: &str) -> String {
    if addr.starts_with("http://") || addr.starts_with("https://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    }
}

pub async fn connect(addr: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url(addr))?
        .tcp_nodelay(true)
        .connect()
        .await?)
}

pub fn bearer(token: &str) -> anyhow::Result<MetadataValue<Ascii>> {
    Ok(format!("Bearer {}", token.trim()).parse()?)
}

pub fn authed<T>(msg: T, auth: &MetadataValue<Ascii>) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert("authorization", auth.clone());
    r
}

pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}
