//! The progress API (`/api/progress…`) against the real server, on SQLite and PostgreSQL, on
//! the sample store's 2024 tasks and key projects: a district reporter reports progress on a
//! task it is responsible for with an evidence file (a form), which comes back byte for byte
//! as an attachment with its media type; a reporter of another unit neither sees it nor
//! reports for it, anonymous callers and viewers are refused; an evidence file over 10 MiB is
//! refused with 422 naming the limit, nothing stored; the pages list it;
//! the plan office returns it, the unit edits it (a second version), swaps its evidence and
//! submits it again, its own side cannot approve, a planner approves; a project report as a
//! JSON draft is seen by its unit only and withdrawn.

use reqwest::StatusCode;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Server;
use crate::accounts::Accounts;
use crate::submissions_api::{As, answer};
use crate::webauth::{chengdu_store, token};

/// The id of the sample 2024 task (or key project, with `what` = "projects") titled `title`.
pub(crate) fn sample_id(store: &Accounts, what: &str, title: &str) -> i64 {
    let listed = store.ok(&[what, "list", "--year", "2024", "--format", "json"], None);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let key = if what == "tasks" { "title" } else { "name" };
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t[key] == title)
        .unwrap_or_else(|| panic!("no {title} in {listed}"))["id"]
        .as_i64()
        .unwrap()
}

/// 锦江区 is a responsible unit of it (with 天府新区), 青羊区 is not; it has one node.
pub(crate) const TASK: &str = "建设跨境供应链金融服务平台和全国跨境供应链金融示范区";
/// 锦江区 is one of its units.
const PROJECT: &str = "天府锦城“八街九坊十景”";

/// A multipart POST with the caller's token.
fn post_form(who: &As<'_>, path: &str, form: Form) -> Response {
    Client::new()
        .post(who.server.url(path))
        .header(AUTHORIZATION, format!("Bearer {}", who.token))
        .header("accept-language", "en")
        .multipart(form)
        .send()
        .unwrap()
}

fn evidence(name: &str, media_type: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(media_type)
        .unwrap()
}

/// A report on the task as a form, `extra` parts added.
fn task_form(task: i64, extra: &[(&'static str, &'static str)]) -> Form {
    let mut form = Form::new()
        .text("task", task.to_string())
        .text("period", "2024Q2")
        .text("unit", "510104")
        .text("progress", "60")
        .text("nodes_met", "1")
        .text("text", "平台已完成上线测试")
        .text("problems", "跨境数据接口待协调");
    for (name, value) in extra {
        form = form.text(*name, *value);
    }
    form
}

fn count(who: &As<'_>) -> usize {
    let (status, list) = answer(who.get("/api/progress"));
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().len()
}

fn cycle(postgres: bool) {
    let store = chengdu_store(postgres);
    crate::webauth::add_user(&store, "planner2", "planner", &[]);
    let task = sample_id(&store, "tasks", TASK);
    let project = sample_id(&store, "projects", PROJECT);
    let server = Server::start(&store.db, &[]);
    let who = |name: &str| As {
        server: &server,
        token: token(&store, &format!("{name}-progress"), name),
    };
    let (jinjiang, qingyang, planner, planner2, leader) = (
        who("jinjiang"),
        who("qingyang"),
        who("planner"),
        who("planner2"),
        who("leader"),
    );
    let anonymous = As {
        server: &server,
        token: String::new(),
    };
    // The sample data's approved reports are there already.
    let (sample_jinjiang, sample_qingyang) = (count(&jinjiang), count(&qingyang));

    // Bytes that are no text: they must come back as they went.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let form = task_form(task, &[]).part(
        "evidence",
        evidence("上线测试报告.pdf", "application/pdf", bytes.clone()),
    );
    let (status, created) = answer(post_form(&jinjiang, "/api/progress", form));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "submitted", "{created}");
    assert_eq!(created["task"], task, "{created}");
    assert_eq!(created["unit"], "region:510104", "{created}");
    assert_eq!(created["content"]["progress"], 60.0, "{created}");
    assert_eq!(created["content"]["nodes_met"], json!([1]), "{created}");
    let file = &created["evidence"][0];
    assert_eq!(file["name"], "上线测试报告.pdf", "{created}");
    assert_eq!(file["size"], bytes.len(), "{created}");
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(file["sha256"], sha, "{created}");
    let id = created["id"].as_i64().unwrap();
    let url = file["url"].as_str().unwrap().to_owned();

    // The download: the same bytes, its media type, as an attachment, never sniffed.
    let download = planner.get(&url);
    assert_eq!(download.status(), StatusCode::OK);
    let headers = download.headers().clone();
    assert_eq!(headers[CONTENT_TYPE], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers[CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%E4%B8%8A%E7%BA%BF"),
        "{disposition}"
    );
    assert_eq!(download.bytes().unwrap().as_ref(), bytes.as_slice());

    // The pages: 审核 lists it, its page shows the status now and after approval; 填报 shows
    // the task with its status and the unit's report; not to another unit.
    let page = |who: &As<'_>, path: &str| {
        let response = who.get(path);
        (response.status(), response.text().unwrap())
    };
    let (status, review) = page(&planner, "/review");
    assert_eq!(status, StatusCode::OK);
    assert!(
        review.contains(&format!("href=\"/review/progress/{id}\"")),
        "{review}"
    );
    let (status, detail) = page(&planner, &format!("/review/progress/{id}"));
    assert_eq!(status, StatusCode::OK, "{detail}");
    for part in [
        "id=\"status-now\"",
        "id=\"status-after\"",
        "上线测试报告.pdf",
        TASK,
    ] {
        assert!(detail.contains(part), "{part}: {detail}");
    }
    let (status, _) = page(&jinjiang, &format!("/review/progress/{id}"));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, report) = page(&jinjiang, "/report");
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("id=\"progress-h\""), "{report}");
    assert!(
        report.contains(&format!("data-kind=\"task\" data-id=\"{task}\"")),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "<tr class=\"progress-submitted\" data-id=\"{id}\""
        )),
        "{report}"
    );
    let (_, theirs) = page(&qingyang, "/report");
    assert!(
        !theirs.contains(&format!("data-id=\"{id}\"><td>{id}</td>")),
        "{theirs}"
    );

    // Another unit's reporter: neither the report nor its file, nor a report for 锦江区 or on
    // a task its own unit does not report on; anonymous callers and viewers: refused.
    assert_eq!(
        qingyang.get(&format!("/api/progress/{id}")).status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(qingyang.get(&url).status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&qingyang), sample_qingyang);
    for unit in ["510104", "510105"] {
        let body = json!({"task": task, "period": "2024Q2", "unit": unit, "progress": 100});
        let (status, refused) = answer(qingyang.post("/api/progress", Some(body)));
        assert_eq!(status, StatusCode::FORBIDDEN, "{unit}: {refused}");
    }
    let body = json!({"task": task, "period": "2024Q2", "unit": "510105", "progress": 100});
    let (_, refused) = answer(qingyang.post("/api/progress", Some(body)));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not a lead or responsible unit"),
        "{refused}"
    );
    for path in [
        "/api/progress".to_owned(),
        format!("/api/progress/{id}"),
        url.clone(),
    ] {
        assert_eq!(
            anonymous.get(&path).status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(leader.get(&path).status(), StatusCode::FORBIDDEN, "{path}");
    }

    // Over the limits: a file over 10 MiB is 422, naming the limit (its body is read whole: the
    // routes take the submissions' larger body limit, not the 64 KiB of other requests); bad
    // content is 422, naming the field. Nothing stored.
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let form = task_form(task, &[]).part("evidence", evidence("big.txt", "text/plain", big));
    let (status, body) = answer(post_form(&jinjiang, "/api/progress", form));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "evidence", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("it must have 1 byte to 10 MiB"),
        "{body}"
    );
    let (status, body) = answer(jinjiang.post(
        "/api/progress",
        Some(json!({"task": task, "period": "2024Q2", "progress": "half"})),
    ));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "progress", "{body}");
    let (status, body) = answer(jinjiang.post(
        "/api/progress",
        Some(json!({"task": task, "period": "2025Q1", "progress": 10})),
    ));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(count(&jinjiang), sample_jinjiang + 1);

    // The plan office returns it; the unit edits it (the next version) and swaps its file.
    let (status, moved) = answer(planner.post(
        &format!("/api/progress/{id}/return"),
        Some(json!({"comment": "请补充平台上线证明"})),
    ));
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status"], "returned", "{moved}");
    let (status, edited) = answer(jinjiang.put(
        &format!("/api/progress/{id}"),
        json!({"progress": "done", "nodes_met": [1], "text": "平台已上线"}),
    ));
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["versions"].as_array().unwrap().len(), 2, "{edited}");
    let removed = jinjiang
        .request(reqwest::Method::DELETE, &url, "en")
        .send()
        .unwrap();
    assert_eq!(removed.status(), StatusCode::OK);
    let proof = b"platform online".to_vec();
    let form = Form::new().part("evidence", evidence("上线公告.txt", "text/plain", proof));
    let (status, added) = answer(post_form(
        &jinjiang,
        &format!("/api/progress/{id}/evidence"),
        form,
    ));
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["evidence"].as_array().unwrap().len(), 1, "{added}");
    assert_eq!(added["evidence"][0]["name"], "上线公告.txt", "{added}");
    let (status, moved) = answer(jinjiang.post(&format!("/api/progress/{id}/submit"), None));
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        moved,
        json!({"id": id, "status": "submitted", "version": 2})
    );

    // A submitted report takes no files; its unit cannot approve it, the plan office can.
    let form = Form::new().part(
        "evidence",
        evidence("late.txt", "text/plain", b"x".to_vec()),
    );
    let late = post_form(&jinjiang, &format!("/api/progress/{id}/evidence"), form);
    assert_eq!(late.status(), StatusCode::CONFLICT);
    // The public's task answer and board, cached before the approval, follow it within a poll.
    let public_task = format!("/api/tasks/{task}");
    let done_board = "/tasks?unit=510104&status=done";
    let task_link = format!("href=\"/tasks/{task}\"");
    let (status, before) = answer(anonymous.get(&public_task));
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_ne!(before["status"], "done", "{before}");
    assert!(
        !anonymous
            .get(done_board)
            .text()
            .unwrap()
            .contains(&task_link)
    );
    let approve = format!("/api/progress/{id}/approve");
    assert_eq!(
        jinjiang.post(&approve, None).status(),
        StatusCode::FORBIDDEN
    );
    let (status, moved) = answer(planner2.post(&approve, Some(json!({"comment": "同意"}))));
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status"], "approved", "{moved}");
    let (_, detail) = answer(jinjiang.get(&format!("/api/progress/{id}")));
    assert_eq!(detail["content"]["progress"], "done", "{detail}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, after) = answer(anonymous.get(&public_task));
        let on_board = anonymous
            .get(done_board)
            .text()
            .unwrap()
            .contains(&task_link);
        if after["status"] == "done" && on_board {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the public still sees {after} (on the done board: {on_board})"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let actions: Vec<&str> = detail["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["return", "approve"], "{detail}");
    let (_, approved) = answer(planner.get("/api/progress?status=approved&year=2024"));
    assert!(
        approved.as_array().unwrap().iter().any(|r| r["id"] == id),
        "{approved}"
    );

    // A project report as a JSON draft: its unit's only, until withdrawn.
    let (status, draft) = answer(jinjiang.post(
        "/api/progress",
        Some(
            json!({"project": project, "period": "2024Q2", "unit": "510104", "draft": true,
                    "stage": "在建", "invested_year": 3.5, "invested_total": 95.5,
                    "text": "街区改造推进中"}),
        ),
    ));
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["status"], "draft", "{draft}");
    assert_eq!(draft["content"]["stage"], "construction", "{draft}");
    let draft_id = draft["id"].as_i64().unwrap();
    assert_eq!(
        planner.get(&format!("/api/progress/{draft_id}")).status(),
        StatusCode::NOT_FOUND
    );
    let (status, moved) =
        answer(jinjiang.post(&format!("/api/progress/{draft_id}/withdraw"), None));
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status"], "withdrawn", "{moved}");
}

#[test]
fn progress_reports_cycle_with_evidence_on_sqlite() {
    cycle(false);
}

#[test]
fn progress_reports_cycle_with_evidence_on_postgres() {
    cycle(true);
}
