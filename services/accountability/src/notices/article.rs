//! Articles as an official document cites them: "Art. 20(5)" is
//! 第二十条第（五）项 in the regulation's own numbering.

/// A number 1-99 in Chinese numerals (二十, 十五, 九).
pub fn numeral(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n as usize].to_string(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        _ => n.to_string(),
    }
}

/// One citation ("Art. 20(5)", "Art. 6") in Chinese; the text as given
/// when it is not in that shape.
fn one(citation: &str) -> String {
    let Some(rest) = citation.trim().strip_prefix("Art. ") else {
        return citation.trim().to_string();
    };
    let (article, item) = match rest.split_once('(') {
        Some((a, i)) => (a, i.strip_suffix(')')),
        None => (rest, None),
    };
    let Ok(article) = article.trim().parse::<u32>() else {
        return citation.trim().to_string();
    };
    let mut out = format!("第{}条", numeral(article));
    if let Some(item) = item.and_then(|i| i.parse::<u32>().ok()) {
        out.push_str(&format!("第（{}）项", numeral(item)));
    }
    out
}

/// Citations joined by commas ("Art. 16, 19(9)") in Chinese, each with
/// its article: 第十六条、第十九条第（九）项.
pub fn zh(citations: &str) -> String {
    citations
        .split([',', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        // "Art. 16, 19(9)": the ones after the first omit "Art.".
        .map(|c| match c.starts_with(|d: char| d.is_ascii_digit()) {
            true => one(&format!("Art. {c}")),
            false => one(c),
        })
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_read_as_the_regulation_numbers_them() {
        assert_eq!(zh("Art. 20(5)"), "第二十条第（五）项");
        assert_eq!(zh("Art. 6"), "第六条");
        assert_eq!(zh("Art. 16, 19(9)"), "第十六条、第十九条第（九）项");
        assert_eq!(zh("Art. 19(17)"), "第十九条第（十七）项");
        assert_eq!(zh("Art. 10"), "第十条");
        assert_eq!(zh("Art. 21"), "第二十一条");
        assert_eq!(zh("see the file"), "see the file");
    }
}
