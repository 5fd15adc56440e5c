//! The submissions API's write paths against the real server, on SQLite and PostgreSQL: file
//! uploads (CSV with CRLF and in GBK, XLSX, a truncated workbook) answered with every problem's
//! file, row and column; drafts from a file; scope problems in an upload; the dry run that
//! stores nothing; revisions of a locked period (refused without a reason); editing a draft's
//! and a returned submission's rows (the reviewer's version kept, the edited rows submitted),
//! refused in other states and to other units; submitting corrected rows; approving with a
//! comment.

use reqwest::blocking::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Server;
use crate::accounts::Accounts;
use crate::submissions_api::{As, answer, row};
use crate::webauth::{add_user, chengdu_store, token};

/// An upload of `file` (named `name`) with the other parts `fields`, in `lang`.
fn upload(
    who: &As<'_>,
    path: &str,
    lang: &str,
    name: &str,
    file: Vec<u8>,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = Form::new().part("file", Part::bytes(file).file_name(name.to_owned()));
    for (field, value) in fields {
        form = form.text(field.to_string(), value.to_string());
    }
    answer(
        who.request(Method::POST, path, lang)
            .multipart(form)
            .send()
            .unwrap(),
    )
}

/// The (file, row, column, field) of every problem of a 422.
fn places(body: &Value) -> Vec<(Value, i64, Value, Value)> {
    body["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems: {body}"))
        .iter()
        .map(|p| {
            (
                p["file"].clone(),
                p["row"].as_i64().unwrap(),
                p["column"].clone(),
                p["field"].clone(),
            )
        })
        .collect()
}

/// A workbook of a header and `rows` (indicator, region, period, value as text or a number).
fn xlsx(rows: &[[&str; 4]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, head) in ["indicator", "region", "period", "value"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *head).unwrap();
    }
    for (r, cells) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in cells.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(number) if c == 3 => sheet.write_number(r, c as u16, number),
                _ => sheet.write_string(r, c as u16, *cell),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

fn count(who: &As<'_>) -> usize {
    let (status, listed) = answer(who.get("/api/submissions"));
    assert_eq!(status, StatusCode::OK, "{listed}");
    listed.as_array().unwrap().len()
}

fn people(store: &Accounts) {
    add_user(store, "planner2", "planner", &[]);
}

fn uploads(postgres: bool) {
    let store = chengdu_store(postgres);
    people(&store);
    let server = Server::start(&store.db, &["--max-body-kib", "256"]);
    let who = |name: &str| As {
        server: &server,
        token: token(&store, &format!("{name}-up"), name),
    };
    let (jinjiang, planner, admin) = (who("jinjiang"), who("planner"), who("admin"));
    let at = "/api/submissions";

    // CSV with CRLF line ends: two bad rows, both named with file, row and column.
    let crlf = "indicator,region,period,value\r\n\
                retail_sales,510104,2024,951.4\r\n\
                retail_sales,510104,2024Q9,1\r\n\
                retail_sales,510104,2023,abc\r\n";
    let (status, body) = upload(&jinjiang, at, "en", "bad.csv", crlf.into(), &[]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        places(&body),
        [
            (json!("bad.csv"), 3, json!("period"), json!("period")),
            (json!("bad.csv"), 4, json!("value"), json!("value")),
        ],
        "{body}"
    );

    // The same in GBK, with Chinese headers and a region by its name; messages in Chinese.
    let text = "指标,地区,时期,数值\r\n\
                retail_sales,锦江区,2024,951.4\r\n\
                retail_sales,锦江区,2024Q9,1\r\n\
                retail_sales,锦江区,2023,abc\r\n";
    let (gbk, _, lossy) = encoding_rs::GBK.encode(text);
    assert!(!lossy);
    let (status, body) = upload(&jinjiang, at, "zh", "坏.csv", gbk.into_owned(), &[]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        places(&body),
        [
            (json!("坏.csv"), 3, json!("时期"), json!("period")),
            (json!("坏.csv"), 4, json!("数值"), json!("value")),
        ],
        "{body}"
    );
    assert_eq!(body["problems"][1]["message"], "“abc”不是数字", "{body}");

    // XLSX: the spreadsheet's rows.
    let book = xlsx(&[
        ["retail_sales", "510104", "2024", "951.4"],
        ["retail_sales", "510104", "2024", "abc"],
        ["no_such_indicator", "510104", "2024", "1"],
    ]);
    let (status, body) = upload(&jinjiang, at, "en", "bad.xlsx", book, &[]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let found = places(&body);
    assert_eq!(found.len(), 2, "{body}");
    assert_eq!(
        (found[0].1, &found[0].3, found[1].1, &found[1].3),
        (3, &json!("value"), 4, &json!("indicator")),
        "{body}"
    );
    assert!(found.iter().all(|p| p.0 == "bad.xlsx"), "{body}");

    // A truncated workbook: a problem naming the file, not a 500.
    let mut broken = xlsx(&[["retail_sales", "510104", "2024", "951.4"]]);
    broken.truncate(broken.len() / 2);
    let (status, body) = upload(&jinjiang, at, "en", "broken.xlsx", broken, &[]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(places(&body)[0].0, "broken.xlsx", "{body}");
    assert_eq!(places(&body)[0].1, 0, "{body}");

    // Another district's row in an upload: a problem of scope, in the reader's language.
    let theirs = "indicator,region,period,value\nretail_sales,510105,2024,800\n";
    let (status, body) = upload(&jinjiang, at, "zh", "theirs.csv", theirs.into(), &[]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (&body["problems"][0]["message"], &body["problems"][0]["row"]),
        (&json!("510105 不是您的地区"), &json!(2)),
        "{body}"
    );
    assert_eq!(count(&jinjiang), 0);

    // An administrator reports for no unit of its own: it names the unit.
    let good = xlsx(&[["retail_sales", "510104", "2024", "951.4"]]);
    let (status, body) = upload(&admin, at, "en", "good.xlsx", good.clone(), &[]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["field"], "unit", "{body}");

    // A good upload is submitted at once; the reporter's one unit is implied.
    let (status, body) = upload(&jinjiang, at, "en", "good.xlsx", good, &[]);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "submitted", "{body}");
    assert_eq!(body["rows"][0]["value"], 951.4, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (_, shown) = answer(planner.get(&format!("{at}/{id}")));
    assert_eq!(
        (&shown["file"], &shown["unit"]),
        (&json!("good.xlsx"), &json!("region:510104")),
        "{shown}"
    );

    // The server's body limit bounds an upload (here raised from 64 KiB to 256).
    let mut big = String::from("indicator,region,period,value,note\n");
    for month in 0..300 {
        let (year, month) = (2000 + month / 12, month % 12 + 1);
        let note = "据区统计局月报核定".repeat(15);
        big += &format!("retail_sales,510104,{year}-{month:02},{month},{note}\n");
    }
    assert!(big.len() > 100 * 1024, "{}", big.len());
    let fields = [("draft", "true")];
    let (status, body) = upload(&jinjiang, at, "en", "big.csv", big.into(), &fields);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["rows"].as_array().unwrap().len(), 300, "{body}");
    // (A form whose length is said up front: refused before it is read.)
    let mut huge =
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.csv\"\r\n\r\n"
            .to_vec();
    huge.resize(300 * 1024, b'x');
    huge.extend(b"\r\n--b--\r\n");
    let request = jinjiang.request(Method::POST, at, "en");
    let request = request.header("content-type", "multipart/form-data; boundary=b");
    let (status, body) = answer(request.body(huge).send().unwrap());
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");

    // A draft upload.
    let csv = "indicator,region,period,value\nretail_sales,510104,2024,952\n";
    let fields = [("unit", "510104"), ("draft", "true")];
    let (status, body) = upload(&jinjiang, at, "en", "draft.csv", csv.into(), &fields);
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::CREATED, &json!("draft")),
        "{body}"
    );
    let (status, _) = answer(planner.get(&format!("{at}/{}", body["id"])));
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The dry run: problems or changes, nothing stored.
    let before = count(&jinjiang);
    let (status, body) = answer(jinjiang.post(
        "/api/submissions/check",
        Some(json!({"rows": [row("510104", 953.0)]})),
    ));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["problems"], json!([]), "{body}");
    assert_eq!(body["changes"][0]["row"], 0, "{body}");
    let (status, body) = answer(jinjiang.post(
        "/api/submissions/check",
        Some(json!({"unit": "510104", "rows": [row("510104", 1.0), row("510105", 1.0)]})),
    ));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        places(&body),
        [(Value::Null, 2, Value::Null, json!("region"))],
        "{body}"
    );
    let (status, _) = answer(jinjiang.post(
        "/api/submissions/check",
        Some(json!({"unit": "510105", "rows": [row("510105", 1.0)]})),
    ));
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(&jinjiang), before);

    // A locked period: a problem, unless a revision with a reason.
    store.ok(&["period", "lock", "2023"], None);
    let locked =
        json!({"indicator": "retail_sales", "region": "510104", "period": "2023", "value": 870.0});
    let (status, body) = answer(jinjiang.post(at, Some(json!({"rows": [locked]}))));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["field"], "period", "{body}");
    for reason in [json!(null), json!("  ")] {
        let sent = json!({"rows": [locked], "revise": true, "reason": reason});
        let (status, body) = answer(jinjiang.post(at, Some(sent)));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            places(&body),
            [(Value::Null, 0, Value::Null, json!("reason"))],
            "{body}"
        );
    }
    let csv = "indicator,region,period,value\nretail_sales,510104,2023,870\n";
    let (status, body) = upload(
        &jinjiang,
        at,
        "en",
        "r.csv",
        csv.into(),
        &[("revise", "true")],
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = [("revise", "true"), ("reason", "统计局核定数")];
    let (status, body) = upload(&jinjiang, at, "en", "r.csv", csv.into(), &fields);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["changes"][0]["locked"], true, "{body}");
    let sent = json!({"rows": [locked], "revise": true, "reason": "年报修订"});
    let (status, body) = answer(jinjiang.post(at, Some(sent)));
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, shown) = answer(planner.get(&format!("{at}/{}", body["id"])));
    assert_eq!(shown["revision_reason"], "年报修订", "{shown}");
    assert_eq!(shown["changes"][0]["locked"], true, "{shown}");
    // Approved, it is published in the locked period.
    let in_2023 = || {
        planner
            .get("/api/observations?indicator=retail_sales&region=510104&period=2023")
            .text()
            .unwrap()
    };
    assert!(!in_2023().contains("870"), "{}", in_2023());
    let (status, body) = answer(planner.post(&format!("{at}/{}/approve", body["id"]), None));
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("approved")),
        "{body}"
    );
    assert!(in_2023().contains("870"), "{}", in_2023());
    server.terminate();
}

fn edits(postgres: bool) {
    let store = chengdu_store(postgres);
    people(&store);
    let server = Server::start(&store.db, &[]);
    let who = |name: &str| As {
        server: &server,
        token: token(&store, &format!("{name}-edit"), name),
    };
    let (jinjiang, qingyang, planner, planner2) = (
        who("jinjiang"),
        who("qingyang"),
        who("planner"),
        who("planner2"),
    );
    let create = |rows: Value, draft: bool| -> i64 {
        let sent = json!({"unit": "510104", "rows": rows, "draft": draft});
        let (status, body) = answer(jinjiang.post("/api/submissions", Some(sent)));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    };
    let show = |id: i64| answer(planner.get(&format!("/api/submissions/{id}"))).1;
    let values = |rows: &Value| -> Vec<f64> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["value"].as_f64().unwrap())
            .collect()
    };

    // A draft's rows are replaced; bad rows are every problem, nothing stored.
    let draft = create(json!([row("510104", 1.0)]), true);
    let rows_of = |id: i64| format!("/api/submissions/{id}/rows");
    let edit =
        |who: &As<'_>, id: i64, rows: Value| answer(who.put(&rows_of(id), json!({"rows": rows})));
    let y2022 =
        json!({"indicator": "retail_sales", "region": "510104", "period": "2022", "value": 3.0});
    let (status, body) = edit(&jinjiang, draft, json!([row("510104", 2.0), y2022]));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["id"], &body["status"]),
        (&json!(draft), &json!("draft")),
        "{body}"
    );
    assert_eq!(values(&body["rows"]), [2.0, 3.0], "{body}");
    let bad_period =
        json!({"indicator": "retail_sales", "region": "510104", "period": "x", "value": 3.0});
    let bad = json!([row("510105", 2.0), row("510104", 2.0), bad_period]);
    let (status, body) = edit(&jinjiang, draft, bad);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        places(&body),
        [
            (Value::Null, 1, Value::Null, json!("region")),
            (Value::Null, 3, json!("period"), json!("period")),
        ],
        "{body}"
    );
    // Another unit's draft does not exist for it.
    let (status, _) = edit(&qingyang, draft, json!([row("510105", 2.0)]));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = answer(jinjiang.post(&format!("/api/submissions/{draft}/submit"), None));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(values(&show(draft)["rows"]), [2.0, 3.0]);
    // Submitted: no more edits.
    let (status, body) = edit(&jinjiang, draft, json!([row("510104", 4.0)]));
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "illegal_transition", "{body}");

    // Returned: the correction waits as the next version; the reviewer's version stays.
    let (status, _) = answer(planner.post(
        &format!("/api/submissions/{draft}/return"),
        Some(json!({"comment": "2022 年请核实"})),
    ));
    assert_eq!(status, StatusCode::OK);
    let (status, body) = edit(&jinjiang, draft, json!([row("510104", 2.0)]));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "returned", "{body}");
    let shown = show(draft);
    assert_eq!(
        (&shown["status"], &shown["version"]),
        (&json!("returned"), &json!(1)),
        "{shown}"
    );
    assert_eq!(values(&shown["rows"]), [2.0, 3.0], "{shown}");
    assert_eq!(values(&shown["edited"]), [2.0], "{shown}");
    let (status, body) = answer(jinjiang.post(&format!("/api/submissions/{draft}/submit"), None));
    assert_eq!(
        (status, &body["version"]),
        (StatusCode::OK, &json!(2)),
        "{body}"
    );
    let shown = show(draft);
    assert_eq!(values(&shown["rows"]), [2.0], "{shown}");
    assert_eq!(shown["edited"], Value::Null, "{shown}");

    // Approved with a comment: in the comments and the audit log; then no edits.
    let (status, body) = answer(planner2.post(
        &format!("/api/submissions/{draft}/approve"),
        Some(json!({"comment": "数据已核实"})),
    ));
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("approved")),
        "{body}"
    );
    let comments = show(draft)["comments"].clone();
    assert_eq!(
        (
            &comments[1]["action"],
            &comments[1]["comment"],
            &comments[1]["version"]
        ),
        (&json!("approve"), &json!("数据已核实"), &json!(2)),
        "{comments}"
    );
    let (_, log) = answer(planner.get("/api/audit?action=submission.approve"));
    let entry = &log["items"][0];
    assert_eq!(
        (&entry["object"], &entry["details"]["comment"]),
        (&json!(format!("submission:{draft}")), &json!("数据已核实")),
        "{log}"
    );
    let (_, log) = answer(planner.get("/api/audit?action=submission.edit"));
    assert_eq!(log["items"].as_array().unwrap().len(), 2, "{log}");
    let (status, _) = edit(&jinjiang, draft, json!([row("510104", 5.0)]));
    assert_eq!(status, StatusCode::CONFLICT);

    // Submitting corrected rows in the body: checked as a new submission's.
    let other = create(json!([row("510104", 6.0)]), false);
    let (status, _) = answer(planner.post(
        &format!("/api/submissions/{other}/return"),
        Some(json!({"comment": "来源？"})),
    ));
    assert_eq!(status, StatusCode::OK);
    let submit = format!("/api/submissions/{other}/submit");
    let (status, body) =
        answer(jinjiang.post(&submit, Some(json!({"rows": [row("510105", 7.0)]}))));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(show(other)["status"], "returned");
    let (status, body) =
        answer(jinjiang.post(&submit, Some(json!({"rows": [row("510104", 7.0)]}))));
    assert_eq!(
        (status, &body["version"]),
        (StatusCode::OK, &json!(2)),
        "{body}"
    );
    assert_eq!(values(&show(other)["rows"]), [7.0]);
    server.terminate();
}

#[test]
fn uploads_to_the_submissions_api_on_sqlite() {
    uploads(false);
}

#[test]
fn uploads_to_the_submissions_api_on_postgres() {
    uploads(true);
}

#[test]
fn editing_and_approving_over_the_submissions_api_on_sqlite() {
    edits(false);
}

#[test]
fn editing_and_approving_over_the_submissions_api_on_postgres() {
    edits(true);
}
