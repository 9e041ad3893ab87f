//! Files for people: the HTML report leadership reads (an opening page with
//! the year's headline, then the rankings and a page per department; prints
//! on A4 landscape) and the Excel workbook with the same sheets. Both are
//! made from one [`model::Model`] of the run's tables and the report inputs,
//! and print names, never resource ids.
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::{plan::Plan, report_inputs::ReportInputs};

pub mod charts;
pub mod html;
pub mod labels;
pub mod model;
pub mod workbook;

pub struct Context<'a> {
    pub plan: &'a Plan,
    pub year: i32,
    pub as_of: NaiveDate,
    pub run_id: &'a str,
    pub finalized: bool,
    pub officers: &'a DataFrame,
    pub departments: &'a DataFrame,
    /// Lower governments, ranked among themselves (Art. 4).
    pub towns: &'a DataFrame,
    /// The year's cases, the previous year's sealed ranks, the superior
    /// assessments of vertically managed bodies.
    pub beside: &'a ReportInputs,
    /// Each unit's drawn share by power beside its plan's (Art. 19(7));
    /// `None`: not available in this run (or inputs made without the
    /// services).
    pub drawn: Option<&'a [crate::drawn_share::DrawnShareRow]>,
}

pub fn workbook(ctx: &Context<'_>, path: &Path) -> anyhow::Result<()> {
    workbook::write(&model::Model::new(ctx), path)
}

pub fn html(ctx: &Context<'_>, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, html::render(&model::Model::new(ctx)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! A larger city than the integration tests build: long department
    //! names, several peer groups of officers, flags. The HTML must name
    //! everyone and never print an id; `PROBITY_REPORT_SAMPLE=DIR` keeps
    //! the files there to be looked at (or rendered).
    use polars::prelude::*;

    use super::*;
    use crate::report_inputs::{CaseRow, NoticeRow, Previous, PreviousRank};

    const DEPARTMENTS: &[&str] = &[
        "尚志市住房和城乡建设局综合行政执法大队",
        "尚志市市场监督管理局",
        "尚志市交通运输局",
        "尚志市生态环境局",
        "尚志市自然资源局",
        "尚志市应急管理局",
        "尚志市卫生健康局卫生监督所",
        "尚志市农业农村局农业综合行政执法大队",
        "尚志市文化广电和旅游局",
        "尚志市水务局",
        "尚志市林业和草原局",
        "尚志市人力资源和社会保障局劳动保障监察大队",
    ];
    const NAMES: &[&str] = &["张三明", "李四", "王五", "赵六", "欧阳明华", "钱七", "孙八"];

    /// A number in 0..1 from a seed, the same every run.
    fn noise(seed: usize) -> f64 {
        ((seed as u64)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
            >> 33) as f64
            / (1u64 << 31) as f64
    }

    fn frame(plan: &Plan, officers: bool) -> DataFrame {
        let level = if officers {
            &plan.officers
        } else {
            &plan.departments
        };
        let per_body = if officers { NAMES.len() } else { 1 };
        let n = DEPARTMENTS.len() * per_body;
        let body: Vec<String> = (0..n)
            .map(|i| format!("bodies/{:032x}", 0xb0d1e5 + i / per_body))
            .collect();
        // ranks follow the scores: best first within each group
        let rank: Vec<i64> = (0..n)
            .map(|i| if officers { i % per_body } else { i } as i64 + 1)
            .collect();
        let group_size = if officers { per_body } else { n } as i64;
        let score: Vec<f64> = rank
            .iter()
            .map(|r| 88.0 - 60.0 * (*r - 1) as f64 / group_size as f64)
            .collect();
        let mut cols = vec![
            Column::new("body".into(), body.clone()),
            Column::new(
                "body_name".into(),
                (0..n)
                    .map(|i| DEPARTMENTS[i / per_body].to_string())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "peer_group".into(),
                if officers {
                    body.clone()
                } else {
                    vec!["all".to_string(); n]
                },
            ),
            Column::new(
                "peer_group_name".into(),
                (0..n)
                    .map(|i| {
                        if officers {
                            DEPARTMENTS[i / per_body].to_string()
                        } else {
                            crate::output::ALL_DEPARTMENTS.to_string()
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
            Column::new("ranked".into(), vec![true; n]),
            Column::new("rank".into(), rank),
            Column::new("peer_n".into(), vec![group_size; n]),
            Column::new("score".into(), score.clone()),
            Column::new("percentile".into(), vec![50.0; n]),
            Column::new("peer_mean".into(), vec![60.0; n]),
            Column::new("days_in_post".into(), vec![365.0; n]),
            Column::new(
                "below_threshold".into(),
                score
                    .iter()
                    .map(|s| officers && *s < 40.0)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "failing".into(),
                score.iter().map(|s| *s < 30.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "outstanding".into(),
                score.iter().map(|s| *s > 83.0).collect::<Vec<_>>(),
            ),
            Column::new("officer_spread".into(), vec![4.5; n]),
            Column::new("officers_ranked".into(), vec![NAMES.len() as i64; n]),
        ];
        if officers {
            cols.push(Column::new(
                "officer".into(),
                (0..n)
                    .map(|i| format!("officers/{:032x}", 0x0ff1ce + i))
                    .collect::<Vec<_>>(),
            ));
            cols.push(Column::new(
                "officer_name".into(),
                (0..n)
                    .map(|i| NAMES[i % per_body].to_string())
                    .collect::<Vec<_>>(),
            ));
        }
        for (k, w) in level.indicators.iter().enumerate() {
            let v: Vec<f64> = (0..n).map(|i| noise(i * 31 + k)).collect();
            cols.push(Column::new(format!("v_{}", w.indicator).into(), v.clone()));
            cols.push(Column::new(
                format!("g_{}", w.indicator).into(),
                vec![0.5; n],
            ));
            cols.push(Column::new(
                format!("c_{}", w.indicator).into(),
                v.iter().map(|x| 100.0 * w.weight * x).collect::<Vec<_>>(),
            ));
        }
        DataFrame::new_infer_height(cols).unwrap()
    }

    #[test]
    fn a_larger_city_is_named_and_paged() {
        let plan = Plan::parse(crate::plan::DEFAULT).unwrap();
        let (officers, departments) = (frame(&plan, true), frame(&plan, false));
        // Two towns: the departments' columns, a group of their own.
        const TOWNS: &[&str] = &["尚志市一面坡镇人民政府", "尚志市苇河镇人民政府"];
        let mut towns = departments.head(Some(TOWNS.len()));
        for (name, values) in [
            (
                "body",
                (0..TOWNS.len())
                    .map(|i| format!("bodies/{:032x}", 0x7042 + i))
                    .collect::<Vec<_>>(),
            ),
            ("body_name", TOWNS.iter().map(|t| t.to_string()).collect()),
            ("peer_group", vec![crate::output::TOWNS.to_string(); 2]),
            (
                "peer_group_name",
                vec![crate::output::TOWNS_GROUP.to_string(); 2],
            ),
        ] {
            towns.with_column(Column::new(name.into(), values)).unwrap();
        }
        let beside = ReportInputs {
            cases: Some(vec![CaseRow {
                case: "cases/1".into(),
                subject: "officers/00000000000000000000000000ff1ce".into(),
                subject_kind: "SUBJECT_KIND_OFFICER".into(),
                subject_name: "张三明".into(),
                origin: "ORIGIN_KIND_FINDING".into(),
                state: "CASE_STATE_INVESTIGATING".into(),
                opened_us: crate::day_start_us(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
                decided_us: None,
                dismissed_us: None,
            }]),
            previous: Previous {
                year: 2025,
                run: "runs/r2025".into(),
                as_of: "2025-12-31".into(),
                sealed: true,
                departments: (0..DEPARTMENTS.len())
                    .map(|i| PreviousRank {
                        subject: format!("bodies/{:032x}", 0xb0d1e5 + i),
                        display_name: DEPARTMENTS[i].into(),
                        rank: (DEPARTMENTS.len() - i) as i32,
                        peer_size: DEPARTMENTS.len() as i32,
                        score: 60.0,
                    })
                    .collect(),
                towns: Vec::new(),
            },
            superior: Vec::new(),
            notices: Some(vec![NoticeRow {
                name: "notices/0123456789abcdef0123456789abcdef".into(),
                number: "尚政通〔2026〕1号".into(),
                title: "关于对尚志市市场监督管理局执法人员张三明给予通报批评的通报".into(),
                kind: "NOTICE_KIND_CRITICISM".into(),
                issuer: "尚志市市场监督管理局".into(),
                issue_date: "2026-05-06".into(),
                html: "<html></html>".into(),
            }]),
        };
        // The first department below its plan, the second at it.
        let drawn = [(0, 5, 10, true), (1, 8, 10, false)].map(|(i, drawn, routine, below)| {
            crate::drawn_share::DrawnShareRow {
                body: format!("bodies/{:032x}", 0xb0d1e5 + i),
                power: format!("bodies/{:032x}/powers/p", 0xb0d1e5 + i),
                routine,
                drawn,
                plan_bp: Some(8_000),
                below_plan: below,
            }
        });
        let ctx = Context {
            plan: &plan,
            year: 2026,
            as_of: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            run_id: "0123456789abcdef",
            finalized: true,
            officers: &officers,
            departments: &departments,
            towns: &towns,
            beside: &beside,
            drawn: Some(&drawn),
        };
        let page = html::render(&model::Model::new(&ctx));
        let text: String = page
            .split('<')
            .filter_map(|t| t.split_once('>'))
            .filter(|(tag, _)| !tag.starts_with("style"))
            .map(|(_, text)| text)
            .collect();
        assert!(!text.contains("bodies/") && !text.contains("officers/"));
        assert!(
            page.contains("data-subject=\"bodies/"),
            "ids stay for tooling"
        );
        assert_eq!(
            page.matches("<section class=\"page department\"").count(),
            DEPARTMENTS.len()
        );
        // The towns: their own ranking, none in the departments', a page each.
        assert_eq!(
            page.matches("<section class=\"page town\"").count(),
            TOWNS.len()
        );
        let (depts_at, towns_at) = (
            page.find("id=\"ranking-department\"").unwrap(),
            page.find("id=\"ranking-town\"").unwrap(),
        );
        assert!(page[towns_at..].contains(TOWNS[0]));
        for t in TOWNS {
            assert!(
                !page[depts_at..towns_at].contains(t),
                "{t} in the departments' ranking"
            );
        }
        for d in DEPARTMENTS {
            assert!(text.contains(d), "{d}");
        }
        assert!(text.contains("定稿 Final"));
        // Art. 19(7): the drawn share beside the plan's.
        assert!(
            text.contains("50.0% / 80.0% ✗ 低于计划 below plan"),
            "drawn share"
        );
        assert!(text.contains("80.0% / 80.0%"));
        // The year's notices, each linked to its document beside the report.
        assert!(text.contains("尚政通〔2026〕1号"));
        assert!(page.contains("href=\"notices/0123456789abcdef0123456789abcdef.html\""));
        if let Ok(dir) = std::env::var("PROBITY_REPORT_SAMPLE") {
            let dir = std::path::Path::new(&dir);
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("report.html"), &page).unwrap();
            workbook(&ctx, &dir.join("rankings.xlsx")).unwrap();
        }
    }
}
