//! Inspections against the draws they cite (issue 18, Art. 9(4), 19(7)): a
//! unit tries to make an inspection count as drawn without doing what the
//! draw decided: another target, its own choice of officer, a time outside
//! the window, another unit's draw, a name that is no draw, free text; and
//! then to make the finding go away by correcting or voiding the inspection.
use chrono::{Duration, Utc};
use probity_common::auth::Role;
use probity_proto::{
    draws::v1::Draw,
    intake::v1::{fact::Payload, *},
};

use super::*;
use crate::{
    db_test,
    draws_service::{Drawn, full_draw, setup},
    fixtures::rid,
    harness::TestServer,
};

pub(super) const MISMATCH: &str = "DRAW_MISMATCH";

/// An inspection of `target` by `officers`, citing `draw`, at `at`.
pub(super) fn inspection_of(
    d: &Drawn,
    draw: &str,
    target: &str,
    officers: &[String],
    at: chrono::DateTime<Utc>,
) -> Payload {
    Payload::Inspection(Inspection {
        power: d.w.inspection.name.clone(),
        officers: officers.to_vec(),
        target: target.into(),
        inspect_time: Some(ts(at)),
        random_draw: draw.into(),
        records: vec![record()],
        draw_verified: false,
        cause: String::new(),
        ..Default::default()
    })
}

pub(super) fn verified(f: &Fact) -> bool {
    match f.payload.as_ref() {
        Some(Payload::Inspection(i)) => i.draw_verified,
        _ => panic!("not an inspection: {f:?}"),
    }
}

pub(super) fn mismatches(f: &Fact) -> usize {
    f.findings.iter().filter(|x| x.rule == MISMATCH).count()
}

/// The first drawn target and its officers, and an officer of the pool not
/// drawn for it.
pub(super) fn drawn(d: &Drawn, draw: &Draw) -> (String, Vec<String>, String) {
    let a = draw.result.first().expect("a target drawn");
    let stranger = d
        .pool
        .iter()
        .find(|o| !a.officers.contains(o))
        .expect("an officer of the pool not drawn for it")
        .clone();
    (a.target.clone(), a.officers.clone(), stranger)
}

db_test!(an_inspection_must_match_its_draw, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let draw = full_draw(&s, &d, vec![]).await;
    let (target, officers, stranger) = drawn(&d, &draw);
    let undrawn = (0..12)
        .map(crate::draws::code)
        .find(|c| !draw.result.iter().any(|a| &a.target == c))
        .expect("a listed target not drawn");
    let mut c = dept(&s, &d.w).await;
    let now = Utc::now();
    let submit = |source: &str, p: Payload| fact(&d.w, source, p);

    // The draw as drawn: verified, no finding.
    let ok = c
        .submit_fact(submit(
            "JC-ok",
            inspection_of(&d, &draw.name, &target, &officers, now),
        ))
        .await
        .expect("the matching inspection")
        .into_inner();
    assert!(verified(&ok), "{ok:?}");
    assert_eq!(mismatches(&ok), 0, "{:?}", ok.findings);

    // Each way around the draw: stored (the act happened), not verified,
    // DRAW_MISMATCH.
    let mut swapped = officers.clone();
    swapped[0] = stranger.clone();
    let mut plus_one = officers.clone();
    plus_one.push(stranger.clone());
    let cases = [
        (
            "JC-target",
            inspection_of(&d, &draw.name, &undrawn, &officers, now),
        ),
        (
            "JC-officer",
            inspection_of(&d, &draw.name, &target, &swapped, now),
        ),
        (
            "JC-extra",
            inspection_of(&d, &draw.name, &target, &plus_one, now),
        ),
        (
            "JC-before",
            inspection_of(&d, &draw.name, &target, &officers, now - Duration::days(2)),
        ),
        (
            "JC-nodraw",
            inspection_of(&d, "draws/no-such-draw", &target, &officers, now),
        ),
    ];
    for (source, p) in cases {
        let f = c
            .submit_fact(submit(source, p))
            .await
            .unwrap_or_else(|e| panic!("{source}: {e:?}"))
            .into_inner();
        assert!(!verified(&f), "{source}: {f:?}");
        assert_eq!(mismatches(&f), 1, "{source}: {:?}", f.findings);
    }

    // Free text is no draw: kept as sent, not verified, and no finding.
    let free = c
        .submit_fact(submit(
            "JC-free",
            inspection_of(&d, "SJ-2026-11 双随机", &target, &officers, now),
        ))
        .await
        .expect("free text")
        .into_inner();
    assert!(!verified(&free), "{free:?}");
    assert_eq!(mismatches(&free), 0);

    // The submitter cannot set draw_verified itself.
    let mut claimed = inspection_of(&d, "SJ-free", &target, &officers, now);
    if let Payload::Inspection(i) = &mut claimed {
        i.draw_verified = true;
    }
    let f = c
        .submit_fact(submit("JC-claimed", claimed))
        .await
        .expect("claimed")
        .into_inner();
    assert!(!verified(&f), "draw_verified is output only: {f:?}");

    // Another unit citing this unit's draw, with the drawn target and officers.
    let mut theirs = intake(&s, Role::Department, Some(&d.w.other.name)).await;
    let mut req = submit(
        "JC-other",
        inspection_of(&d, &draw.name, &target, &officers, now),
    );
    req.fact.as_mut().unwrap().body = d.w.other.name.clone();
    // The drawn officers are not its own: it cannot even report the
    // inspection as its act (a draw of another unit cited with the citing
    // unit's own officers is draw_match's unit test).
    let e = theirs
        .submit_fact(req)
        .await
        .expect_err("another unit's officers and draw");
    assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
    s.stop().await;
});

db_test!(
    a_draw_mismatch_outlives_correction_and_void,
    |b| async move {
        let s = TestServer::start(b).await;
        let d = setup(&s).await;
        let draw = full_draw(&s, &d, vec![]).await;
        let (target, officers, stranger) = drawn(&d, &draw);
        let mut c = dept(&s, &d.w).await;
        let now = Utc::now();
        let mut swapped = officers.clone();
        swapped[1] = stranger;
        for source in ["JC-fix", "JC-void"] {
            let f = c
                .submit_fact(fact(
                    &d.w,
                    source,
                    inspection_of(&d, &draw.name, &target, &swapped, now),
                ))
                .await
                .expect("the mismatched inspection")
                .into_inner();
            assert_eq!(mismatches(&f), 1, "{:?}", f.findings);
        }
        // Corrected to the drawn officers: this revision is verified ...
        let mut fix = fact(
            &d.w,
            "JC-fix",
            inspection_of(&d, &draw.name, &target, &officers, now),
        );
        fix.correction_reason = "录入错误: 检查人员".into();
        let fixed = c.submit_fact(fix).await.expect("correction").into_inner();
        assert!(verified(&fixed), "{fixed:?}");
        // ... and the other is voided.
        let void = c
            .lookup_fact(LookupFactRequest {
                body: d.w.dept.name.clone(),
                source_id: "JC-void".into(),
            })
            .await
            .expect("lookup")
            .into_inner();
        c.void_fact(VoidFactRequest {
            name: void.name.clone(),
            reason: "录入错误".into(),
            request_id: rid(),
        })
        .await
        .expect("void");
        // Both findings stay in force: the first revisions broke the rule.
        let listed = c
            .list_findings(ListFindingsRequest {
                filter: Some(FindingFilter {
                    body: d.w.dept.name.clone(),
                    rule: MISMATCH.into(),
                    ..Default::default()
                }),
                page_size: 10,
                page_token: String::new(),
            })
            .await
            .expect("list findings")
            .into_inner()
            .findings;
        let mut sources: Vec<&str> = listed.iter().map(|f| f.source_id.as_str()).collect();
        sources.sort();
        assert_eq!(sources, ["JC-fix", "JC-void"], "{listed:?}");
        s.stop().await;
    }
);

/// An undrawn inspection of `target` by the world's two officers, with `cause`.
pub(super) fn visit(d: &Drawn, target: &str, cause: &str, at: chrono::DateTime<Utc>) -> Payload {
    let mut p = inspection_of(
        d,
        "",
        target,
        &two(&d.w).iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        at,
    );
    if let Payload::Inspection(i) = &mut p {
        i.cause = cause.into();
    }
    p
}

pub(super) fn excessive(f: &Fact) -> usize {
    f.findings
        .iter()
        .filter(|x| x.rule == "INSPECTION_EXCESSIVE")
        .count()
}

db_test!(
    inspections_past_the_plans_cap_are_excessive,
    |b| async move {
        let s = TestServer::start(b).await;
        // The plan allows two inspections of one target a year without cause.
        let d = setup(&s).await;
        let mut c = dept(&s, &d.w).await;
        let at = Utc::now() - Duration::minutes(5);
        let target = crate::draws::code(0);
        let mut send = async |source: &str, p: Payload| {
            c.submit_fact(fact(&d.w, source, p))
                .await
                .unwrap_or_else(|e| panic!("{source}: {e:?}"))
                .into_inner()
        };
        // At the cap: no finding.
        for source in ["X1", "X2"] {
            let f = send(source, visit(&d, &target, "", at)).await;
            assert_eq!(excessive(&f), 0, "{source}: {:?}", f.findings);
        }
        // Another target has its own count.
        let f = send("Y1", visit(&d, &crate::draws::code(1), "", at)).await;
        assert_eq!(excessive(&f), 0, "{:?}", f.findings);
        // A complaint on record is a cause; a cause that is not, is none.
        send(
            "K1",
            Payload::Complaint(Complaint {
                source: ComplaintSource::Citizen as i32,
                accept_time: Some(ts(at - Duration::minutes(1))),
                officers: two(&d.w).iter().map(|o| o.to_string()).collect(),
            }),
        )
        .await;
        let f = send("X-caused", visit(&d, &target, "K1", at)).await;
        assert_eq!(excessive(&f), 0, "a cause on record: {:?}", f.findings);
        let f = send("X3", visit(&d, &target, "K-none", at)).await;
        assert_eq!(excessive(&f), 1, "past the cap: {:?}", f.findings);
        // A correction giving a cause afterwards does not take the finding away.
        let mut fix = fact(&d.w, "X3", visit(&d, &target, "K1", at));
        fix.correction_reason = "补录检查原因".into();
        c.submit_fact(fix).await.expect("correction");
        let listed = c
            .list_findings(ListFindingsRequest {
                filter: Some(FindingFilter {
                    body: d.w.dept.name.clone(),
                    rule: "INSPECTION_EXCESSIVE".into(),
                    ..Default::default()
                }),
                page_size: 10,
                page_token: String::new(),
            })
            .await
            .expect("list findings")
            .into_inner()
            .findings;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].source_id, "X3");
        s.stop().await;
    }
);
