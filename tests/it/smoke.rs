use chrono::Utc;
use probity_proto::registry::v1::*;

use crate::{db_test, fixtures::*};

db_test!(world_builds_and_checks, |b| async move {
    let s = crate::harness::TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let r = c
        .check_actors(CheckActorsRequest {
            body: w.dept.name.clone(),
            power: w.penalty.name.clone(),
            act_time: Some(ts(Utc::now())),
            officers: vec![w.a.name.clone(), w.b.name.clone()],
            min_qualified: 0,
            known_time: None,
        })
        .await
        .expect("check")
        .into_inner();
    assert!(r.group_ok, "{r:?}");
    assert_eq!(r.qualified_count, 2);
    s.stop().await;
});
