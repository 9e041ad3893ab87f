//! 一公开: the results of a draw's inspections, to anyone. What the draw
//! decided comes from the draws service (the unit cannot shorten the list);
//! what was done comes from intake's own verified facts (the unit cannot
//! show an inspection that did not match the draw).
use std::sync::Arc;

use probity_common::{
    AppError, AppResult, Violations,
    names::{page, page_of, parse_top},
};
use probity_proto::{
    draws::v1::DrawState,
    intake::v1::{
        DrawnInspection, InspectionOutcome, ListDrawnInspectionsRequest,
        ListDrawnInspectionsResponse, public_inspections_service_server::PublicInspectionsService,
    },
};

use super::Ctx;
use crate::{Intake, store};

pub struct PublicInspectionsApi(pub Arc<Intake>);

probity_common::rpc_methods! {
    impl PublicInspectionsService for PublicInspectionsApi as "probity.intake.v1.PublicInspectionsService" {
        list_drawn_inspections("ListDrawnInspections", ListDrawnInspectionsRequest) -> ListDrawnInspectionsResponse => list_drawn_inspections;
    }
}

async fn list_drawn_inspections(
    intake: &Intake,
    _ctx: &Ctx,
    r: ListDrawnInspectionsRequest,
) -> AppResult<ListDrawnInspectionsResponse> {
    let mut v = Violations::new();
    v.check(
        parse_top(&r.draw, "draws").is_some(),
        "draw",
        "must be draws/{draw}",
    );
    let page = page(&mut v, r.page_size, &r.page_token, &r.draw);
    v.finish()?;
    let draw = intake
        .draws
        .draws(std::slice::from_ref(&r.draw), &mut Default::default())
        .await?
        .remove(&r.draw)
        .flatten()
        .ok_or_else(|| AppError::not_found(r.draw.clone()))?;
    let mut out = ListDrawnInspectionsResponse {
        draw: draw.name.clone(),
        unit: draw.unit.clone(),
        inspections: Vec::new(),
        next_page_token: String::new(),
    };
    // Only a DRAWN draw has a result; a pending or abandoned one shows no
    // targets (its record is public at the draws service).
    if draw.state != DrawState::Drawn as i32 {
        return Ok(out);
    }
    let done = store::drawn::verified_by_target(&intake.store.db, &draw.name).await?;
    let rows: Vec<(usize, DrawnInspection)> = draw
        .result
        .iter()
        .enumerate()
        .map(|(n, a)| {
            (
                n,
                match done.get(&a.target) {
                    Some(i) => DrawnInspection {
                        target: a.target.clone(),
                        inspected: true,
                        inspect_time: i.inspect_time,
                        outcome: i.outcome,
                    },
                    None => DrawnInspection {
                        target: a.target.clone(),
                        inspected: false,
                        inspect_time: None,
                        outcome: InspectionOutcome::Unspecified as i32,
                    },
                },
            )
        })
        .collect();
    // Pages follow the draw's order: the key is the position, padded to
    // compare as text.
    let (rows, next) = page_of(rows, &page, &r.draw, |(n, _)| format!("{n:08}"));
    out.inspections = rows.into_iter().map(|(_, i)| i).collect();
    out.next_page_token = next;
    Ok(out)
}
