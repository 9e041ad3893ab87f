//! CSV cells a spreadsheet would read as a formula. A display name or a body
//! name is chosen by a department: one that begins with `=`, `+`, `-`, `@`,
//! a tab or a carriage return would run as a formula when the office opens
//! the CSV in a spreadsheet, so such text cells get a leading single quote
//! (OWASP's advice for CSV injection). Only text columns are touched: a
//! negative number stays a number, and the Parquet tables keep the text as
//! it was recorded.
use std::borrow::Cow;

use polars::prelude::*;

/// The characters a spreadsheet starts a formula with.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a CSV cell that no spreadsheet evaluates.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `df` with every text cell neutralized, for writing as CSV.
pub fn for_csv(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut out = df.clone();
    for name in df.get_column_names_owned() {
        let column = df.column(&name)?;
        if column.dtype() != &DataType::String {
            continue;
        }
        let fixed: StringChunked = column
            .str()?
            .iter()
            .map(|v| v.map(|s| neutralize(s).into_owned()))
            .collect();
        out.replace(&name, fixed.with_name(name.clone()).into_column())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_numbers_are_not() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(bad), format!("'{bad}"), "{bad:?}");
        }
        for fine in ["尚志市公安局", "a=b", "", "1-2"] {
            assert_eq!(neutralize(fine), fine);
        }
        let df = df!(
            "display_name" => ["=HYPERLINK(\"http://x\")", "张三"],
            "score" => [-1.5f64, 2.0],
            "delta" => [-3i64, 4],
        )
        .unwrap();
        let safe = for_csv(&df).unwrap();
        let names: Vec<_> = safe
            .column("display_name")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        assert_eq!(names, ["'=HYPERLINK(\"http://x\")", "张三"]);
        use crate::columns::f64s;
        assert_eq!(f64s(&safe, "score"), [Some(-1.5), Some(2.0)]);
        assert_eq!(f64s(&safe, "delta"), [Some(-3.0), Some(4.0)]);
        assert_eq!(safe.column("delta").unwrap().dtype(), &DataType::Int64);
    }
}
