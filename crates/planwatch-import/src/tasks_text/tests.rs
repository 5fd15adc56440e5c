use planwatch_access::Unit;
use planwatch_plan::chengdu;
use planwatch_tasks::Deadline;

use super::*;
use crate::sheet::testing::gbk;

const SAMPLE: &str = include_str!("../../../../data/chengdu-government-report-tasks-2024.txt");

fn read(file: &str, bytes: &[u8]) -> Result<TaskSheet, Vec<SheetProblem>> {
    read_task_text(file, bytes, &chengdu::plan(), 2024)
}

fn department(code: &str) -> Unit {
    Unit::Department(code.to_owned())
}

#[test]
fn the_sample_reads_whole() {
    let sheet = read("sample.txt", SAMPLE.as_bytes()).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(sheet.tasks.len(), 32);
    assert!(sheet.title.unwrap().contains("分解方案"));
    assert_eq!(task_form(SAMPLE.as_bytes()), TaskForm::Text);
}

#[test]
fn items_wrap_carry_both_bracket_styles_leaders_and_abbreviations() {
    let sheet = read("sample.txt", SAMPLE.as_bytes()).unwrap();
    let task = |key: &str| {
        sheet
            .tasks
            .iter()
            .find(|t| t.task.key == key)
            .unwrap_or_else(|| panic!("no item {key}"))
    };
    // 牵头领导 first: dropped; 市发改委 an alias; the indicators named in the text.
    let first = task("1");
    assert_eq!(first.row, 6);
    assert_eq!(first.section, "（一）稳住经济增长基本盘");
    assert_eq!(first.task.lead, vec![department("development_reform")]);
    assert_eq!(
        first.task.responsible,
        vec![department("economy_info"), department("public_finance")]
    );
    assert_eq!(first.providers, vec![department("statistics")]);
    assert_eq!(first.task.indicators, ["services_value_added", "gdp"]);
    assert!(!first.task.title.contains("牵头"));
    // Under no action's heading: the measure on dividing the targets (6.2); 年底前 by default.
    assert_eq!(first.task.clause.0, "6.2");
    assert_eq!(
        first.task.deadline,
        Deadline::By(chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap())
    );
    // Wrapped over two lines; 各区（市）县.
    let fifth = task("5");
    assert!(
        fifth.task.title.ends_with("网络交易额增长10%以上"),
        "{}",
        fifth.task.title
    );
    assert!(fifth.task.responsible.len() > 10);
    assert_eq!(fifth.task.indicators, ["retail_sales"]);
    // 成调队 and 成都调查队 both the survey team.
    assert_eq!(task("3").providers, vec![department("survey_team")]);
    assert_eq!(task("4").providers, vec![department("survey_team")]);
    // `6．` full-width; half-width brackets and separators.
    assert_eq!(task("6").task.lead, vec![department("economy_info")]);
    let fourteen = task("14");
    assert_eq!(fourteen.task.lead, vec![department("commerce")]);
    assert_eq!(fourteen.task.responsible.len(), 2);
    // Under a heading naming an action of the plan: that action.
    assert_eq!(task("10").task.clause.0, "5.4");
    assert_eq!(task("10").section, "（三）实施新消费创生引领行动");
    let quantity = task("10").task.expected.quantity.clone().unwrap();
    assert_eq!((quantity.value, quantity.unit.as_str()), (600.0, "家"));
    // 规划条款 and 完成时限 parts.
    assert_eq!(task("18").task.clause.0, "5.1.2");
    assert_eq!(
        task("15").task.deadline,
        Deadline::By(chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap())
    );
    // The bracket on a line of its own.
    let twenty = task("20");
    assert_eq!(twenty.providers, vec![department("customs")]);
    assert_eq!(
        twenty.task.indicators,
        ["goods_trade", "cross_border_ecommerce"]
    );
    // `（一）` at item level: it closes with a units bracket.
    assert_eq!(
        task("（一）").task.lead,
        vec![department("culture_tourism")]
    );
}

#[test]
fn gbk_text_reads_as_utf8() {
    let from_gbk = read("gbk.txt", &gbk(SAMPLE)).unwrap();
    let from_utf8 = read("sample.txt", SAMPLE.as_bytes()).unwrap();
    assert_eq!(from_gbk, from_utf8);
    assert_eq!(task_form(&gbk(SAMPLE)), TaskForm::Text);
}

#[test]
fn every_problem_is_reported_with_its_line_and_part() {
    let text = "\
一、稳增长
1. 推进项目建设，
   完成投资100亿元。（牵头单位：市外星局；责任单位：市商务局）
2. 没有括号的事项。
3. 缺少牵头单位的事项。（责任单位：市商务局；数据提供单位：市火星局）
1. 重复编号。（牵头单位：市商务局；完成时限：尽快）
4. 条款错误。（牵头单位：市商务局；规划条款：9.9.9）
";
    let problems = read("bad.txt", text.as_bytes()).unwrap_err();
    let at = |line: usize, part: &str| {
        problems
            .iter()
            .filter(|p| p.row == line && p.column.as_deref() == Some(part))
            .count()
    };
    assert_eq!(at(3, "牵头单位"), 1, "{problems:#?}");
    assert!(problems[0].to_string().contains("市外星局"));
    assert_eq!(at(4, "牵头单位"), 1, "no bracket");
    assert_eq!(at(5, "牵头单位"), 1, "no 牵头单位");
    assert_eq!(at(5, "数据提供单位"), 1);
    assert_eq!(at(6, "序号"), 1);
    assert_eq!(at(6, "完成时限"), 1);
    assert_eq!(at(7, "规划条款"), 1);
    assert_eq!(problems.len(), 7, "{problems:#?}");
    assert!(
        problems
            .iter()
            .all(|p| p.file == "bad.txt" && p.message.contains("/ "))
    );
}

#[test]
fn text_without_items_or_in_another_encoding_is_one_problem() {
    let problems = read(
        "none.txt",
        "标题\n说明文字（牵头单位：市商务局）\n".as_bytes(),
    );
    assert_eq!(problems.unwrap_err().len(), 1);
    let mut bytes = gbk(SAMPLE);
    bytes.extend_from_slice(&[0x81, 0x20]);
    let problems = read("broken.txt", &bytes).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("GB18030"), "{problems:?}");
}

/// A minimal DOCX of `paragraphs`, each split in two runs as Word does.
pub(crate) fn docx(paragraphs: &[&str]) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut body = String::new();
    for p in paragraphs {
        let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
        let cut = p.char_indices().nth(3).map_or(p.len(), |(i, _)| i);
        body.push_str(&format!(
            "<w:p><w:pPr/><w:r><w:t>{}</w:t></w:r><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            escape(&p[..cut]),
            escape(&p[cut..])
        ));
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:sectPr/></w:body></w:document>"
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_docx_reads_as_its_text_with_paragraph_numbers() {
    let lines: Vec<&str> = SAMPLE.lines().collect();
    let bytes = docx(&lines);
    assert_eq!(task_form(&bytes), TaskForm::Docx);
    let from_docx = read("sample.docx", &bytes).unwrap_or_else(|p| panic!("{p:#?}"));
    let from_text = read("sample.txt", SAMPLE.as_bytes()).unwrap();
    assert_eq!(from_docx, from_text);
    // The sample's DOCX (written once from the text by Python's zipfile, as Word lays it out:
    // spacing, fonts, runs) reads the same.
    let fixture = include_bytes!("../../../../data/chengdu-government-report-tasks-2024.docx");
    assert_eq!(task_form(fixture), TaskForm::Docx);
    assert_eq!(read("sample.docx", fixture).unwrap(), from_text);
    let problems = read(
        "bad.docx",
        &docx(&["标题", "", "1. 推进A&B。（牵头单位：市外星局）"]),
    )
    .unwrap_err();
    assert_eq!(
        (problems[0].row, problems[0].column.as_deref()),
        (3, Some("牵头单位"))
    );
}

#[test]
fn the_form_is_told_by_content() {
    assert_eq!(
        task_form("序号,重点任务,牵头单位\n1,x,市商务局\n".as_bytes()),
        TaskForm::Sheet
    );
    assert_eq!(task_form(b"a,b\n"), TaskForm::Sheet);
    let workbook = rust_xlsxwriter::Workbook::new().save_to_buffer().unwrap();
    assert_eq!(task_form(&workbook), TaskForm::Sheet);
}
