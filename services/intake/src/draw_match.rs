//! An inspection against the draw it cites (双随机, Art. 9(4), 19(7)): the
//! unit cannot make an inspection random by naming a draw, only by doing
//! what the draw decided. The cited draw must be the inspecting unit's own,
//! under the inspection's power, DRAWN; the target must be in its result;
//! the inspecting officers must be exactly those drawn for that target; and
//! the inspection must fall within the draw's window (reveal_time ..
//! window_end_time). Anything else is DRAW_MISMATCH and the inspection is
//! not verified. A random_draw that is not a draw's name is not a draw: not
//! verified, no finding (the unit claimed nothing Probity can check).
use std::collections::{BTreeSet, HashMap};

use probity_common::names::{parse_top, ts_us};
use probity_proto::{
    draws::v1::{Draw, DrawState},
    intake::v1::{Inspection, fact::Payload},
};
use probity_rules::catalogue as rules;

use crate::{checks::Prepared, findings::Found};

/// The draw names the submissions' inspections cite, once each.
pub fn cited(prepared: &[probity_common::AppResult<Prepared>]) -> Vec<String> {
    let mut names: Vec<String> = prepared
        .iter()
        .filter_map(|p| match p.as_ref().ok()?.fact.payload.as_ref() {
            Some(Payload::Inspection(i)) => draw_name(&i.random_draw),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// (body, power, year in the city's time) of each inspection submitted,
/// once each: the plans whose caps bind them (INSPECTION_EXCESSIVE).
pub fn plan_keys(prepared: &[probity_common::AppResult<Prepared>]) -> Vec<PlanKey> {
    let mut keys: Vec<PlanKey> = prepared
        .iter()
        .filter_map(|p| {
            let p = p.as_ref().ok()?;
            matches!(p.fact.payload, Some(Payload::Inspection(_)))
                .then(|| (p.fact.body.clone(), p.power.clone(), year_of(p.occurred_us)))
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// What binds a judged inspection under the writer's lock: the slot of the
/// draw it matched, the cap of its plan; None when neither does.
pub fn bound(p: &Prepared, caps: &HashMap<PlanKey, Option<i32>>) -> Option<crate::writer::Bound> {
    let Some(Payload::Inspection(i)) = p.fact.payload.as_ref() else {
        return None;
    };
    let key = (p.fact.body.clone(), p.power.clone(), year_of(p.occurred_us));
    let b = crate::writer::Bound {
        slot: i.draw_verified.then(|| draw_name(&i.random_draw)).flatten(),
        cap: caps.get(&key).copied().flatten(),
    };
    (b != crate::writer::Bound::default()).then_some(b)
}

/// A plan's unit, power and year.
pub type PlanKey = (String, String, i32);

/// The calendar year (in the city's time) of an instant, in microseconds.
pub use probity_rules::city::year_of_us as year_of;

/// [start, end) of a calendar year in the city's time, in microseconds.
pub fn year_span(year: i32) -> (i64, i64) {
    use probity_rules::city::year_start_us;
    (year_start_us(year), year_start_us(year + 1))
}

/// `draws/{draw}`, or None for free text.
fn draw_name(s: &str) -> Option<String> {
    parse_top(s, "draws").map(|_| s.to_string())
}

/// Marks an inspection verified when it matches its draw, else adds the
/// finding. Other facts are left as they are.
pub fn judge(p: &mut Prepared, draws: &HashMap<String, Option<Draw>>, found: &mut Vec<Found>) {
    let body = p.fact.body.clone();
    let Some(Payload::Inspection(i)) = p.fact.payload.as_mut() else {
        return;
    };
    let Some(name) = draw_name(&i.random_draw) else {
        i.draw_verified = false;
        return;
    };
    match mismatch(i, &body, draws.get(&name).and_then(Option::as_ref)) {
        None => i.draw_verified = true,
        Some(why) => {
            i.draw_verified = false;
            found.push(Found {
                rule: rules::DRAW_MISMATCH,
                officer: String::new(),
                detail: format!("{name}: {why}"),
            });
        }
    }
}

/// Why the inspection does not match the draw, or None when it does.
fn mismatch(i: &Inspection, body: &str, draw: Option<&Draw>) -> Option<String> {
    let Some(d) = draw else {
        return Some("no such draw".into());
    };
    if d.unit != body {
        return Some(format!("a draw of {}, not of {body}", d.unit));
    }
    if d.power != i.power {
        return Some(format!("drawn under {}, not {}", d.power, i.power));
    }
    if d.state != DrawState::Drawn as i32 {
        let state = DrawState::try_from(d.state).unwrap_or_default();
        return Some(format!("not drawn ({})", state.as_str_name()));
    }
    let Some(drawn) = d.result.iter().find(|a| a.target == i.target) else {
        return Some(format!("target {} was not drawn", i.target));
    };
    let sent: BTreeSet<&str> = i.officers.iter().map(String::as_str).collect();
    let chosen: BTreeSet<&str> = drawn.officers.iter().map(String::as_str).collect();
    if sent != chosen {
        let extra: Vec<&str> = sent.difference(&chosen).copied().collect();
        let missing: Vec<&str> = chosen.difference(&sent).copied().collect();
        return Some(format!(
            "officers not drawn for {}: [{}]; drawn but absent: [{}]",
            i.target,
            extra.join(", "),
            missing.join(", ")
        ));
    }
    let at = i.inspect_time.as_ref().map(ts_us);
    let from = d.reveal_time.as_ref().map(ts_us);
    let until = d.window_end_time.as_ref().map(ts_us);
    match (at, from, until) {
        (Some(at), Some(from), Some(until)) if from <= at && at <= until => None,
        _ => Some("inspect_time outside the draw's window (reveal_time .. window_end_time)".into()),
    }
}

#[cfg(test)]
mod tests {
    use probity_proto::draws::v1::Assignment;
    use prost_types::Timestamp;

    use super::*;

    fn ts(s: i64) -> Option<Timestamp> {
        Some(Timestamp {
            seconds: s,
            nanos: 0,
        })
    }

    fn draw() -> Draw {
        Draw {
            name: "draws/d1".into(),
            unit: "bodies/u".into(),
            power: "bodies/u/powers/p".into(),
            state: DrawState::Drawn as i32,
            result: vec![Assignment {
                target: "T1".into(),
                officers: vec!["officers/a".into(), "officers/b".into()],
            }],
            reveal_time: ts(100),
            window_end_time: ts(200),
            ..Default::default()
        }
    }

    fn inspection() -> Inspection {
        Inspection {
            power: "bodies/u/powers/p".into(),
            officers: vec!["officers/b".into(), "officers/a".into()],
            target: "T1".into(),
            inspect_time: ts(150),
            random_draw: "draws/d1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_door_is_closed() {
        let d = draw();
        assert_eq!(mismatch(&inspection(), "bodies/u", Some(&d)), None);
        assert!(mismatch(&inspection(), "bodies/v", Some(&d)).is_some());
        assert!(mismatch(&inspection(), "bodies/u", None).is_some());
        let mut i = inspection();
        i.target = "T2".into();
        assert!(mismatch(&i, "bodies/u", Some(&d)).is_some());
        let mut i = inspection();
        i.officers[0] = "officers/c".into();
        assert!(mismatch(&i, "bodies/u", Some(&d)).is_some());
        let mut i = inspection();
        i.officers.push("officers/c".into());
        assert!(mismatch(&i, "bodies/u", Some(&d)).is_some());
        for t in [99, 201] {
            let mut i = inspection();
            i.inspect_time = ts(t);
            assert!(mismatch(&i, "bodies/u", Some(&d)).is_some(), "{t}");
        }
        let mut i = inspection();
        i.power = "bodies/u/powers/q".into();
        assert!(mismatch(&i, "bodies/u", Some(&d)).is_some());
        let mut undrawn = draw();
        undrawn.state = DrawState::Committed as i32;
        assert!(mismatch(&inspection(), "bodies/u", Some(&undrawn)).is_some());
    }
}
