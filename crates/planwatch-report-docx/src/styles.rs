//! The document's named styles (GB/T 9704: title 小标宋 二号, 一、 headings 黑体 三号, （一） headings
//! 楷体 三号, body 仿宋 三号 on fixed 28-point lines) and the font table that names each face's
//! fallbacks.
//!
//! Headings use Word's built-in style ids (`Title`, `Heading1`, `Heading2`, `Caption`) with outline
//! levels, so Word's navigation pane and a table-of-contents field find them and an office can
//! restyle the whole report by editing a style.

use docx_rs::{
    AlignmentType, LineSpacing, LineSpacingType, RunFonts, SpecialIndentType, Style, StyleType,
};
use planwatch_report::Lang;

/// Paragraph style ids, as Word names its built-in ones where there is one.
pub(crate) const TITLE: &str = "Title";
pub(crate) const SUBTITLE: &str = "Subtitle";
pub(crate) const HEADING1: &str = "Heading1";
pub(crate) const HEADING2: &str = "Heading2";
pub(crate) const CAPTION: &str = "Caption";
pub(crate) const NOTE: &str = "Note";
pub(crate) const LIST: &str = "ListParagraph";
pub(crate) const TABLE_TEXT: &str = "TableText";
pub(crate) const TABLE_HEADER: &str = "TableHeader";
pub(crate) const FIGURE: &str = "Figure";
pub(crate) const FOOTER: &str = "Footer";

/// A typeface as an office names it, the names it goes by elsewhere, and the open face that
/// stands in on Linux (Debian's fonts-noto-cjk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Face {
    pub(crate) name: &'static str,
    /// Word's `w:altName`: the face's other name, tried when `name` is not installed.
    pub(crate) alt: &'static str,
    /// The open face of the same design family, listed in the font table too.
    pub(crate) open: &'static str,
    /// `roman` (serif: 宋, 仿宋, 楷) or `swiss` (sans: 黑).
    pub(crate) family: &'static str,
}

pub(crate) const XIAOBIAOSONG: Face = Face {
    name: "方正小标宋简体",
    alt: "FZXiaoBiaoSong-B05S",
    open: "Noto Serif CJK SC",
    family: "roman",
};
pub(crate) const HEITI: Face = Face {
    name: "黑体",
    alt: "SimHei",
    open: "Noto Sans CJK SC",
    family: "swiss",
};
pub(crate) const KAITI: Face = Face {
    name: "楷体",
    alt: "KaiTi",
    open: "Noto Serif CJK SC",
    family: "roman",
};
pub(crate) const FANGSONG: Face = Face {
    name: "仿宋_GB2312",
    alt: "仿宋",
    open: "Noto Serif CJK SC",
    family: "roman",
};
/// The page numbers' face.
pub(crate) const SONGTI: Face = Face {
    name: "宋体",
    alt: "SimSun",
    open: "Noto Serif CJK SC",
    family: "roman",
};
/// The English edition's Latin faces (the CJK face stays for any Chinese name in the text).
pub(crate) const LATIN_SERIF: Face = Face {
    name: "Times New Roman",
    alt: "Liberation Serif",
    open: "DejaVu Serif",
    family: "roman",
};
pub(crate) const LATIN_SANS: Face = Face {
    name: "Arial",
    alt: "Liberation Sans",
    open: "DejaVu Sans",
    family: "swiss",
};

/// Every face the styles name, for the font table.
pub(crate) const FACES: [Face; 6] = [
    XIAOBIAOSONG,
    HEITI,
    KAITI,
    FANGSONG,
    LATIN_SERIF,
    LATIN_SANS,
];

// Sizes in half-points: 二号 22 pt, 三号 16 pt, 四号 14 pt, 五号 10.5 pt.
const ERHAO: usize = 44;
const SANHAO: usize = 32;
const SIHAO: usize = 28;
const WUHAO: usize = 21;

/// Fixed line pitch of the body, twentieths of a point: 28 pt.
pub(crate) const BODY_LINE: i32 = 560;
/// Two characters of 三号 (16 pt), in twentieths of a point, for the first-line indent.
pub(crate) const TWO_CHARS: i32 = 640;

/// The fonts of a style: the CJK face for East Asian text; for Latin letters and digits the same
/// face in Chinese, a Latin face in English.
fn fonts(cjk: Face, latin: Face, lang: Lang) -> RunFonts {
    let latin = match lang {
        Lang::Zh => cjk,
        Lang::En => latin,
    };
    RunFonts::new()
        .east_asia(cjk.name)
        .ascii(latin.name)
        .hi_ansi(latin.name)
        .cs(latin.name)
}

fn exact(line: i32) -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(line)
        .before(0)
        .after(0)
}

fn no_indent(style: Style) -> Style {
    style
        .indent(Some(0), Some(SpecialIndentType::FirstLine(0)), None, None)
        .first_line_chars(0)
}

/// A style of ours, upright and regular: GB/T 9704 sets headings apart by face, not weight, and
/// LibreOffice would otherwise keep its own built-in heading's bold and caption's italic.
fn paragraph_style(id: &str, name: &str) -> Style {
    let mut style = Style::new(id, StyleType::Paragraph)
        .name(name)
        .based_on("Normal")
        .next("Normal")
        .q_format(true);
    style.run_property = style.run_property.disable_bold().disable_italic();
    style
}

/// The styles, in the order Word lists them.
pub(crate) fn styles(lang: Lang) -> Vec<Style> {
    let normal = Style::new("Normal", StyleType::Paragraph)
        .name("Normal")
        .q_format(true)
        .fonts(fonts(FANGSONG, LATIN_SERIF, lang))
        .size(SANHAO)
        .line_spacing(exact(BODY_LINE))
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(TWO_CHARS)),
            None,
            None,
        )
        .first_line_chars(200)
        .align(AlignmentType::Both);
    let title = no_indent(paragraph_style(TITLE, "Title"))
        .fonts(fonts(XIAOBIAOSONG, LATIN_SERIF, lang))
        .size(ERHAO)
        .line_spacing(exact(700).after(280))
        .align(AlignmentType::Center);
    let subtitle = no_indent(paragraph_style(SUBTITLE, "Subtitle"))
        .fonts(fonts(KAITI, LATIN_SERIF, lang))
        .size(SANHAO)
        .align(AlignmentType::Center);
    let heading1 = paragraph_style(HEADING1, "heading 1")
        .fonts(fonts(HEITI, LATIN_SANS, lang))
        .size(SANHAO)
        .outline_lvl(0);
    let heading2 = paragraph_style(HEADING2, "heading 2")
        .fonts(fonts(KAITI, LATIN_SERIF, lang))
        .size(SANHAO)
        .outline_lvl(1);
    let caption = no_indent(paragraph_style(CAPTION, "caption"))
        .fonts(fonts(HEITI, LATIN_SANS, lang))
        .size(SIHAO)
        .line_spacing(exact(BODY_LINE).before(160))
        .align(AlignmentType::Center);
    let note = paragraph_style(NOTE, "Note")
        .fonts(fonts(FANGSONG, LATIN_SERIF, lang))
        .size(SIHAO)
        .line_spacing(exact(440));
    let list = paragraph_style(LIST, "List Paragraph");
    let table_text = no_indent(paragraph_style(TABLE_TEXT, "Table Text"))
        .next(TABLE_TEXT)
        .size(WUHAO)
        .line_spacing(exact(300))
        .align(AlignmentType::Center);
    let table_header = paragraph_style(TABLE_HEADER, "Table Header")
        .based_on(TABLE_TEXT)
        .next(TABLE_TEXT)
        .fonts(fonts(HEITI, LATIN_SANS, lang));
    // A picture's paragraph: centred, and a line pitch that grows with the picture.
    let figure = no_indent(paragraph_style(FIGURE, "Figure"))
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Auto)
                .line(240),
        )
        .align(AlignmentType::Center);
    // The page number: 四号 宋体 (GB/T 9704 7.5).
    let footer = no_indent(paragraph_style(FOOTER, "footer"))
        .fonts(fonts(SONGTI, LATIN_SERIF, lang))
        .size(SIHAO)
        .line_spacing(exact(BODY_LINE));
    vec![
        normal,
        title,
        subtitle,
        heading1,
        heading2,
        caption,
        note,
        list,
        table_text,
        table_header,
        figure,
        footer,
    ]
}

/// `word/fontTable.xml`: every face with its other name (`w:altName`), the GB2312 character set
/// for the Chinese faces, and its family, which Word and LibreOffice use to pick a stand-in;
/// the open faces are listed so that a reader sees which ones the layout was checked with.
pub(crate) fn font_table_xml() -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
    );
    let mut listed: Vec<&str> = Vec::new();
    for face in FACES {
        let charset = if face.name.is_ascii() { "00" } else { "86" };
        for (name, alt) in [(face.name, Some(face.alt)), (face.open, None)] {
            if listed.contains(&name) {
                continue;
            }
            listed.push(name);
            xml.push_str(&format!(r#"<w:font w:name="{name}">"#));
            if let Some(alt) = alt {
                xml.push_str(&format!(r#"<w:altName w:val="{alt}"/>"#));
            }
            xml.push_str(&format!(
                r#"<w:charset w:val="{charset}"/><w:family w:val="{}"/><w:pitch w:val="variable"/></w:font>"#,
                face.family
            ));
        }
    }
    xml.push_str("</w:fonts>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fontconfig_aliases_follow_the_faces() {
        let conf = include_str!("../fontconfig/65-planwatch-gb-faces.conf");
        for face in [XIAOBIAOSONG, HEITI, KAITI, FANGSONG, SONGTI] {
            let alias = format!(
                "<family>{}</family>\n    <accept><family>{}</family><family>{}</family></accept>",
                face.name, face.alt, face.open
            );
            assert!(conf.contains(&alias), "{alias}");
        }
    }

    #[test]
    fn font_table_names_every_face_once_with_its_other_name() {
        let xml = font_table_xml();
        for face in FACES {
            assert_eq!(
                xml.matches(&format!(r#"w:name="{}""#, face.name)).count(),
                1,
                "{}",
                face.name
            );
            assert!(xml.contains(&format!(r#"<w:altName w:val="{}"/>"#, face.alt)));
            assert!(xml.contains(&format!(r#"w:name="{}""#, face.open)));
        }
        assert!(xml.contains(
            r#"<w:font w:name="方正小标宋简体"><w:altName w:val="FZXiaoBiaoSong-B05S"/><w:charset w:val="86"/><w:family w:val="roman"/>"#
        ));
    }

    #[test]
    fn english_edition_keeps_the_styles_with_latin_faces() {
        let zh = styles(Lang::Zh);
        let en = styles(Lang::En);
        let ids = |styles: &[Style]| {
            styles
                .iter()
                .map(|s| s.style_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&zh), ids(&en));
        let body_en = &en[0].run_property.fonts;
        let body_zh = &zh[0].run_property.fonts;
        assert_ne!(body_en, body_zh);
        let json = |f: &Option<RunFonts>| format!("{f:?}");
        assert!(json(body_en).contains("Times New Roman") && json(body_en).contains("仿宋_GB2312"));
        assert!(!json(body_zh).contains("Times New Roman"));
    }
}
