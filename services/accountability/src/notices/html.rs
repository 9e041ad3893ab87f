//! A notice as an HTML page in the form of an official document: the
//! issuer's red header, the number, the title, the addressee, the body,
//! the issuer and date at the foot; A4 portrait when printed.
use probity_common::html::escape as esc;

use super::{NoticeRecord, date_zh};

const STYLE: &str = "\
@page { size: A4 portrait; margin: 37mm 26mm 35mm 28mm; }
body { font-family: 'Noto Serif CJK SC', 'Noto Serif SC', serif; font-size: 15pt; line-height: 1.8; color: #000; max-width: 156mm; margin: 2em auto; }
.issuer { color: #c00; text-align: center; font-size: 26pt; letter-spacing: 0.1em; font-weight: bold; margin: 0; }
.number { text-align: center; margin: 0.6em 0 0.2em; }
hr.red { border: 0; border-top: 2px solid #c00; margin: 0 0 1.2em; }
h1 { font-size: 19pt; text-align: center; font-weight: bold; margin: 0.8em 0; }
p { margin: 0; text-indent: 2em; overflow-wrap: anywhere; }
p.addressee { text-indent: 0; }
.foot { text-align: right; margin-top: 2.5em; }
.english { margin-top: 3em; font-size: 10pt; line-height: 1.5; color: #333; border-top: 1px solid #999; padding-top: 0.6em; font-family: 'Noto Sans', sans-serif; }
.english p { text-indent: 0; }
.source { font-size: 9pt; color: #666; text-indent: 0; margin-top: 1em; }
";

pub fn render(n: &NoticeRecord) -> String {
    let mut body = String::new();
    body.push_str(&format!(
        "<p class=\"addressee\">{}：</p>\n",
        esc(&n.addressee)
    ));
    for f in &n.facts {
        body.push_str(&format!("<p>{}</p>\n", esc(f)));
    }
    body.push_str(&format!("<p>{}</p>\n", esc(&n.decision)));
    body.push_str(&format!("<p>{}</p>\n", esc(&n.closing)));
    let english: String = n
        .english
        .iter()
        .map(|l| format!("<p>{}</p>", esc(l)))
        .collect();
    let (zh, en) = n.kind.label();
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\n\
         <p class=\"issuer\">{issuer}</p>\n<p class=\"number\">{number}</p>\n<hr class=\"red\">\n\
         <h1>{title}</h1>\n{body}\
         <div class=\"foot\">{issuer}<br>{date}</div>\n\
         <p class=\"source\">{zh} {en} · {source}</p>\n\
         <div class=\"english\" lang=\"en\">{english}</div>\n</body></html>\n",
        title = esc(&n.title),
        issuer = esc(&n.issuer),
        number = esc(&n.number),
        date = date_zh(n.issue_time),
        source = esc(&n.source),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_records_is_escaped() {
        let n = NoticeRecord {
            title: "<script>alert(1)</script>".into(),
            facts: vec!["a & b".into()],
            ..Default::default()
        };
        let html = render(&n);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("a &amp; b"));
    }
}
