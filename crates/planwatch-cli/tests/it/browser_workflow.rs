//! The reporting cycle in a real browser (headless Chromium, see `browser.rs`), on SQLite: a
//! district reporter signs in on 登录, uploads a sheet with two bad rows on 填报 and sees both
//! problems beside their rows, fixes it and uploads again (submitted); planner A returns it on
//! 审核 with a comment; the reporter sees the comment, corrects one figure in the grid form
//! (typing, Tab and Enter) and submits again; planner B approves; the indicator page shows the
//! new figure, and the audit log each step. The form is also photographed at 1366×768 and must
//! not scroll sideways.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;

use crate::Server;
use crate::browser::{Browser, assert_same_origin, browser_available};
use crate::webauth::{PASSWORD, add_user};

/// The figure corrected in the form: 锦江区's retail sales of 2025 (published 1252.78).
const CORRECTED: &str = "1260.5";

/// Signs `user` in through the 登录 page and waits for the page it was going to.
pub(crate) async fn sign_in(browser: &Browser, server: &Server, user: &str, next: &str) {
    browser
        .goto(&server.url(&format!("/login?next={next}")))
        .await;
    for (id, text) in [("username", user), ("password", PASSWORD)] {
        let input = browser.wait_for(&format!("#{id}")).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }
    browser.click("#sign-in-submit").await;
    let who = browser.text_of("#account-name").await;
    assert!(who.contains(user), "{who}");
}

pub(crate) async fn sign_out(browser: &Browser) {
    browser.click("#sign-out").await;
    browser.wait_for("#sign-in").await;
}

/// Waits until `script` (an expression) is true in the page, failing after 15 s with `what`.
pub(crate) async fn until(browser: &Browser, script: &str, what: &str) {
    let start = std::time::Instant::now();
    loop {
        if browser.execute(&format!("return !!({script});")).await == serde_json::json!(true) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types `keys` into the element that has the focus.
async fn type_keys(browser: &Browser, keys: &str) {
    let element = browser.client.active_element().await.unwrap();
    element.send_keys(keys).await.unwrap();
}

/// Which input has the focus: its class and its row's period.
async fn focus(browser: &Browser) -> serde_json::Value {
    browser
        .execute(
            "var e = document.activeElement; return [e.className, e.closest('tr').dataset.period];",
        )
        .await
}

/// Uploads `path` with the 填报 page's form.
async fn upload(browser: &Browser, path: &std::path::Path) {
    let input = browser.wait_for("#upload-file").await;
    input.send_keys(path.to_str().unwrap()).await.unwrap();
    browser.click("#upload-submit").await;
}

/// Asserts that the page does not scroll sideways and, when it is `long`, that it scrolls down
/// with the form's header (and its buttons) staying in view; keeps a screenshot in the
/// temporary directory as `name`.
async fn assert_fits(browser: &Browser, name: &str, long: bool) {
    let fits = browser
        .execute("return document.documentElement.scrollWidth <= window.innerWidth;")
        .await;
    assert_eq!(fits, serde_json::json!(true), "the form scrolls sideways");
    let png = browser.client.screenshot().await.unwrap();
    std::fs::write(std::env::temp_dir().join(name), png).unwrap();
    if !long {
        return;
    }
    let head = browser
        .execute(
            "window.scrollTo(0, document.body.scrollHeight); \
             var top = document.getElementById('form-head').getBoundingClientRect().top; \
             var scrolled = window.scrollY; window.scrollTo(0, 0); return [scrolled, top];",
        )
        .await;
    assert!(
        head[0].as_f64() > Some(0.0),
        "the form does not scroll: {head}"
    );
    assert_eq!(
        head[1].as_f64(),
        Some(0.0),
        "the form's header stays in view"
    );
}

/// The id of the submission the 审核 queue lists first.
async fn first_waiting(browser: &Browser) -> String {
    browser
        .wait_for("#review-queue tbody tr[data-id]")
        .await
        .attr("data-id")
        .await
        .unwrap()
        .expect("a submission waits")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporting_cycle_in_a_browser() {
    if !browser_available() {
        return;
    }
    let (store, server) = tokio::task::spawn_blocking(|| {
        let store = crate::accounts::Accounts::sqlite_with(&["init", "--sample-data"]);
        add_user(&store, "jinjiang", "reporter", &["510104"]);
        add_user(&store, "planner_a", "planner", &[]);
        add_user(&store, "planner_b", "planner", &[]);
        let server = Server::start(&store.db, &[]);
        (store, server)
    })
    .await
    .unwrap();
    let origin = server.base.clone();
    let sheets = tempfile::tempdir().unwrap();
    let bad = sheets.path().join("jinjiang-2025.csv");
    std::fs::write(
        &bad,
        "indicator,region,period,value\n\
         retail_sales,510104,2025,1255\n\
         retail_sales,510105,2025,1000\n\
         retail_sales,510104,2024,abc\n",
    )
    .unwrap();
    let good = sheets.path().join("jinjiang-2025-fixed.csv");
    std::fs::write(
        &good,
        "indicator,region,period,value\n\
         retail_sales,510104,2025,1255\n\
         retail_sales,510104,2024,1134.18\n",
    )
    .unwrap();
    let browser = Browser::start_sized(1366, 768).await;

    // 1. The reporter signs in; 填报 says what 锦江区 owes, and the upload with two bad rows
    //    names both, each with its row; nothing is stored.
    sign_in(&browser, &server, "jinjiang", "/report").await;
    // The form of a new draft: the year's figures owed, prefilled with the published values,
    // at 1366×768 without sideways scrolling.
    browser.click("#new-form").await;
    browser.wait_for("#grid tbody tr").await;
    let prefilled = browser
        .wait_for("#grid tbody tr[data-indicator='retail_sales'][data-period='2025'] input.value")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(prefilled.as_deref(), Some("1252.78"));
    assert_fits(&browser, "planwatch-new-form.png", true).await;
    browser.goto(&server.url("/report")).await;
    let owed = browser.text_of("#owed-summary").await;
    assert!(owed.contains("应报"), "{owed}");
    browser.wait_for("#owed tbody tr").await;
    upload(&browser, &bad).await;
    browser
        .wait_for("#upload-problems:not([hidden]) tbody tr")
        .await;
    let problems = browser
        .client
        .find_all(Locator::Css("#upload-problems tbody tr"))
        .await
        .unwrap();
    assert_eq!(problems.len(), 2, "one problem a bad row");
    let mut rows = Vec::new();
    for problem in &problems {
        let cells = problem.find_all(Locator::Css("td")).await.unwrap();
        let text = |i: usize| {
            let cell = cells[i].clone();
            async move { cell.text().await.unwrap() }
        };
        assert_eq!(text(0).await, "jinjiang-2025.csv");
        rows.push((text(1).await, text(3).await));
    }
    assert_eq!(rows[0].0, "3", "{rows:?}");
    assert!(rows[0].1.contains("510105"), "{rows:?}");
    assert_eq!(rows[1].0, "4", "{rows:?}");
    let stored = browser
        .client
        .find_all(Locator::Css("#my-submissions"))
        .await
        .unwrap();
    assert!(
        stored.is_empty(),
        "nothing stored from a sheet with problems"
    );

    // 2. Fixed, it is submitted at once and listed as waiting for review.
    upload(&browser, &good).await;
    browser
        .wait_for("#my-submissions tr.submission-submitted")
        .await;
    sign_out(&browser).await;

    // 3. Planner A returns it with a comment.
    sign_in(&browser, &server, "planner_a", "/review").await;
    let id = first_waiting(&browser).await;
    browser
        .click(&format!("#review-queue a[href='/review/{id}']"))
        .await;
    let changes = browser.text_of("#changes").await;
    assert!(
        changes.contains("1252.78") && changes.contains("1255"),
        "revised old → new: {changes}"
    );
    let unchanged = browser.text_of("#unchanged summary").await;
    assert!(unchanged.contains('1'), "{unchanged}");
    browser
        .wait_for("#review-comment")
        .await
        .send_keys("2025年数据请与统计年鉴核对")
        .await
        .unwrap();
    browser.click("#return").await;
    until(
        &browser,
        "document.getElementById('review-status') && document.getElementById('review-status').textContent.indexOf('退回') >= 0",
        "the submission shows as returned",
    )
    .await;
    sign_out(&browser).await;

    // 4. The reporter sees the comment, corrects one figure in the form and submits again.
    sign_in(&browser, &server, "jinjiang", "/report").await;
    let mine = browser
        .text_of("#my-submissions tr.submission-returned")
        .await;
    assert!(mine.contains("2025年数据请与统计年鉴核对"), "{mine}");
    browser
        .click("#my-submissions tr.submission-returned a.edit")
        .await;
    let banner = browser.text_of(".returned-banner").await;
    assert!(banner.contains("统计年鉴"), "{banner}");
    let first = browser
        .wait_for("#grid tbody tr[data-period='2025'] input.value")
        .await;
    first.click().await.unwrap();
    // Checked as typed by the import's rules: a figure a tenth of the published one is
    // flagged beside its row, and the flag goes once it is corrected.
    first.clear().await.unwrap();
    first.send_keys("125.5").await.unwrap();
    let check = "#grid tbody tr[data-period='2025'] .problem";
    until(
        &browser,
        &format!("document.querySelector(\"{check}\").textContent.indexOf('大幅变动') >= 0"),
        "the large change flagged beside the row",
    )
    .await;
    first.clear().await.unwrap();
    first.send_keys(CORRECTED).await.unwrap();
    until(
        &browser,
        &format!("document.querySelector(\"{check}\").textContent === ''"),
        "the flag gone",
    )
    .await;
    // Tab moves across to the note; Enter moves down to the next row's note.
    type_keys(&browser, &char::from(Key::Tab).to_string()).await;
    assert_eq!(focus(&browser).await, serde_json::json!(["note", "2025"]));
    type_keys(&browser, "已与年鉴核对").await;
    type_keys(&browser, &char::from(Key::Enter).to_string()).await;
    assert_eq!(focus(&browser).await, serde_json::json!(["note", "2024"]));
    // Saved as one goes.
    until(
        &browser,
        "document.getElementById('save-status').textContent.indexOf('已保存') === 0",
        "the draft is saved",
    )
    .await;
    assert_fits(&browser, "planwatch-returned-form.png", false).await;
    browser.click("#submit-form").await;
    browser
        .wait_for("#my-submissions tr.submission-submitted")
        .await;
    assert_same_origin(&browser, &origin).await;
    sign_out(&browser).await;

    // 5. Planner B approves; the figure is published.
    sign_in(&browser, &server, "planner_b", &format!("/review/{id}")).await;
    let changes = browser.text_of("#changes").await;
    assert!(changes.contains(CORRECTED), "{changes}");
    browser.click("#approve").await;
    until(
        &browser,
        "document.getElementById('review-status').textContent.indexOf('通过') >= 0",
        "the submission shows as approved",
    )
    .await;
    browser.goto(&server.url("/indicators/retail_sales")).await;
    let page = browser.text_of("main").await;
    assert!(
        page.contains(CORRECTED),
        "the new figure on the indicator page"
    );

    // 6. The audit log shows each step of the submission.
    browser.goto(&server.url("/audit?per_page=1000")).await;
    let log = browser.text_of("#audit-log").await;
    let steps: Vec<&str> = log
        .split_whitespace()
        .filter(|w| w.starts_with("submission."))
        .collect();
    let wanted = [
        "submission.create",
        "submission.return",
        "submission.submit",
        "submission.approve",
    ];
    let mut at = 0;
    for step in &steps {
        if at < wanted.len() && *step == wanted[at] {
            at += 1;
        }
    }
    assert_eq!(at, wanted.len(), "each step in order: {steps:?}");
    browser.client.close().await.unwrap();
    drop(store);
}
