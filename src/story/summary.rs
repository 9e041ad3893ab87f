//! The summary `probity demo` ends with: what a department head reads
//! first, then where the report and the workbook are.
use std::fmt::Write;

use probity_city::{draws::Departure, truth::Pattern};

use super::{Found, Story};

fn mark(f: Found) -> &'static str {
    match f {
        Found::Yes => "✓",
        Found::No => "✗ missed",
        Found::NotExpected => "·",
    }
}

fn state_zh(state: &str) -> &'static str {
    match state {
        "OPENED" => "立案",
        "INVESTIGATING" => "调查",
        "PROPOSED" => "处理意见",
        "DECIDED" => "决定",
        "CONTESTED" => "申诉",
        "EXECUTED" => "执行",
        "CLOSED" => "结案",
        "DISMISSED" => "撤销立案",
        _ => "",
    }
}

fn pattern_label(p: Pattern) -> &'static str {
    match p {
        Pattern::OverturnedDecisions => "错案较多 many decisions overturned",
        Pattern::AuxiliaryAlone => "辅助人员单独执法 auxiliary acting alone",
        Pattern::OutsideBenchmark => "超出裁量基准 penalties outside the benchmark",
        Pattern::ActingWithoutValidCredential => "无有效证件执法 acting without a valid credential",
        Pattern::MajorWithoutLegalReview => "重大决定未经法制审核 major decisions unreviewed",
        Pattern::VoidsFindings => "作废有问题的记录 voiding facts with findings",
        Pattern::BackdatesCredential => "倒签证件 backdating a credential",
        Pattern::OutstandingOfficer => "优秀执法人员 outstanding officer",
        Pattern::OutstandingDepartment => "优秀执法部门 outstanding department",
        Pattern::BelowThresholdOfficer => "低于考核线 officer below the threshold",
        Pattern::FailingDepartment => "考核不合格 failing department",
    }
}

/// The summary as text (printed by the demo, kept beside the report).
pub fn print(s: &Story) -> String {
    let mut o = String::new();
    let c = &s.city.counts;
    let _ = writeln!(
        o,
        "\n尚志市 {} 年度行政执法责任制考核 The {} assessment of a synthetic city (seed {})",
        s.city.plan.year, s.city.plan.year, s.city.plan.seed
    );
    let _ = writeln!(
        o,
        "  {} 个执法主体 bodies · {} 名执法人员 officers ({} 辅助 auxiliaries) · {} 条执法数据 facts",
        c.bodies, c.officers, c.auxiliaries, c.facts
    );
    departments(&mut o, s);
    officers(&mut o, s);
    cases(&mut o, s);
    patterns(&mut o, s);
    draws(&mut o, s);
    let _ = writeln!(o, "\n文件 Files");
    for (what, file) in [
        ("报告 report (HTML, prints on A4)", "report.html"),
        ("工作簿 workbook", "rankings.xlsx"),
    ] {
        let _ = writeln!(o, "  {what}: {}", s.run_dir.join(file).display());
    }
    let _ = writeln!(o, "  埋设事实 ground truth: {}", s.truth_file.display());
    let _ = writeln!(o, "  抽取记录 draw records: {}", s.draws.dir.display());
    let _ = writeln!(o, "\n用时 Time by stage");
    for (stage, secs) in &s.stages {
        let _ = writeln!(o, "  {stage}: {secs:.1} s");
    }
    o
}

fn departments(o: &mut String, s: &Story) {
    let ranked = s.tables.departments_by_rank();
    let _ = writeln!(o, "\n执法部门排名 Departments ({} ranked)", ranked.len());
    let n = ranked.len();
    for (i, d) in ranked.iter().enumerate() {
        if i < 3 || i + 3 >= n {
            let flag = if d.failing {
                "  考核不合格 failing (Art. 6)"
            } else if d.outstanding {
                "  优秀 outstanding"
            } else {
                ""
            };
            let _ = writeln!(o, "  {:>2}. {}  {:.2}{flag}", i + 1, d.name, d.score);
        } else if i == 3 {
            let _ = writeln!(o, "      …");
        }
    }
}

fn officers(o: &mut String, s: &Story) {
    let flagged: Vec<_> = s.tables.officers.iter().filter(|r| r.flagged()).collect();
    let _ = writeln!(o, "\n需关注人员 Flagged officers: {}", flagged.len());
    for r in flagged.iter().take(10) {
        let _ = writeln!(
            o,
            "  {} ({})  {:.2}  低于第二十条第二款考核线 below the Art. 20(2) line",
            r.name, r.body_name, r.score
        );
    }
}

fn cases(o: &mut String, s: &Story) {
    let c = &s.cases;
    let _ = writeln!(
        o,
        "\n责任追究案件 Cases: {} opened, {} decided or later",
        c.total, c.decided_or_later
    );
    for (state, n) in &c.by_state {
        let _ = writeln!(o, "  {} {state}: {n}", state_zh(state));
    }
    let l = &s.closed;
    let _ = writeln!(
        o,
        "  闭环 The loop: {}'s credential withheld by their unit (Art. 20) ({}), the next act recorded with {}, which raised {}",
        l.officer_name,
        l.decided.name,
        l.next_act
            .findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        l.raised
            .as_ref()
            .map_or("no case".to_string(), |c| c.name.clone()),
    );
}

fn patterns(o: &mut String, s: &Story) {
    let found = s.checks.iter().filter(|c| !c.missed()).count();
    let _ = writeln!(
        o,
        "\n埋设模式 Planted patterns: {found} of {} found (finding / rankings / case)",
        s.checks.len()
    );
    for c in &s.checks {
        let _ = writeln!(
            o,
            "  {} {} {}  {}: {}",
            mark(c.finding),
            mark(c.rankings),
            mark(c.case),
            pattern_label(c.planted.pattern),
            c.planted.subject.display_name,
        );
    }
    let _ = writeln!(
        o,
        "  误报 False flags on subjects nothing was planted on: {}",
        s.false_flags.len()
    );
    let b = &s.city.truth.backdate;
    let _ = writeln!(
        o,
        "  倒签证件 The backdated card: {}",
        match (b.refused, &b.reason) {
            (Some(true), Some(r)) => format!("refused ({r})"),
            (Some(true), None) => "refused".to_string(),
            _ => "accepted ✗".to_string(),
        }
    );
}

fn departure_label(d: Departure) -> &'static str {
    match d {
        Departure::OtherOfficer => "另派人员 an officer the draw did not pick (DRAW_MISMATCH)",
        Departure::Excessive => {
            "超过抽查计划次数 a target inspected past the plan's cap (INSPECTION_EXCESSIVE, Art. 19(8))"
        }
        Departure::Undrawn => "未经抽取 routine inspections not drawn (Art. 19(7))",
    }
}

fn draws(o: &mut String, s: &Story) {
    let p = &s.draws;
    let units = &p.draws.units;
    let year = units.first().map_or(0, |u| u.year);
    let (drawn, verified, routine) = units.iter().fold((0, 0, 0), |(d, v, r), u| {
        (d + u.drawn_targets, v + u.verified, r + u.inspections)
    });
    let _ = writeln!(
        o,
        "\n双随机一公开 Draws ({year}, after the ranked year): {} units drew {drawn} targets; \
         {verified} of {routine} routine inspections verified as drawn",
        units.len()
    );
    for n in &p.draws.not_drawn {
        let _ = writeln!(o, "  {}: no draw ({})", n.key, n.reason);
    }
    let _ = writeln!(
        o,
        "  单位 unit: 抽取 drawn · 核验 verified / 日常检查 routine (plan {}%)",
        probity_city::draws::DRAWN_SHARE / 100
    );
    for u in units {
        let _ = writeln!(
            o,
            "  {}  {} · {} / {}  {}%{}",
            u.display_name,
            u.drawn_targets,
            u.verified,
            u.inspections,
            u.drawn_share() / 100,
            if u.below_plan() {
                "  低于抽查计划 below plan"
            } else {
                ""
            }
        );
    }
    let found = p.checks.iter().filter(|c| !c.missed()).count();
    let _ = writeln!(
        o,
        "  埋设 Planted departures: {found} of {} found",
        p.checks.len()
    );
    for c in &p.checks {
        let _ = writeln!(
            o,
            "  {}  {}: {}",
            mark(c.found),
            departure_label(c.departure),
            c.unit
        );
    }
    let _ = writeln!(
        o,
        "  误报 Units departing with nothing planted: {}",
        p.strays.len()
    );
    let _ = writeln!(
        o,
        "  一公开 Published records recomputed offline: {} of {} match{}",
        p.records_checked - p.records_differing.len(),
        p.records_checked,
        p.sample()
            .map(|f| format!("; check one: probity draw verify {}", f.display()))
            .unwrap_or_default()
    );
    for d in &p.records_differing {
        let _ = writeln!(o, "    ✗ {d}");
    }
}
