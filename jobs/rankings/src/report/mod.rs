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
    /// The year's cases and the previous year's sealed ranks.
    pub beside: &'a ReportInputs,
}

pub fn workbook(ctx: &Context<'_>, path: &Path) -> anyhow::Result<()> {
    workbook::write(&model::Model::new(ctx), path)
}

pub fn html(ctx: &Context<'_>, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, html::render(&model::Model::new(ctx)))?;
    Ok(())
}
