//! Who carries which planted pattern: the departments of the department-level
//! patterns, and the hosts of the officer-level ones.
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::MAJOR_FINE_FEN;
use crate::catalog::{self, Cat, DeptT};

/// The bodies that carry the department-level patterns, and the hosts of
/// the officer-level ones.
pub(super) struct Placement {
    pub(super) outstanding: usize,
    pub(super) failing: usize,
    pub(super) no_review: usize,
    pub(super) voider: usize,
    pub(super) backdater: usize,
    pub(super) twin_small: usize,
    pub(super) twin_large: usize,
    pub(super) performers: usize,
    pub(super) overturned: usize,
    pub(super) benchmark: usize,
    pub(super) auxiliary: usize,
    pub(super) expired: usize,
}

pub(super) fn place(rng: &mut ChaCha8Rng, depts: &[(usize, &DeptT)]) -> Placement {
    let twin = |code: &str| {
        depts
            .iter()
            .find(|(_, d)| d.code == code)
            .map_or(0, |(i, _)| *i)
    };
    let (twin_small, twin_large) = (twin(catalog::TWINS.0), twin(catalog::TWINS.1));
    let mut order: Vec<(usize, &DeptT)> = depts
        .iter()
        .copied()
        .filter(|(i, _)| *i != twin_small && *i != twin_large)
        .collect();
    order.shuffle(rng);
    let majors_possible = |d: &DeptT| {
        d.powers
            .iter()
            .any(|p| p.cat == Cat::Penalty && p.max_yuan * 100 >= MAJOR_FINE_FEN * 10 / 7)
    };
    // The first in the shuffled order that fits (the first at all if none
    // does).
    let mut take = |fits: &dyn Fn(&DeptT) -> bool| {
        let at = order.iter().position(|(_, d)| fits(d)).unwrap_or(0);
        order.remove(at).0
    };
    let no_review = take(&majors_possible);
    // Rates are shrunk toward the group's (rate_prior): the failing and
    // the outstanding department need the volume to stand apart. The
    // failing one's major decisions are all findings: fines that seldom
    // make one keep them few.
    let failing = take(&|d| d.size >= 5 && d.powers.iter().all(|p| p.max_yuan <= 100_000));
    let outstanding = take(&|d| d.size >= 5);
    let any = |_: &DeptT| true;
    let (voider, backdater) = (take(&any), take(&any));
    let mut free: Vec<usize> = order.iter().map(|(b, _)| *b).collect();
    // The biggest free department hosts the performers (their peers are
    // its officers); the others and the three fallbacks take the rest.
    free.sort_by_key(|b| {
        std::cmp::Reverse(
            depts
                .iter()
                .find(|(i, _)| i == b)
                .map_or(0, |(_, d)| d.size),
        )
    });
    let mut hosts = free;
    hosts.extend([no_review, voider, backdater]);
    let host = |i: usize| hosts[i % hosts.len()];
    Placement {
        outstanding,
        failing,
        no_review,
        voider,
        backdater,
        twin_small,
        twin_large,
        performers: host(0),
        overturned: host(1),
        benchmark: host(2),
        auxiliary: host(3),
        expired: host(4),
    }
}
