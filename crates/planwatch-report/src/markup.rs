//! The planner texts' markup (sections 5 存在问题 and 6 对策建议): paragraphs separated by blank
//! lines; lines starting `- ` form a list, lines starting `1. ` (any number) a numbered list.
//! Lines of one paragraph are joined (without a space in Chinese, with one in English).

use crate::model::{Block, Lang};

/// The blocks a text says, in order.
pub fn parse(text: &str, lang: Lang) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<(bool, Vec<String>)> = None;
    let joiner = match lang {
        Lang::Zh => "",
        Lang::En => " ",
    };
    let flush_paragraph = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph {
                text: paragraph.join(joiner),
            });
            paragraph.clear();
        }
    };
    let flush_list = |list: &mut Option<(bool, Vec<String>)>, blocks: &mut Vec<Block>| {
        if let Some((ordered, items)) = list.take() {
            blocks.push(Block::List { ordered, items });
        }
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            flush_paragraph(&mut paragraph, &mut blocks);
            flush_list(&mut list, &mut blocks);
            continue;
        }
        match item(line) {
            Some((ordered, body)) => {
                flush_paragraph(&mut paragraph, &mut blocks);
                if list.as_ref().is_some_and(|(o, _)| *o != ordered) {
                    flush_list(&mut list, &mut blocks);
                }
                list.get_or_insert_with(|| (ordered, Vec::new()))
                    .1
                    .push(body.to_owned());
            }
            // A line under a list item without a marker continues the item.
            None if list.is_some() => {
                if let Some(last) = list.as_mut().and_then(|(_, items)| items.last_mut()) {
                    last.push_str(joiner);
                    last.push_str(line);
                }
            }
            None => paragraph.push(line),
        }
    }
    flush_paragraph(&mut paragraph, &mut blocks);
    flush_list(&mut list, &mut blocks);
    blocks
}

/// A list item's line: (ordered, the item's text).
fn item(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix("- ") {
        return Some((false, rest.trim()));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = line[digits..].strip_prefix(". ")?;
    (digits > 0).then_some((true, rest.trim()))
}

/// The markup of `blocks` (paragraphs and lists; other blocks are not written by planners):
/// what [`parse`] reads back.
pub fn write(blocks: &[Block]) -> String {
    let mut parts = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph { text } => parts.push(text.clone()),
            Block::List { ordered, items } => parts.push(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        if *ordered {
                            format!("{}. {item}", i + 1)
                        } else {
                            format!("- {item}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => {}
        }
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_lists() {
        let text = "第一段第一行\n第一段第二行\n\n- 甲\n- 乙\n\n1. 一\n2. 二\n续行\n结尾段";
        let blocks = parse(text, Lang::Zh);
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph {
                    text: "第一段第一行第一段第二行".into()
                },
                Block::List {
                    ordered: false,
                    items: vec!["甲".into(), "乙".into()]
                },
                Block::List {
                    ordered: true,
                    items: vec!["一".into(), "二续行结尾段".into()]
                },
            ]
        );
    }

    #[test]
    fn english_lines_join_with_a_space_and_a_list_switches_kind() {
        let blocks = parse("one\ntwo\n- a\n1. b", Lang::En);
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph {
                    text: "one two".into()
                },
                Block::List {
                    ordered: false,
                    items: vec!["a".into()]
                },
                Block::List {
                    ordered: true,
                    items: vec!["b".into()]
                },
            ]
        );
    }

    #[test]
    fn written_markup_reads_back() {
        let blocks = vec![
            Block::Paragraph {
                text: "段落".into(),
            },
            Block::List {
                ordered: true,
                items: vec!["甲".into(), "乙".into()],
            },
            Block::List {
                ordered: false,
                items: vec!["丙".into()],
            },
        ];
        assert_eq!(parse(&write(&blocks), Lang::Zh), blocks);
        assert_eq!(parse("12.5亿元", Lang::Zh).len(), 1);
        assert!(parse(" \n\n", Lang::Zh).is_empty());
    }
}
