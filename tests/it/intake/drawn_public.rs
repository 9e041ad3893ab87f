//! 一公开: a draw's inspections and their results, to anyone without a
//! token (issue 18). A unit tries to make the public record look better than
//! what it did: an inspection by officers the draw did not choose is not
//! shown as the drawn target's inspection, and a drawn target never
//! inspected is shown as not inspected.
use chrono::Utc;
use probity_proto::intake::v1::{
    fact::Payload, public_inspections_service_client::PublicInspectionsServiceClient, *,
};

use super::*;
use crate::{
    db_test,
    draws_service::{full_draw, setup},
    fixtures::{rid, ts},
    harness::TestServer,
};

db_test!(a_draws_inspections_are_public, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let draw = full_draw(&s, &d, vec![]).await;
    assert!(draw.result.len() >= 2, "two targets drawn: {draw:?}");
    let (first, second) = (&draw.result[0], &draw.result[1]);
    let stranger = d
        .pool
        .iter()
        .find(|o| !second.officers.contains(o))
        .expect("an officer not drawn for the second target")
        .clone();
    let inspection = |target: &str, officers: &[String], outcome: InspectionOutcome| {
        Payload::Inspection(Inspection {
            power: d.w.inspection.name.clone(),
            officers: officers.to_vec(),
            target: target.into(),
            inspect_time: Some(ts(Utc::now())),
            random_draw: draw.name.clone(),
            records: vec![record()],
            outcome: outcome as i32,
            ..Default::default()
        })
    };
    let mut c = dept(&s, &d.w).await;
    c.submit_fact(fact(
        &d.w,
        "JC-1",
        inspection(
            &first.target,
            &first.officers,
            InspectionOutcome::OrderedToCorrect,
        ),
    ))
    .await
    .expect("the drawn inspection");
    // The second target visited by an officer of the unit's choosing, with a
    // clean result: stored, but not the drawn inspection.
    let mut chosen = second.officers.clone();
    chosen[0] = stranger;
    c.submit_fact(fact(
        &d.w,
        "JC-2",
        inspection(&second.target, &chosen, InspectionOutcome::NoProblem),
    ))
    .await
    .expect("the undrawn crew's inspection");

    // No token.
    let mut public = PublicInspectionsServiceClient::new(s.channel().await);
    let seen = public
        .list_drawn_inspections(ListDrawnInspectionsRequest {
            draw: draw.name.clone(),
            ..Default::default()
        })
        .await
        .expect("public")
        .into_inner();
    assert_eq!(seen.unit, d.w.dept.name);
    let targets: Vec<&str> = seen.inspections.iter().map(|i| i.target.as_str()).collect();
    let drawn: Vec<&str> = draw.result.iter().map(|a| a.target.as_str()).collect();
    assert_eq!(targets, drawn, "every drawn target, in the draw's order");
    let one = &seen.inspections[0];
    assert!(one.inspected && one.inspect_time.is_some(), "{one:?}");
    assert_eq!(one.outcome, InspectionOutcome::OrderedToCorrect as i32);
    for other in &seen.inspections[1..] {
        assert!(!other.inspected, "{other:?}");
        assert_eq!(other.outcome, InspectionOutcome::Unspecified as i32);
    }

    // One at a time, the same targets in the same order.
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = public
            .list_drawn_inspections(ListDrawnInspectionsRequest {
                draw: draw.name.clone(),
                page_size: 1,
                page_token: token,
            })
            .await
            .expect("a page")
            .into_inner();
        paged.extend(page.inspections.into_iter().map(|i| i.target));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(paged, drawn);

    // Voided, the drawn inspection is no longer shown as done.
    let done = c
        .lookup_fact(LookupFactRequest {
            body: d.w.dept.name.clone(),
            source_id: "JC-1".into(),
        })
        .await
        .expect("lookup")
        .into_inner();
    c.void_fact(VoidFactRequest {
        name: done.name,
        reason: "录入错误".into(),
        request_id: rid(),
    })
    .await
    .expect("void");
    let after = public
        .list_drawn_inspections(ListDrawnInspectionsRequest {
            draw: draw.name.clone(),
            ..Default::default()
        })
        .await
        .expect("public")
        .into_inner();
    assert!(after.inspections.iter().all(|i| !i.inspected), "{after:?}");

    crate::util::expect_invalid(
        public
            .list_drawn_inspections(ListDrawnInspectionsRequest {
                draw: "bodies/x".into(),
                page_size: -1,
                ..Default::default()
            })
            .await,
        &["draw", "page_size"],
    );
    crate::util::expect_code(
        public
            .list_drawn_inspections(ListDrawnInspectionsRequest {
                draw: "draws/no-such-draw".into(),
                ..Default::default()
            })
            .await,
        tonic::Code::NotFound,
    );
    s.stop().await;
});
