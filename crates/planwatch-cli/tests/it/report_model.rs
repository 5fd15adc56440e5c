//! The evaluation report's model (issue 15) for the Chengdu sample: the numbers and sentences
//! before any format, as `planwatch_app::reports::report` builds them from the store.

use chrono::NaiveDate;
use planwatch_app::reports::{ReportRequest, report, text_key};
use planwatch_report::{Block, Lang, ReportKind, TextSection};
use planwatch_store::{Store, Who};

use crate::{planwatch, stderr};

/// The sample store, its import dated 31 March 2024 (the sample's own file is stamped with the
/// day it is loaded, which would make every as-of date before today see none of it).
async fn sample_store(dir: &tempfile::TempDir) -> (Store, planwatch_plan::Plan) {
    let db = dir.path().join("r.db").to_str().unwrap().to_owned();
    let output = planwatch(&["--db", &db, "init", "--sample-data"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .unwrap();
    sqlx::query("UPDATE batches SET imported_at = $1 WHERE imported_at > $1")
        .bind("2024-03-31 00:00:00")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = Store::open(&db).await.unwrap();
    let plan = store.plan("chengdu-services-2021-2025").await.unwrap();
    (store, plan)
}

fn request(kind: ReportKind, year: u16, as_of: (i32, u32, u32), lang: Lang) -> ReportRequest {
    ReportRequest {
        kind,
        year: Some(year),
        as_of: NaiveDate::from_ymd_opt(as_of.0, as_of.1, as_of.2),
        region: None,
        lang,
    }
}

#[tokio::test]
async fn the_sample_reports_model() {
    let dir = tempfile::tempdir().unwrap();
    let (store, plan) = sample_store(&dir).await;
    let annual = report(
        &store,
        &plan,
        &request(ReportKind::Annual, 2024, (2025, 3, 31), Lang::Zh),
    )
    .await
    .unwrap();
    // Every category is counted, and the counts add up to the indicator table.
    let total: usize = annual.facts.categories.iter().map(|c| c.total).sum();
    assert_eq!(total, annual.facts.indicators.len());
    assert!(
        !annual.facts.tasks_by_status.is_empty(),
        "the sample has 2024 tasks"
    );
    insta::assert_json_snapshot!("report_annual_2024_zh", annual);
    let midterm = report(
        &store,
        &plan,
        &request(ReportKind::Midterm, 2023, (2024, 6, 30), Lang::Zh),
    )
    .await
    .unwrap();
    insta::assert_json_snapshot!("report_midterm_2023_zh", midterm);
    let english = report(
        &store,
        &plan,
        &request(ReportKind::Midterm, 2023, (2024, 6, 30), Lang::En),
    )
    .await
    .unwrap();
    let figures = |r: &planwatch_report::Report| {
        r.facts
            .indicators
            .iter()
            .map(|l| (l.code.clone(), l.latest, l.completion))
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&english), figures(&midterm));
    insta::assert_json_snapshot!("report_midterm_2023_en", english);
}

#[tokio::test]
async fn a_saved_text_replaces_the_draft_and_a_district_has_its_own_report() {
    let dir = tempfile::tempdir().unwrap();
    let (store, plan) = sample_store(&dir).await;
    let asked = request(ReportKind::Midterm, 2023, (2024, 6, 30), Lang::Zh);
    let draft = planwatch_app::reports::draft_text(&store, &plan, &asked, TextSection::Problems)
        .await
        .unwrap();
    assert!(draft.starts_with("规划实施中存在以下问题："), "{draft}");
    let who = Who {
        actor: "cli:tester".into(),
        role: "admin".into(),
        client: None,
    };
    let body = format!("{draft}\n\n另：统计口径需进一步统一。");
    let key = text_key(&asked, 2023, TextSection::Problems);
    let version = store
        .save_report_text(&who, &plan, &key, &body, "张三")
        .await
        .unwrap();
    assert_eq!(version, 1);
    let with_text = report(&store, &plan, &asked).await.unwrap();
    assert_eq!(with_text.texts[0].version, 1);
    assert!(
        with_text
            .provenance
            .contains("“存在问题”采用第1版文本（张三，"),
        "{}",
        with_text.provenance
    );
    assert_eq!(
        with_text.sections[4].blocks.last(),
        Some(&Block::Paragraph {
            text: "另：统计口径需进一步统一。".into()
        })
    );
    // The English edition has texts of its own: still the draft.
    let english = report(
        &store,
        &plan,
        &ReportRequest {
            lang: Lang::En,
            ..asked.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(english.texts[0].version, 0);
    // 锦江区's own report: its title, and no district table under it.
    let district = report(
        &store,
        &plan,
        &ReportRequest {
            region: Some("510104".into()),
            ..asked.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        district.title,
        "《成都市“十四五”服务业发展规划》锦江区实施中期评估报告"
    );
    assert!(matches!(
        district.sections[2].blocks[..],
        [Block::Note { .. }]
    ));
    assert_eq!(
        district.texts[0].version, 0,
        "the city's text is not the district's"
    );
    // An unknown region is refused.
    assert!(
        report(
            &store,
            &plan,
            &ReportRequest {
                region: Some("999999".into()),
                ..asked
            },
        )
        .await
        .is_err()
    );
}
