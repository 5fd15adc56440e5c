//! Reading files against the Chengdu plan: layouts, encodings, Excel, and every problem reported.

use std::io::Cursor;

use planwatch_plan::{ObsStatus, Period, Plan, chengdu};

use crate::*;

/// (indicator code, region code, period, value, status)
type ReadRow = (String, String, Period, f64, ObsStatus);

fn plan() -> Plan {
    chengdu::plan()
}

/// Reads a CSV text; returns the rows as (indicator code, region code, period, value, status)
/// and the diagnostics as printed.
fn read_csv(plan: &Plan, text: &str, options: Options) -> (Vec<ReadRow>, Vec<String>) {
    read(
        plan,
        "test.csv",
        Input::Csv(Box::new(Cursor::new(text.as_bytes().to_vec()))),
        options,
    )
}

fn read(plan: &Plan, file: &str, input: Input, options: Options) -> (Vec<ReadRow>, Vec<String>) {
    let import = match open(file, input, plan, options) {
        Ok(import) => import,
        Err(diagnostic) => return (Vec::new(), vec![diagnostic.to_string()]),
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for item in import {
        match item {
            Item::Row(r) => rows.push((
                plan.indicators[r.indicator].code.clone(),
                plan.regions[r.region].code.clone(),
                r.period,
                r.value,
                r.status,
            )),
            Item::Problem(d) => problems.push(d.to_string()),
        }
    }
    (rows, problems)
}

#[test]
fn long_layout_with_chinese_headers_units_and_statuses() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "指标,地区,年份,数值,单位,状态,来源\n\
         社会消费品零售总额,成都市,2020年,\"81,185,362\",万元,最终,统计公报\n\
         2,锦江区,2023,１２３４.５,亿元,初步,\n\
         retail_sales,高新区,2023Q1,300,亿元,,\n\
         服务业增加值,新津县,2023年6月,1.2,十亿元 (billion yuan),revised,\n",
        Options::default(),
    );
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(
        rows,
        vec![
            (
                "retail_sales".into(),
                "510100".into(),
                Period::Year(2020),
                8118.5362,
                ObsStatus::Final
            ),
            (
                "retail_sales".into(),
                "510104".into(),
                Period::Year(2023),
                1234.5,
                ObsStatus::Provisional
            ),
            (
                "retail_sales".into(),
                "gaoxin".into(),
                Period::Quarter(2023, 1),
                300.0,
                ObsStatus::Final
            ),
            (
                "services_value_added".into(),
                "510118".into(),
                Period::Month(2023, 6),
                12.0,
                ObsStatus::Revised
            ),
        ]
    );
}

#[test]
fn wide_layout_one_row_per_indicator_defaults_to_the_city() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "序号,指标,单位,2021,2022年,2023\n\
         2,社会消费品零售总额,亿元,9251.8,9096.5,\n\
         4,服务业对经济增长贡献率,%,55.1%,—,60\n",
        Options::default(),
    );
    assert_eq!(problems, Vec::<String>::new());
    let cells: Vec<(&str, &str, Period, f64)> = rows
        .iter()
        .map(|(i, r, p, v, _)| (i.as_str(), r.as_str(), *p, *v))
        .collect();
    assert_eq!(
        cells,
        vec![
            ("retail_sales", "510100", Period::Year(2021), 9251.8),
            ("retail_sales", "510100", Period::Year(2022), 9096.5),
            (
                "services_growth_contribution",
                "510100",
                Period::Year(2021),
                55.1
            ),
            (
                "services_growth_contribution",
                "510100",
                Period::Year(2023),
                60.0
            ),
        ]
    );
}

#[test]
fn wide_layout_one_row_per_region_with_a_named_indicator() {
    let plan = plan();
    let options = Options {
        indicator: Some("retail_sales".into()),
        ..Options::default()
    };
    let (rows, problems) = read_csv(
        &plan,
        "地区,2022,2023\n锦江区,1000,1100\n双流区,900,\n",
        options,
    );
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].1, "510116");
}

#[test]
fn gb18030_file_as_excel_writes_it_on_chinese_windows() {
    let plan = plan();
    let (bytes, _, _) =
        encoding_rs::GB18030.encode("指标,地区,时期,数值\n金融业增加值,成都市,2021,2271.6\n");
    let (rows, problems) = read(
        &plan,
        "gbk.csv",
        Input::Csv(Box::new(Cursor::new(bytes.into_owned()))),
        Options::default(),
    );
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(rows[0].0, "finance_value_added");
}

#[test]
fn every_problem_is_reported_with_row_and_column() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "指标,地区,时期,数值,单位,状态\n\
         零售,成都市,2021,1,亿元,\n\
         社会消费品零售总额,北京市,2021,1,亿元,\n\
         社会消费品零售总额,成都市,21年,1,亿元,\n\
         社会消费品零售总额,成都市,2021,12a,亿元,\n\
         社会消费品零售总额,成都市,2021,1,亿美元,\n\
         生产性服务业增加值占服务业增加值比重,成都市,2021,120,%,\n\
         社会消费品零售总额,成都市,2021,5%,,\n\
         社会消费品零售总额,成都市,2021,1,亿元,maybe\n\
         社会消费品零售总额,成都市,2022,,亿元,\n\
         社会消费品零售总额,,2022,3,亿元,\n\
         社会消费品零售总额,成都市,2023,10001.6,亿元,\n",
        Options::default(),
    );
    assert_eq!(
        problems,
        vec![
            "test.csv:2: 指标 \"零售\" not in the plan（“零售”不在规划中）",
            "test.csv:3: 地区 \"北京市\" is not a region of the plan（“北京市”不是规划中的地区）",
            "test.csv:4: 时期 \"21年\" is not a period (write 2023, 2023Q1, 2023-06, 2023年第一季度 or 2023年6月)（“21年”不是有效的时期（应写作 2023、2023Q1、2023-06、2023年第一季度 或 2023年6月））",
            "test.csv:5: 数值 \"12a\" is not a number（“12a”不是数字）",
            "test.csv:6: 单位 unit \"亿美元\" cannot be converted to the indicator's unit \"亿元\"（单位“亿美元”无法换算为指标单位“亿元”）",
            "test.csv:7: 数值 120 is outside the indicator's range 0–100（120 超出指标的取值范围 0–100）",
            "test.csv:8: 数值 5 % is given for an indicator measured in 亿元（给出了百分数 5 %，但指标单位为 亿元）",
            "test.csv:9: 状态 unknown status \"maybe\" (use provisional, final, revised, estimated or forecast)（未知的数据状态“maybe”（可用：初步、最终、修订、估计、预测））",
            "test.csv:10: 数值 is empty（为空）",
            "test.csv:11: 地区 is empty（为空）",
        ]
    );
    assert_eq!(rows.len(), 1, "only the last row is valid");
}

#[test]
fn unusable_files_fail_as_a_whole() {
    let plan = plan();
    assert_eq!(
        read_csv(&plan, "", Options::default()).1,
        vec!["test.csv: the file is empty（文件为空）"]
    );
    // A header alone is no rows either (it read as a success, storing nothing).
    assert_eq!(
        read_csv(&plan, "指标,地区,年份,数值\r\n\r\n", Options::default()).1,
        vec![
            "test.csv: no rows: the file holds nothing below its header（没有数据行：表头以下没有内容）"
        ]
    );
    assert_eq!(
        read_csv(&plan, "地区,时期\n成都市,2021\n", Options::default()).1,
        vec![
            "test.csv:1: the header names no value column (数值/value) and no period columns (2021, 2022 …)（表头中既没有数值列（数值/value），也没有时期列（2021、2022 …））"
        ]
    );
    assert_eq!(
        read_csv(&plan, "地区,2021\n成都市,3\n", Options::default()).1,
        vec![
            "test.csv:1: the header names no indicator column (指标/indicator) and no indicator was given（表头中没有指标列（指标/indicator），也未指定指标）"
        ]
    );
}

#[test]
fn unknown_columns_are_ignored_with_a_warning() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "指标,地区,时期,数值,填报人\n2,成都市,2021,1,张三\n",
        Options::default(),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(
        problems,
        vec![
            "test.csv:1: warning: 填报人 the column is not recognised and was ignored（无法识别的列，已忽略）"
        ]
    );
}

mod excel {
    use rust_xlsxwriter::{Format, Formula, Workbook, Worksheet};

    use super::*;

    fn xlsx(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
        let mut workbook = Workbook::new();
        build(&mut workbook);
        workbook.save_to_buffer().unwrap()
    }

    /// A long table's header and rows of text, from A1.
    fn long_table(sheet: &mut Worksheet, rows: &[[&str; 4]]) {
        sheet
            .write_row(0, 0, ["指标", "地区", "时期", "数值"])
            .unwrap();
        for (i, row) in rows.iter().enumerate() {
            sheet.write_row(i as u32 + 1, 0, *row).unwrap();
        }
    }

    #[test]
    fn a_wide_sheet_with_merged_indicator_cells() {
        let plan = plan();
        let bytes = xlsx(|wb| {
            let sheet = wb.add_worksheet();
            sheet
                .write_row(0, 0, ["指标", "地区", "2021", "2022"])
                .unwrap();
            sheet
                .merge_range(1, 0, 2, 0, "社会消费品零售总额", &Format::new())
                .unwrap();
            sheet.write_row(1, 1, ["锦江区"]).unwrap();
            sheet.write_row(1, 2, [100.0, 110.0]).unwrap();
            sheet.write_row(2, 1, ["青羊区"]).unwrap();
            sheet.write_row(2, 2, [90.0, 95.5]).unwrap();
        });
        let (rows, problems) = read(&plan, "wide.xlsx", Input::Excel(bytes), Options::default());
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(rows.len(), 4);
        assert_eq!(
            (rows[3].0.as_str(), rows[3].1.as_str(), rows[3].3),
            ("retail_sales", "510105", 95.5)
        );
    }

    #[test]
    fn merged_header_cells_are_refused() {
        let plan = plan();
        let bytes = xlsx(|wb| {
            let sheet = wb.add_worksheet();
            sheet
                .merge_range(0, 0, 0, 1, "指标", &Format::new())
                .unwrap();
            sheet.write_row(0, 2, ["2021"]).unwrap();
            sheet
                .write_row(1, 0, ["社会消费品零售总额", "", "1"])
                .unwrap();
        });
        let (_, problems) = read(
            &plan,
            "merged.xlsx",
            Input::Excel(bytes),
            Options::default(),
        );
        assert_eq!(
            problems,
            vec![
                "merged.xlsx: the header has merged cells (A1:B1); use one header row with one name per column（表头含合并单元格（A1:B1）：请使用单行表头，每列一个名称）"
            ]
        );
    }

    /// A share typed as 52.2 % is kept by Excel as 0.522 with a percent format: it is read as
    /// 52.2, and a percent cell for an indicator in 亿元 is refused like "52.2%" typed as text.
    #[test]
    fn cells_formatted_as_percentages() {
        let plan = plan();
        let percent = Format::new().set_num_format("0.0%");
        let bytes = xlsx(|wb| {
            let sheet = wb.add_worksheet();
            sheet
                .write_row(0, 0, ["指标", "地区", "时期", "数值"])
                .unwrap();
            sheet
                .write_row(1, 0, ["服务业对经济增长贡献率", "成都市", "2021"])
                .unwrap();
            sheet
                .write_number_with_format(1, 3, 0.522, &percent)
                .unwrap();
            // The same share typed as a plain number.
            sheet
                .write_row(2, 0, ["服务业对经济增长贡献率", "成都市", "2022"])
                .unwrap();
            sheet.write_number(2, 3, 55.1).unwrap();
            sheet
                .write_row(3, 0, ["社会消费品零售总额", "成都市", "2021"])
                .unwrap();
            sheet.write_number_with_format(3, 3, 0.9, &percent).unwrap();
        });
        let (rows, problems) = read(
            &plan,
            "percent.xlsx",
            Input::Excel(bytes),
            Options::default(),
        );
        let values: Vec<(&str, f64)> = rows.iter().map(|r| (r.0.as_str(), r.3)).collect();
        assert_eq!(
            values,
            vec![
                ("services_growth_contribution", 52.2),
                ("services_growth_contribution", 55.1)
            ]
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "percent.xlsx:4: 数值 90 % is given for an indicator measured in 亿元"
            ),
            "{problems:?}"
        );
    }

    /// rust_xlsxwriter, like most programs, writes formulas without results and asks Excel to
    /// recalculate on load (`fullCalcOnLoad`): every formula's cached value is then meaningless.
    #[test]
    fn formulas_in_a_workbook_never_calculated() {
        let plan = plan();
        let bytes = xlsx(|wb| {
            let sheet = wb.add_worksheet();
            sheet
                .write_row(0, 0, ["指标", "地区", "时期", "数值"])
                .unwrap();
            sheet.write_row(1, 0, ["2", "成都市", "2021"]).unwrap();
            // Written without a cached result, as a program (not Excel) writes formulas.
            sheet
                .write_formula(1, 3, Formula::new("=B5*2").set_result(""))
                .unwrap();
            sheet.write_row(2, 0, ["2", "成都市", "2022"]).unwrap();
            sheet
                .write_formula(2, 3, Formula::new("=1/0").set_result("#DIV/0!"))
                .unwrap();
            sheet.write_row(3, 0, ["2", "成都市", "2023"]).unwrap();
            sheet
                .write_formula(3, 3, Formula::new("=5000*2").set_result("10000"))
                .unwrap();
        });
        let (rows, problems) = read(
            &plan,
            "formulas.xlsx",
            Input::Excel(bytes),
            Options::default(),
        );
        assert_eq!(
            problems,
            vec![
                "formulas.xlsx:2: 数值 holds the formula =B5*2 but no calculated value; open and save the file in Excel（单元格为公式 =B5*2 但没有计算结果，请在 Excel 中打开并保存）",
                "formulas.xlsx:3: 数值 holds the formula =1/0 but no calculated value; open and save the file in Excel（单元格为公式 =1/0 但没有计算结果，请在 Excel 中打开并保存）",
                "formulas.xlsx:4: 数值 holds the formula =5000*2 but no calculated value; open and save the file in Excel（单元格为公式 =5000*2 但没有计算结果，请在 Excel 中打开并保存）",
            ]
        );
        assert_eq!(rows.len(), 0);
    }

    /// A long table of one row read from a workbook, and its cell "x" reported where it is
    /// (`at`: `"60000: XFD"`), beyond the header's columns.
    #[track_caller]
    fn one_row_and_the_far_cell(plan: &Plan, file: &str, bytes: Vec<u8>, at: &str) {
        let (rows, problems) = read(plan, file, Input::Excel(bytes), Options::default());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            problems,
            vec![format!(
                "{file}:{at} holds \"x\" but the header names no column there（有内容“x”，但表头中没有此列）"
            )]
        );
    }

    /// A 5 KB workbook with one cell far to the bottom right: calamine's ranges cover the sheet's
    /// bounding box (60,000 × 16,384 cells, 550 GB), so the import aborted; read cell by cell it
    /// costs what its cells hold.
    #[test]
    fn a_lone_cell_far_to_the_bottom_right() {
        let plan = plan();
        let bytes = xlsx(|wb| {
            let sheet = wb.add_worksheet();
            long_table(sheet, &[["retail_sales", "成都市", "2021", "1.5"]]);
            sheet.write_string(59_999, 16_383, "x").unwrap();
        });
        assert!(bytes.len() < 10_000);
        one_row_and_the_far_cell(&plan, "far.xlsx", bytes, "60000: XFD");
    }

    /// An OpenDocument spreadsheet as LibreOffice writes one: `mimetype` first and stored,
    /// the manifest, and `content.xml` with the given tables (`<table:table>` elements).
    fn ods(tables: &str) -> Vec<u8> {
        use std::io::Write;
        use zip::write::SimpleFileOptions;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let deflated =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("META-INF/manifest.xml", deflated).unwrap();
        zip.write_all(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#,
        )
        .unwrap();
        zip.start_file("content.xml", deflated).unwrap();
        write!(
            zip,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
        )
        .unwrap();
        zip.finish().unwrap().into_inner()
    }

    /// An ods row of text cells.
    fn ods_row(cells: &[&str]) -> String {
        let cells: String = cells
            .iter()
            .map(|c| {
                format!(r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#)
            })
            .collect();
        format!("<table:table-row>{cells}</table:table-row>")
    }

    /// A sheet `name` holding a long table with one row, then one cell in column `column`
    /// (0-based) of row `row` (1-based), reached by repeated empty rows and columns.
    fn ods_sheet_with_a_far_cell(name: &str, row: u64, column: u64) -> String {
        format!(
            r#"<table:table table:name="{name}">{}{}<table:table-row table:number-rows-repeated="{}"><table:table-cell/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="{column}"/><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#,
            ods_row(&["指标", "地区", "时期", "数值"]),
            ods_row(&["retail_sales", "成都市", "2021", "1.5"]),
            row - 3,
        )
    }

    /// calamine reads an ods workbook whole, as a grid from its first to its last cell: a
    /// 1 KB file with a cell at CV200000 took 1.27 GB, one at XFD60000 failed as "Cannot detect
    /// file format". Measured first, it is refused naming the sheet and the cell; a far cell
    /// within the limit is read.
    #[test]
    fn an_ods_sheet_reaching_far_is_refused_naming_its_far_cell() {
        let plan = plan();
        for (row, column, cell, cells) in [
            (200_000, 99, "CV200000", "20000000"),
            (60_000, 16_383, "XFD60000", "983040000"),
        ] {
            let bytes = ods(&ods_sheet_with_a_far_cell("数据", row, column));
            assert!(bytes.len() < 2_000, "{} bytes", bytes.len());
            let (rows, problems) = read(&plan, "far.ods", Input::Excel(bytes), Options::default());
            assert!(rows.is_empty());
            assert_eq!(
                problems,
                vec![format!(
                    "far.ods: sheet \"数据\" reaches cell {cell}: the workbook's sheets span {cells} cells from their first to their last cell with data, more than the 2000000 an .ods or .xls workbook may span (these formats are read whole); delete what lies beyond the data, or save the workbook as .xlsx or CSV（工作表“数据”延伸到单元格 {cell}：各工作表从首个到最后一个有数据的单元格共 {cells} 个单元格，超过 .ods 或 .xls 工作簿的上限 2000000 个（这两种格式须整体读入）；请删除数据以外的内容，或另存为 .xlsx 或 CSV）"
                )]
            );
        }
        // Several sheets count together: calamine reads every one as it opens the file.
        let two = format!(
            "{}{}",
            ods_sheet_with_a_far_cell("一", 100_000, 11),
            ods_sheet_with_a_far_cell("二", 100_000, 11)
        );
        let (_, problems) = read(
            &plan,
            "two.ods",
            Input::Excel(ods(&two)),
            Options::default(),
        );
        assert!(problems[0].contains("span 2400000 cells"), "{problems:?}");
        // Within the limit, the sheet is read, the far cell reported as any other.
        let bytes = ods(&ods_sheet_with_a_far_cell("数据", 1_000, 25));
        one_row_and_the_far_cell(&plan, "near.ods", bytes, "1000: Z");
    }

    /// An xls sheet (written by LibreOffice from an ods like the ones above) with one cell at
    /// IV65536, the farthest an xls sheet reaches: calamine's grid of it took 1.07 GB. Its
    /// records are walked first and it is refused; the same table with its far cell at Z1000 is
    /// read.
    #[test]
    fn an_xls_sheet_reaching_far_is_refused_naming_its_far_cell() {
        let plan = plan();
        let far = include_bytes!("../testdata/far-iv65536.xls").to_vec();
        let (rows, problems) = read(&plan, "far.xls", Input::Excel(far), Options::default());
        assert!(rows.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with(
                "far.xls: sheet \"数据\" reaches cell IV65536: the workbook's sheets span 16777216 cells"
            ),
            "{problems:?}"
        );
        let near = include_bytes!("../testdata/near.xls").to_vec();
        one_row_and_the_far_cell(&plan, "near.xls", near, "1000: Z");
    }

    /// A minimal xlsb workbook (MS-XLSB), one sheet of text cells: `cells` are (row, column,
    /// text), 0-based, in order.
    fn xlsb(cells: &[(u32, u32, &str)]) -> Vec<u8> {
        use std::io::Write;
        use zip::write::SimpleFileOptions;
        /// A record: its type and size as 7-bit groups, then its payload.
        fn record(out: &mut Vec<u8>, typ: u16, payload: &[u8]) {
            if typ < 0x80 {
                out.push(typ as u8);
            } else {
                out.extend_from_slice(&[(typ & 0x7F) as u8 | 0x80, (typ >> 7) as u8]);
            }
            let mut size = payload.len();
            loop {
                let byte = (size & 0x7F) as u8;
                size >>= 7;
                out.push(if size > 0 { byte | 0x80 } else { byte });
                if size == 0 {
                    break;
                }
            }
            out.extend_from_slice(payload);
        }
        fn wide(text: &str) -> Vec<u8> {
            let units: Vec<u16> = text.encode_utf16().collect();
            let mut out = (units.len() as u32).to_le_bytes().to_vec();
            out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
            out
        }
        let mut book = Vec::new();
        record(&mut book, 0x8F, &[]); // BrtBeginBundleShs
        let mut sheet = [0u32.to_le_bytes(), 1u32.to_le_bytes()].concat();
        sheet.extend(wide("rId1"));
        sheet.extend(wide("Sheet1"));
        record(&mut book, 0x9C, &sheet); // BrtBundleSh
        record(&mut book, 0x90, &[]); // BrtEndBundleShs
        record(&mut book, 0x84, &[]); // BrtEndBook
        let mut data = Vec::new();
        record(&mut data, 0x81, &[]); // BrtBeginSheet
        let (last_row, last_column) = cells.iter().fold((0, 0), |(r, c), &(row, column, _)| {
            (r.max(row), c.max(column))
        });
        let dimensions = [0, last_row, 0, last_column].map(u32::to_le_bytes).concat();
        record(&mut data, 0x94, &dimensions); // BrtWsDim
        record(&mut data, 0x91, &[]); // BrtBeginSheetData
        let mut current = None;
        for &(row, column, text) in cells {
            if current != Some(row) {
                record(&mut data, 0x00, &row.to_le_bytes()); // BrtRowHdr
                current = Some(row);
            }
            let mut cell = [column.to_le_bytes(), 0u32.to_le_bytes()].concat();
            cell.extend(wide(text));
            record(&mut data, 0x06, &cell); // BrtCellSt
        }
        record(&mut data, 0x92, &[]); // BrtEndSheetData
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        for (name, bytes) in [
            (
                "xl/_rels/workbook.bin.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>"#.as_slice(),
            ),
            ("xl/workbook.bin", &book),
            ("xl/worksheets/sheet1.bin", &data),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// xlsb is streamed cell by cell as xlsx is: calamine's grid of a sheet with a cell at
    /// XFD1048576 would be 17 billion cells (a cell at CV200000 took 651 MB).
    #[test]
    fn an_xlsb_sheet_reaching_far_is_read_cell_by_cell() {
        let plan = plan();
        let mut cells = Vec::new();
        for (row, texts) in [
            ["指标", "地区", "时期", "数值"],
            ["retail_sales", "成都市", "2021", "1.5"],
        ]
        .iter()
        .enumerate()
        {
            for (column, text) in texts.iter().enumerate() {
                cells.push((row as u32, column as u32, *text));
            }
        }
        cells.push((1_048_575, 16_383, "x"));
        let bytes = xlsb(&cells);
        assert!(bytes.len() < 2_000, "{} bytes", bytes.len());
        one_row_and_the_far_cell(&plan, "far.xlsb", bytes, "1048576: XFD");
    }

    /// Only the first sheet with data is read: the others that hold data are named.
    #[test]
    fn other_sheets_with_data_are_named() {
        let plan = plan();
        let bytes = xlsx(|wb| {
            wb.add_worksheet().set_name("说明").unwrap();
            let sheet = wb.add_worksheet().set_name("2021").unwrap();
            long_table(sheet, &[["retail_sales", "成都市", "2021", "1"]]);
            let sheet = wb.add_worksheet().set_name("2022").unwrap();
            sheet.write_row(0, 0, ["指标"]).unwrap();
            wb.add_worksheet().set_name("空").unwrap();
        });
        let (rows, problems) = read(
            &plan,
            "sheets.xlsx",
            Input::Excel(bytes),
            Options::default(),
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(
            problems,
            vec![
                "sheets.xlsx: warning: only the sheet \"2021\" was read; these sheets also hold data and were not read: \"2022\"（只读取了工作表“2021”；以下工作表也有数据，未读取：“2022”）"
            ]
        );
    }

    /// What a file is comes from its content, whatever its name says, and the message says so.
    #[test]
    fn content_not_name_says_what_a_file_is() {
        let plan = plan();
        let bytes = xlsx(|wb| {
            long_table(
                wb.add_worksheet(),
                &[["retail_sales", "成都市", "2021", "1"]],
            )
        });
        assert!(is_excel(&bytes));
        // As a file in memory (an upload) is read: by its first bytes.
        let input = Input::from_bytes(bytes);
        assert!(matches!(input, Input::Excel(_)));
        let (rows, problems) = read(&plan, "book.csv", input, Options::default());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            problems,
            vec![
                "book.csv: warning: the file is named .csv but holds a workbook; it was read as a workbook（文件扩展名为 .csv，但内容是工作簿，已按工作簿读取）"
            ]
        );
        let text = "指标,地区,时期,数值\nretail_sales,成都市,2021,1\n";
        assert!(!is_excel(text.as_bytes()));
        let input = Input::from_bytes(text.as_bytes().to_vec());
        assert!(matches!(input, Input::Csv(_)));
        let (rows, problems) = read(&plan, "text.XLSX", input, Options::default());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            problems,
            vec![
                "text.XLSX: warning: the file is named .xlsx but holds text; it was read as CSV（文件扩展名为 .xlsx，但内容是文本，已按 CSV 读取）"
            ]
        );
    }

    #[test]
    fn an_empty_workbook() {
        let plan = plan();
        let bytes = xlsx(|wb| {
            wb.add_worksheet();
        });
        let (_, problems) = read(&plan, "empty.xlsx", Input::Excel(bytes), Options::default());
        assert_eq!(
            problems,
            vec!["empty.xlsx: the workbook has no sheet with data（工作簿中没有含数据的工作表）"]
        );
    }

    #[test]
    fn not_a_workbook() {
        let plan = plan();
        let (_, problems) = read(
            &plan,
            "truncated.xlsx",
            Input::Excel(b"PK\x03\x04 truncated".to_vec()),
            Options::default(),
        );
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("truncated.xlsx: not a readable Excel workbook"),
            "{}",
            problems[0]
        );
    }
}

/// Review findings: an extra period column in a long table is reported, not dropped silently;
/// `indicator_name` is an indicator column.
#[test]
fn extra_columns_and_english_names() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "指标,地区,年份,数值,2024年\n2,成都市,2021,1,99\n",
        Options::default(),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(
        problems,
        vec![
            "test.csv:1: warning: 2024年 the column is not recognised and was ignored（无法识别的列，已忽略）"
        ]
    );
    let (rows, problems) = read_csv(
        &plan,
        "indicator_name,region,period,value\n社会消费品零售总额,510100,2021,1\n",
        Options::default(),
    );
    assert_eq!((rows.len(), problems.len()), (1, 0), "{problems:?}");
}

/// A GBK file whose first 64 KiB are ASCII: the encoding is decided by its first non-ASCII text,
/// wherever it stands, so the file is read (it was refused at its first Chinese row, with a
/// message blaming a mix of encodings).
#[test]
fn a_gbk_file_whose_first_64_kib_are_ascii_is_read() {
    let plan = plan();
    let mut text = String::from("indicator,region,period,value\n");
    // More than the 64 KiB a detection on the head would read, all ASCII …
    for row in 0..3000 {
        text.push_str(&format!("retail_sales,510100,2021,{row}\n"));
    }
    // … then a region name.
    text.push_str("retail_sales,锦江区,2021,500\n");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    let (rows, problems) = read(
        &plan,
        "late.csv",
        Input::Csv(Box::new(Cursor::new(bytes.into_owned()))),
        Options::default(),
    );
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(rows.len(), 3001);
    assert_eq!(rows[3000].1, "510104");
}

/// Rows numbered as a text editor shows them, whatever the line ends, blank lines and line breaks
/// inside quoted cells: the problems name them and the rows carry them (stored as provenance).
#[test]
fn rows_are_the_lines_an_editor_shows() {
    let plan = plan();
    let header = "指标,地区,年份,数值,备注";
    let good = "retail_sales,成都市,2021,1,";
    let bad = "零售,成都市,2022,1,";
    let cases = [
        ("LF", format!("{header}\n{good}\n{bad}\n"), 2, 3),
        ("CRLF", format!("{header}\r\n{good}\r\n{bad}\r\n"), 2, 3),
        ("CR", format!("{header}\r{good}\r{bad}\r"), 2, 3),
        (
            "BOM + CRLF",
            format!("\u{feff}{header}\r\n{good}\r\n{bad}\r\n"),
            2,
            3,
        ),
        (
            "no final newline",
            format!("{header}\r\n{good}\r\n{bad}"),
            2,
            3,
        ),
        (
            "blank lines",
            format!("\n{header}\n\n{good}\n\n\n{bad}\n"),
            4,
            7,
        ),
        (
            "blank lines, CRLF",
            format!("\r\n{header}\r\n\r\n{good}\r\n\r\n\r\n{bad}\r\n"),
            4,
            7,
        ),
        (
            "quoted newlines",
            format!("{header}\n{good}\"two\nlines\"\n{bad}\"three\r\n\r\nlines\"\n{bad}\n"),
            2,
            4,
        ),
    ];
    for (name, text, good_row, bad_row) in cases {
        for encoding in [encoding_rs::UTF_8, encoding_rs::GB18030] {
            let (bytes, _, _) = encoding.encode(&text);
            let import = open(
                "test.csv",
                Input::Csv(Box::new(Cursor::new(bytes.into_owned()))),
                &plan,
                Options::default(),
            )
            .unwrap();
            let (mut rows, mut problems) = (Vec::new(), Vec::new());
            for item in import {
                match item {
                    Item::Row(r) => rows.push(r.row),
                    Item::Problem(d) => problems.push(d.row),
                }
            }
            let expected_problems = if name == "quoted newlines" {
                vec![bad_row, bad_row + 3]
            } else {
                vec![bad_row]
            };
            assert_eq!(
                (rows, problems),
                (vec![good_row], expected_problems),
                "{name}, {}",
                encoding.name()
            );
        }
    }
}

/// A UTF-8 file with one row in GBK: refused at that row, naming the encoding, instead of the
/// whole file decoded as GB18030 (its correct Chinese stored as mojibake).
#[test]
fn a_utf8_file_with_a_gbk_row_is_refused_at_that_row() {
    let plan = plan();
    let mut bytes = "指标,地区,年份,数值,来源\nretail_sales,成都市,2021,1,成都市统计局\n"
        .as_bytes()
        .to_vec();
    let (gbk, _, _) = encoding_rs::GB18030.encode("retail_sales,锦江区,2021,2,成都市统计局\n");
    bytes.extend_from_slice(&gbk);
    bytes.extend_from_slice("retail_sales,青羊区,2021,3,成都市统计局\n".as_bytes());
    let (rows, problems) = read(
        &plan,
        "mixed.csv",
        Input::Csv(Box::new(Cursor::new(bytes))),
        Options::default(),
    );
    assert_eq!(rows.len(), 1, "{problems:?}");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("mixed.csv:3: not valid UTF-8: the file was read as UTF-8 (decided by its first non-ASCII text, row 1)"),
        "{problems:?}"
    );
    // A byte GB18030 has no character for, in a GB18030 file: an error, never a U+FFFD.
    let (mut bytes, _, _) = encoding_rs::GB18030.encode("指标,地区,年份,数值\n");
    let mut bytes = bytes.to_mut().clone();
    bytes.extend_from_slice(b"retail_sales,510100,2021,1\nretail_sales,\xFF,2022,1\n");
    let (_, problems) = read(
        &plan,
        "gbk.csv",
        Input::Csv(Box::new(Cursor::new(bytes))),
        Options::default(),
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("gbk.csv:3: not valid GB18030"),
        "{problems:?}"
    );
}

/// Excel's "Unicode text": UTF-16 with a byte-order mark, tab-delimited.
#[test]
fn utf16_unicode_text_is_read() {
    let plan = plan();
    for big_endian in [false, true] {
        let text =
            "\u{feff}指标\t地区\t年份\t数值\r\n社会消费品零售总额\t锦江区\t2021\t1,234.5\r\n";
        let bytes: Vec<u8> = text
            .encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect();
        let (rows, problems) = read(
            &plan,
            "unicode.txt",
            Input::Csv(Box::new(Cursor::new(bytes))),
            Options::default(),
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(
            rows,
            vec![(
                "retail_sales".into(),
                "510104".into(),
                Period::Year(2021),
                1234.5,
                ObsStatus::Final
            )]
        );
    }
    // Without its byte-order mark, UTF-16 is said to be the problem.
    let bytes: Vec<u8> = "指标,地区,年份,数值\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let (_, problems) = read(
        &plan,
        "utf16.csv",
        Input::Csv(Box::new(Cursor::new(bytes))),
        Options::default(),
    );
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with(
            "utf16.csv: not a text file: it holds NUL bytes (UTF-16 without a byte-order mark"
        ),
        "{problems:?}"
    );
}

/// An unterminated quote swallowed the rest of the file into one cell (the import succeeded with
/// the later rows stored as text inside a source); a cell beyond the limit is refused too.
#[test]
fn an_unclosed_quote_and_an_overlong_cell_are_errors_at_their_rows() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "指标,地区,年份,数值,来源\n\
         retail_sales,成都市,2021,1,公报\n\
         retail_sales,成都市,2022,2,\"公报\n\
         retail_sales,成都市,2023,3,公报\n\
         retail_sales,成都市,2024,4,公报\n",
        Options::default(),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(
        problems,
        vec![
            "test.csv:3: a quote (\") opened in this row is never closed: the rest of the file would be read as one cell（本行开始的引号（\"）没有闭合：文件其余部分将被读成一个单元格）"
        ]
    );
    let long = "x".repeat(MAX_CELL_BYTES + 1);
    let (rows, problems) = read_csv(
        &plan,
        &format!(
            "指标,地区,年份,数值,备注\nretail_sales,成都市,2021,1,\nretail_sales,成都市,2022,2,{long}\n"
        ),
        Options::default(),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(
        problems,
        vec![format!(
            "test.csv:3: column E holds {} bytes, more than the 65536 a cell may hold（E 列有 {} 字节，超过单元格上限 65536 字节）",
            MAX_CELL_BYTES + 1,
            MAX_CELL_BYTES + 1
        )]
    );
}

/// A field beyond the header's last column was dropped silently; a huge cell was echoed whole,
/// twice (English and Chinese).
#[test]
fn extra_fields_are_errors_and_echoed_cells_are_cut() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "指标,地区,年份,数值\nretail_sales,成都市,2021,1,,\nretail_sales,成都市,2022,2,3\n",
        Options::default(),
    );
    assert_eq!(rows.len(), 1, "trailing empty fields lose nothing");
    assert_eq!(
        problems,
        vec![
            "test.csv:3: E holds \"3\" but the header names no column there（有内容“3”，但表头中没有此列）"
        ]
    );
    let long = "零".repeat(20_000);
    let (_, problems) = read_csv(
        &plan,
        &format!("指标,地区,年份,数值\n{long},成都市,2021,1\n"),
        Options::default(),
    );
    assert_eq!(problems.len(), 1);
    let cut = format!("{}…（20000 chars 字符）", "零".repeat(60));
    assert_eq!(
        problems[0],
        format!("test.csv:2: 指标 \"{cut}\" not in the plan（“{cut}”不在规划中）")
    );
}

/// The valid range is the plan's `bounds`, not whether the indicator has a share target: a share
/// of GDP with no target took 150 and −5, a contribution to growth (which can exceed 100 or fall
/// below 0) was refused outside 0–100.
#[test]
fn values_are_checked_against_the_indicators_bounds() {
    let plan = plan();
    let (rows, problems) = read_csv(
        &plan,
        "指标,地区,年份,数值\n\
         服务业增加值占GDP比重,成都市,2021,150\n\
         服务业增加值占GDP比重,成都市,2022,-5\n\
         服务业增加值占GDP比重,成都市,2023,66.4\n\
         服务业对经济增长贡献率,成都市,2021,120.5\n\
         服务业对经济增长贡献率,成都市,2022,-8\n",
        Options::default(),
    );
    assert_eq!(
        problems,
        vec![
            "test.csv:2: 数值 150 is outside the indicator's range 0–100（150 超出指标的取值范围 0–100）",
            "test.csv:3: 数值 -5 is outside the indicator's range 0–100（-5 超出指标的取值范围 0–100）",
        ]
    );
    let values: Vec<(&str, f64)> = rows.iter().map(|r| (r.0.as_str(), r.3)).collect();
    assert_eq!(
        values,
        vec![
            ("services_share_of_gdp", 66.4),
            ("services_growth_contribution", 120.5),
            ("services_growth_contribution", -8.0),
        ]
    );
}
