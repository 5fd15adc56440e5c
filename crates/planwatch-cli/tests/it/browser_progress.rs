//! Progress on a task in a real browser (headless Chromium, see `browser.rs`), on the sample
//! store (SQLite): a district reporter opens 填报, finds a 2024 task it answers for that is
//! behind (not green: its deadline passed without a report of it done), reports it done with
//! its node met and an evidence file, and submits; a planner opens it from 审核, sees the
//! status now and as it would be after approval (已完成) and the file listed, and approves; the
//! task's light turns green (已完成) on the review page and on the reporter's 填报, and the
//! unit's score moves by the documented amount.

use crate::Server;
use crate::browser::{Browser, browser_available};
use crate::browser_workflow::{sign_in, sign_out, until};
use crate::progress_api::{TASK, sample_id};
use crate::webauth::add_user;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_on_a_lagging_task_in_a_browser() {
    if !browser_available() {
        return;
    }
    let (store, server, task) = tokio::task::spawn_blocking(|| {
        let store = crate::accounts::Accounts::sqlite_with(&["init", "--sample-data"]);
        add_user(&store, "jinjiang", "reporter", &["510104"]);
        add_user(&store, "planner", "planner", &[]);
        let task = sample_id(&store, "tasks", TASK);
        let server = Server::start(&store.db, &[]);
        (store, server, task)
    })
    .await
    .unwrap();
    let files = tempfile::tempdir().unwrap();
    let proof = files.path().join("平台上线公告.txt");
    std::fs::write(&proof, "跨境供应链金融服务平台已上线").unwrap();
    let browser = Browser::start_sized(1366, 768).await;
    let db = store.db.clone();
    let score_before = tokio::task::spawn_blocking(move || jinjiang_score(&db))
        .await
        .unwrap();
    let (line_before, possible) = task_line(&score_before, task);

    // The reporter: the task is behind on 填报.
    sign_in(&browser, &server, "jinjiang", "/report").await;
    let row = format!("#progress-tasks tr[data-kind='task'][data-id='{task}']");
    let light = browser.wait_for(&format!("{row} .light")).await;
    let before = light.attr("data-status").await.unwrap().unwrap();
    assert!(
        !matches!(before.as_str(), "done" | "on_schedule"),
        "the task is behind before the report: {before}"
    );
    let class = light.attr("class").await.unwrap().unwrap_or_default();
    assert!(!class.contains("light-green"), "{class}");
    browser.click(&format!("{row} summary")).await;
    let form = format!("{row} form.progress-form");
    browser
        .execute(&format!(
            "document.querySelector(\"{form} select[name=progress_word]\").value = 'done'; return true;"
        ))
        .await;
    browser
        .click(&format!("{form} input[name=nodes_met][value='1']"))
        .await;
    browser
        .wait_for(&format!("{form} textarea[name=text]"))
        .await
        .send_keys("平台已于 11 月上线")
        .await
        .unwrap();
    browser
        .wait_for(&format!("{form} input[type=file]"))
        .await
        .send_keys(proof.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click(&format!("{form} button[value='false']"))
        .await;
    let mine = browser.text_of("#my-progress tr.progress-submitted").await;
    assert!(mine.contains(TASK), "{mine}");
    sign_out(&browser).await;

    // The planner: from the queue to the report, the status after approval shown first.
    sign_in(&browser, &server, "planner", "/review").await;
    let link = browser
        .wait_for("#progress-queue tbody tr[data-id] a")
        .await;
    link.click().await.unwrap();
    let after = browser
        .wait_for("#status-after .light")
        .await
        .attr("data-status")
        .await
        .unwrap();
    assert_eq!(after.as_deref(), Some("done"));
    let now = browser
        .wait_for("#status-now .light")
        .await
        .attr("data-status")
        .await
        .unwrap();
    assert_eq!(now.as_deref(), Some(before.as_str()));
    let evidence = browser.text_of("#evidence").await;
    assert!(evidence.contains("平台上线公告.txt"), "{evidence}");
    browser.click("#approve").await;
    until(
        &browser,
        "document.querySelector('#status-now .light') && document.querySelector('#status-now .light').dataset.status === 'done'",
        "the task is done once the report is approved",
    )
    .await;
    let light = browser
        .wait_for("#status-now .light")
        .await
        .attr("class")
        .await
        .unwrap();
    assert_eq!(light.as_deref(), Some("light light-green"));
    // The unit's score moves by the documented amount (docs/tasks.md, 年度考核): the task, which
    // 锦江区 leads, was overdue (0) and is now done after its deadline — `late_credit`, 0.5 of
    // the line's possible points — and nothing else of the unit changed.
    let db = store.db.clone();
    let score_after = tokio::task::spawn_blocking(move || jinjiang_score(&db))
        .await
        .unwrap();
    let (line_after, possible_after) = task_line(&score_after, task);
    assert_eq!(possible_after, possible);
    assert_eq!(line_before["achieved"].as_f64(), Some(0.0), "{line_before}");
    assert_eq!(line_after["achieved"].as_f64(), Some(0.5), "{line_after}");
    let moved = score_after["total"].as_f64().unwrap() - score_before["total"].as_f64().unwrap();
    assert!(moved > 0.0, "the score moved up: {moved}");
    assert!(
        (moved - 0.5 * possible).abs() < 1e-9,
        "the total moved by {moved}, the task's half of {possible}"
    );
    sign_out(&browser).await;

    // The reporter sees the light green on 填报, the report approved.
    sign_in(&browser, &server, "jinjiang", "/report").await;
    let light = browser.wait_for(&format!("{row} .light")).await;
    assert_eq!(
        light.attr("data-status").await.unwrap().as_deref(),
        Some("done")
    );
    browser.wait_for("#my-progress tr.progress-approved").await;
    drop(store);
}

/// 锦江区's 2024 assessment today, as `planwatch score` gives it.
fn jinjiang_score(db: &str) -> serde_json::Value {
    let out = crate::planwatch(&[
        "--db", db, "score", "--year", "2024", "--unit", "510104", "--format", "json",
    ]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let unit: serde_json::Value = serde_json::from_str(&crate::stdout(&out)).unwrap();
    assert_eq!(unit["code"], "510104", "{unit}");
    unit
}

/// The unit's line for the task, and its possible points.
fn task_line(unit: &serde_json::Value, task: i64) -> (serde_json::Value, f64) {
    let id = task.to_string();
    let line = unit["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == "task" && l["source_id"] == id.as_str())
        .unwrap_or_else(|| panic!("a line for task {task}: {unit}"))
        .clone();
    let possible = line["possible"].as_f64().unwrap();
    (line, possible)
}
