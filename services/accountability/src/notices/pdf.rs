//! A notice as a PDF (krilla, the typst project's PDF writer): A4 portrait
//! with the margins of an official document (GB/T 9704: 37 mm top, 28 mm
//! left, a 156 mm text block), the issuer's red header and rule, the text
//! wrapped by the font's own advances. The font is a CJK OpenType font the
//! deployment provides (Noto Serif/Sans CJK by default); it is subset into
//! the file, so the PDF carries its text as text.
use std::{path::Path, sync::Arc};

use krilla::{
    Document,
    color::rgb,
    geom::{PathBuilder, Point},
    metadata::Metadata,
    num::NormalizedF32,
    page::PageSettings,
    paint::{Fill, Stroke},
    text::{Font, TextDirection},
};
use skrifa::{
    FontRef, MetadataProvider,
    instance::{LocationRef, Size},
    raw::FileRef,
    string::StringId,
};

use super::{NoticeRecord, date_zh};

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 28.0 * MM;
const TEXT_W: f32 = 156.0 * MM;
const TOP: f32 = 37.0 * MM;
const BOTTOM: f32 = PAGE_H - 35.0 * MM;
const RED: (u8, u8, u8) = (204, 0, 0);
const BLACK: (u8, u8, u8) = (0, 0, 0);
const GREY: (u8, u8, u8) = (80, 80, 80);

/// Where the CJK fonts are on Debian (fonts-noto-cjk) when none is set.
pub const DEFAULT_FONTS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
];

/// The font notices are printed in: its bytes and the face (of a
/// collection) for Simplified Chinese.
#[derive(Clone)]
pub struct NoticeFont {
    data: Arc<Vec<u8>>,
    index: u32,
    pub path: String,
}

impl NoticeFont {
    /// The font at `configured`, or the first default found when empty.
    pub fn load(configured: &str) -> Result<NoticeFont, String> {
        let paths: Vec<&str> = match configured {
            "" => DEFAULT_FONTS.to_vec(),
            p => vec![p],
        };
        let Some(path) = paths.into_iter().find(|p| Path::new(p).is_file()) else {
            return Err(match configured {
                "" => format!(
                    "no CJK font for notices: none of {} exists; set accountability.notice_font",
                    DEFAULT_FONTS.join(", ")
                ),
                p => format!("accountability.notice_font: {p} is not a file"),
            });
        };
        let data = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let index = simplified_chinese_face(&data)
            .ok_or_else(|| format!("{path}: not an OpenType font or collection"))?;
        Ok(NoticeFont {
            data: Arc::new(data),
            index,
            path: path.to_string(),
        })
    }

    fn face(&self) -> FontRef<'_> {
        FontRef::from_index(&self.data, self.index).expect("checked when loaded")
    }
}

/// The face of a collection whose family is the SC one (Noto CJK's
/// collections hold JP, KR, SC, TC and HK faces); 0 for a single font.
fn simplified_chinese_face(data: &[u8]) -> Option<u32> {
    let n = match FileRef::new(data).ok()? {
        FileRef::Font(_) => return Some(0),
        FileRef::Collection(c) => c.len(),
    };
    let sc = (0..n).find(|&i| {
        FontRef::from_index(data, i).is_ok_and(|f| {
            f.localized_strings(StringId::FAMILY_NAME)
                .english_or_first()
                .is_some_and(|s| s.to_string().contains(" SC"))
        })
    });
    Some(sc.unwrap_or(0))
}

/// A line placed on a page.
struct Line {
    x: f32,
    baseline: f32,
    size: f32,
    colour: (u8, u8, u8),
    text: String,
}

/// Lays text out page by page, wrapping by the font's advances.
struct Layout<'a> {
    font: FontRef<'a>,
    pages: Vec<Vec<Line>>,
    rules: Vec<(usize, f32)>,
    y: f32,
}

enum Align {
    Left { indent: f32 },
    Centre,
    Right,
}

/// Characters a line may not start with (行首禁则): they hang at the end
/// of the line before instead.
const NO_LINE_START: &str = "，。、；：？！）》」』”’,.;:?!)";

impl<'a> Layout<'a> {
    fn width(&self, text: &str, size: f32) -> f32 {
        let charmap = self.font.charmap();
        let metrics = self
            .font
            .glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size)
            })
            .sum()
    }

    /// Breaks `text` into lines no wider than `first` (then `rest`): CJK
    /// between any two characters, other scripts at spaces.
    fn wrap(&self, text: &str, size: f32, first: f32, rest: f32) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        for c in text.chars() {
            let joins = c.is_ascii_alphanumeric() || "-_/.'\"()%".contains(c);
            match tokens.last_mut() {
                Some(t)
                    if joins
                        && t.chars().last().is_some_and(|p| {
                            p.is_ascii_alphanumeric() || "-_/.'\"()%".contains(p)
                        }) =>
                {
                    t.push(c)
                }
                _ => tokens.push(c.to_string()),
            }
        }
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut room = first;
        for t in tokens {
            let hangs = t.chars().all(|c| NO_LINE_START.contains(c));
            if !line.is_empty() && !hangs && self.width(&line, size) + self.width(&t, size) > room {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                room = rest;
                if t == " " {
                    continue;
                }
            }
            line.push_str(&t);
        }
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_string());
        }
        lines
    }

    fn place(&mut self, text: &str, size: f32, leading: f32, colour: (u8, u8, u8), align: Align) {
        let indent = match align {
            Align::Left { indent } => indent,
            _ => 0.0,
        };
        for (i, l) in self
            .wrap(text, size, TEXT_W - indent, TEXT_W)
            .into_iter()
            .enumerate()
        {
            if self.y + leading > BOTTOM {
                self.pages.push(Vec::new());
                self.y = TOP;
            }
            self.y += leading;
            let w = self.width(&l, size);
            let x = match align {
                Align::Left { .. } if i == 0 => LEFT + indent,
                Align::Left { .. } => LEFT,
                Align::Centre => LEFT + (TEXT_W - w).max(0.0) / 2.0,
                Align::Right => LEFT + (TEXT_W - w).max(0.0),
            };
            let baseline = self.y - (leading - size) / 2.0;
            self.pages.last_mut().expect("a page").push(Line {
                x,
                baseline,
                size,
                colour,
                text: l,
            });
        }
    }

    fn gap(&mut self, points: f32) {
        self.y += points;
    }
}

fn fill(c: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// The notice's PDF.
pub fn render(n: &NoticeRecord, font: &NoticeFont) -> Result<Vec<u8>, String> {
    let body = 15.0;
    let leading = 28.0;
    let mut l = Layout {
        font: font.face(),
        pages: vec![Vec::new()],
        rules: Vec::new(),
        y: TOP,
    };
    l.place(&n.issuer, 26.0, 40.0, RED, Align::Centre);
    l.gap(6.0);
    l.place(&n.number, body, leading, BLACK, Align::Centre);
    l.gap(6.0);
    l.rules.push((l.pages.len() - 1, l.y));
    l.gap(18.0);
    l.place(&n.title, 19.0, 34.0, BLACK, Align::Centre);
    l.gap(12.0);
    l.place(
        &format!("{}：", n.addressee),
        body,
        leading,
        BLACK,
        Align::Left { indent: 0.0 },
    );
    let indent = 2.0 * body;
    for p in n.facts.iter().chain([&n.decision, &n.closing]) {
        l.place(p, body, leading, BLACK, Align::Left { indent });
    }
    l.gap(leading);
    l.place(&n.issuer, body, leading, BLACK, Align::Right);
    l.place(&date_zh(n.issue_time), body, leading, BLACK, Align::Right);
    l.gap(leading / 2.0);
    l.place(&n.source, 9.0, 14.0, GREY, Align::Left { indent: 0.0 });
    l.gap(10.0);
    for e in &n.english {
        l.place(e, 9.0, 13.0, GREY, Align::Left { indent: 0.0 });
    }

    let typeface = Font::new(font.data.clone().into(), font.index)
        .ok_or_else(|| format!("{}: the font cannot be used", font.path))?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(n.title.clone())
            .language("zh-CN".into()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
    for (i, lines) in l.pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        for &(_, y) in l.rules.iter().filter(|(p, _)| *p == i) {
            let mut pb = PathBuilder::new();
            pb.move_to(LEFT, y);
            pb.line_to(LEFT + TEXT_W, y);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(RED.0, RED.1, RED.2).into(),
                    width: 1.5,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        for line in lines {
            surface.set_fill(Some(fill(line.colour)));
            surface.draw_text(
                Point::from_xy(line.x, line.baseline),
                typeface.clone(),
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| format!("the PDF could not be written: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_inside_the_block_and_punctuation_never_starts_a_line() {
        let Ok(font) = NoticeFont::load("") else {
            // The integration test requires the font (scripts/test.sh installs it).
            return;
        };
        let l = Layout {
            font: font.face(),
            pages: vec![Vec::new()],
            rules: Vec::new(),
            y: TOP,
        };
        let text = "经查，该单位在年度行政执法检查中未实行双随机一公开，且重大执法决定未经法制审核，情节较重。".repeat(4);
        let lines = l.wrap(&text, 15.0, TEXT_W - 30.0, TEXT_W);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(l.width(line, 15.0) <= TEXT_W + 15.0, "{line}");
            let first = line.chars().next().unwrap();
            assert!(!NO_LINE_START.contains(first), "{line}");
        }
        assert_eq!(lines.concat(), text);
    }
}
