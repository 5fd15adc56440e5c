//! 督查督办 end to end, on both backends: a task without reports is yellow (进度滞后, 未报送) three
//! quarters running — the sweep records a reminder, a warning and an order once (a second sweep
//! writes nothing), each a notice to the lead unit's reporters and audited; the lead unit
//! answers the 督办单 over the API (another unit refused, a blank text or a day before the order
//! refused, a second answer a conflict), the plan office lists the unanswered, the printable
//! 督办单 carries the task's words; `planwatch supervision list` agrees.

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::Server;
use crate::accounts::Accounts;
use crate::webauth::{add_user, token};

const SHEET: &str = "\
成都市“十四五”服务业发展规划2024年度重点任务分解表,,,,,,,,,\r
序号,重点任务,规划条款,牵头单位,责任单位,配合单位,完成时限,季度节点,年度目标,关联指标\r
一、实施新消费创生引领行动,,,,,,,,,\r
1,推进春熙路商圈品质提升,5.4.2,市商务局,锦江区政府,,2024年12月底前,,完成街区改造,\r
";

fn answer(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn get(server: &Server, token: &str, path: &str) -> (StatusCode, Value) {
    answer(
        Client::new()
            .get(server.url(path))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .unwrap(),
    )
}

fn post(server: &Server, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    answer(
        Client::new()
            .post(server.url(path))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&body)
            .send()
            .unwrap(),
    )
}

fn check(store: &Accounts) {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("tasks.csv");
    std::fs::write(&sheet, SHEET).unwrap();
    store.ok(
        &["tasks", "import", sheet.to_str().unwrap(), "--year", "2024"],
        None,
    );
    add_user(store, "commerce", "reporter", &["commerce"]);
    add_user(store, "jinjiang", "reporter", &["510104"]);
    add_user(store, "planner", "planner", &[]);
    add_user(store, "leader", "viewer", &[]);

    let swept = store.ok(&["supervision", "sweep", "--date", "2024-10-15"], None);
    assert!(swept.contains("3 records due, 3 written"), "{swept}");
    let again = store.ok(&["supervision", "sweep", "--date", "2024-10-15"], None);
    assert!(again.contains("3 records due, 0 written"), "{again}");
    let listed: Vec<Value> =
        serde_json::from_str(&store.ok(&["supervision", "list", "--format", "json"], None))
            .unwrap();
    let levels: Vec<(&str, &str, &str)> = listed
        .iter()
        .map(|r| {
            (
                r["period"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        vec![
            ("2024-Q3", "order", "not_reported"),
            ("2024-Q2", "warning", "not_reported"),
            ("2024-Q1", "reminder", "lagging"),
        ]
    );
    assert_eq!(listed[0]["unit"], "department:commerce");
    assert_eq!(listed[0]["order"]["answer_by"], "2024-10-25");
    let order = listed[0]["id"].as_i64().unwrap();
    assert_eq!(
        store.audit_json(&["--action", "supervision.issue"]).len(),
        3
    );

    let server = Server::start(&store.db, &[]);
    let commerce = token(store, "com", "commerce");
    let jinjiang = token(store, "jj", "jinjiang");
    let planner = token(store, "plan", "planner");
    let leader = token(store, "lead", "leader");

    // The lead unit's reporters were told, nobody else.
    let (_, told) = get(&server, &commerce, "/api/notices");
    let kinds: Vec<&str> = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["supervision"; 3], "{told}");
    assert_eq!(
        told["items"][0]["subject_zh"],
        "【督办】推进春熙路商圈品质提升"
    );
    assert_eq!(told["items"][0]["href"], "/supervision");
    let (_, other) = get(&server, &jinjiang, "/api/notices");
    assert_eq!(other["items"], json!([]));

    // Each sees what it may.
    let (status, own) = get(&server, &commerce, "/api/supervision");
    assert_eq!((status, own.as_array().unwrap().len()), (StatusCode::OK, 3));
    let (_, none) = get(&server, &jinjiang, "/api/supervision");
    assert_eq!(none, json!([]));
    let (_, open) = get(&server, &leader, "/api/supervision?unanswered=true");
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["id"], order);
    let path = format!("/api/supervision/orders/{order}");
    assert_eq!(get(&server, &jinjiang, &path).0, StatusCode::FORBIDDEN);
    assert_eq!(get(&server, &planner, &path).0, StatusCode::OK);
    let (status, bad) = get(&server, &planner, "/api/supervision?level=urgent");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // Answers: another unit, a blank text, a day before the order, then the unit's; once.
    let answer_path = format!("{path}/answer");
    let text = "已制定整改方案，11月底前完成街区改造";
    let by = |token: &str, body: Value| post(&server, token, &answer_path, body);
    assert_eq!(
        by(&jinjiang, json!({"text": text, "date": "2024-10-20"})).0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        by(&planner, json!({"text": text, "date": "2024-10-20"})).0,
        StatusCode::FORBIDDEN
    );
    let (status, blank) = by(&commerce, json!({"text": "  ", "date": "2024-10-20"}));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{blank}");
    assert_eq!(blank["error"]["field"], "text");
    let (status, early) = by(&commerce, json!({"text": text, "date": "2024-10-01"}));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{early}");
    assert_eq!(early["error"]["field"], "date");
    let (status, answered) = by(&commerce, json!({"text": text, "date": "2024-10-20"}));
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["order"]["answer"]["text"], text);
    assert_eq!(answered["order"]["answer"]["by"], "token:com");
    assert_eq!(answered["order"]["answered_late"], false);
    let (status, twice) = by(&commerce, json!({"text": "又一次", "date": "2024-10-21"}));
    assert_eq!(status, StatusCode::CONFLICT, "{twice}");
    assert_eq!(
        store.audit_json(&["--action", "supervision.answer"]).len(),
        1
    );
    let (_, open) = get(&server, &planner, "/api/supervision?unanswered=true");
    assert_eq!(open, json!([]));
    // The plan office sees the answer.
    let (_, seen) = get(&server, &planner, &path);
    assert_eq!(seen["order"]["answer"]["date"], "2024-10-20");

    // The pages: the list, the order, the printable 督办单.
    let page = |token: &str, path: &str| {
        let response = Client::new()
            .get(server.url(path))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .unwrap();
        (response.status(), response.text().unwrap())
    };
    let (status, list) = page(&planner, "/supervision");
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("推进春熙路商圈品质提升") && list.contains("未答复的督办单"));
    let (status, print) = page(&planner, &format!("/supervision/orders/{order}/print"));
    assert_eq!(status, StatusCode::OK);
    for words in [
        "督 办 单",
        "推进春熙路商圈品质提升",
        "市商务局",
        "2024-10-25",
        "成都市商务局（印章位置）",
        "@media print",
        "data-print",
        text,
    ] {
        assert!(print.contains(words), "{words}: {print}");
    }
    assert_eq!(
        page(&jinjiang, &format!("/supervision/orders/{order}/print")).0,
        StatusCode::FORBIDDEN
    );

    let open = store.ok(&["supervision", "list", "--unanswered"], None);
    assert!(open.contains("共 0"), "{open}");
    let refused = crate::planwatch(&[
        "--db",
        &store.db,
        "supervision",
        "answer",
        &order.to_string(),
        "--text",
        "再次答复",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(crate::stderr(&refused).contains("已于 2024-10-20 答复"));
}

#[test]
fn supervision_sweep_answers_and_print_on_sqlite() {
    check(&Accounts::sqlite_with(&["init"]));
}

#[test]
fn supervision_sweep_answers_and_print_on_postgres() {
    check(&Accounts::postgres_with(&["init"]));
}
