//! Tasks and key projects in the web against the real server, on SQLite and on PostgreSQL with
//! the sample data (205 tasks and 35 key projects for 2024): `/api/tasks…` and
//! `/api/projects…` with their filters (one answer of each as an insta snapshot shared by both
//! backends), the OpenAPI document listing them, the 任务 board and a task's page, the 项目 list
//! with its map and a project's page, in both languages, and the overview's counts.

use reqwest::StatusCode;
use reqwest::blocking::get;
use serde_json::Value;

use crate::Server;

fn json(server: &Server, path: &str) -> Value {
    let response = get(server.url(path)).unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().unwrap()
}

fn page(server: &Server, path: &str) -> String {
    let response = get(server.url(path)).unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().unwrap()
}

fn refused(server: &Server, path: &str, status: StatusCode) -> Value {
    let response = get(server.url(path)).unwrap();
    assert_eq!(response.status(), status, "GET {path}");
    response.json::<Value>().unwrap()["error"].clone()
}

fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().unwrap()
}

/// Every unit code of a task, in any role.
fn units(task: &Value) -> Vec<String> {
    ["lead", "responsible", "supporting"]
        .iter()
        .flat_map(|role| task[role].as_array().unwrap())
        .map(|u| u["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn boards_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    checks(db.to_str().unwrap());
}

#[test]
fn boards_on_postgres() {
    checks(&crate::fresh_postgres("boards"));
}

fn checks(db: &str) {
    let server = Server::start(db, &[]);

    // The API: every task of 2024, a page at a time.
    let all = json(&server, "/api/tasks?year=2024&per_page=1000");
    assert_eq!(all["total"], 205);
    let tasks = items(&all);
    assert_eq!(tasks.len(), 205);
    let first = &tasks[0];
    insta::assert_json_snapshot!("api_task", first);
    assert_eq!(
        &json(&server, &format!("/api/tasks/{}", first["id"])),
        first
    );
    let second_page = json(&server, "/api/tasks?year=2024&per_page=100&page=2");
    assert_eq!(items(&second_page)[0], tasks[100]);
    assert_eq!(json(&server, "/api/tasks?year=2023")["total"], 0);

    // By unit: the tasks with the unit in any role, and only those.
    let unit = units(first)[0].clone();
    let with_unit = json(&server, &format!("/api/tasks?unit={unit}&per_page=1000"));
    let expected: Vec<&Value> = tasks.iter().filter(|t| units(t).contains(&unit)).collect();
    assert_eq!(with_unit["total"], expected.len());
    assert!(expected.len() < tasks.len(), "{unit} is not in every task");
    // By action: the action's items too.
    let clause = first["clause"].as_str().unwrap();
    let action = clause.split('.').take(2).collect::<Vec<_>>().join(".");
    let in_action = json(
        &server,
        &format!("/api/tasks?clause={action}&per_page=1000"),
    );
    assert!(in_action["total"].as_u64().unwrap() > 0);
    for task in items(&in_action) {
        let c = task["clause"].as_str().unwrap();
        assert!(
            c == action || c.starts_with(&format!("{action}.")),
            "{c} under {action}"
        );
    }
    // By status (today's, from the approved progress reports): each a light and words.
    let status = first["status"].as_str().unwrap();
    let light = first["light"].as_str().unwrap();
    assert!(
        ["green", "grey", "yellow", "red"].contains(&light),
        "{light}"
    );
    assert!(!first["status_zh"].as_str().unwrap().is_empty());
    let at_status = json(
        &server,
        &format!("/api/tasks?status={status}&per_page=1000"),
    );
    assert_eq!(
        at_status["total"],
        tasks.iter().filter(|t| t["status"] == status).count()
    );
    assert_eq!(
        refused(&server, "/api/tasks?status=fine", StatusCode::BAD_REQUEST)["field"],
        "status"
    );
    // By deadline.
    let due = json(&server, "/api/tasks?due_before=2024-06-30&per_page=1000");
    for task in items(&due) {
        assert!(task["deadline"].as_str().unwrap() <= "2024-06-30");
    }
    let later = json(&server, "/api/tasks?due_after=2024-07-01&per_page=1000");
    let ongoing = tasks.iter().filter(|t| t["ongoing"] == true).count();
    assert_eq!(
        due["total"].as_u64().unwrap() + later["total"].as_u64().unwrap() + ongoing as u64,
        205
    );
    // Bad filters are named; an unknown task is 404.
    assert_eq!(
        refused(&server, "/api/tasks?unit=锦江区", StatusCode::BAD_REQUEST)["field"],
        "unit"
    );
    assert_eq!(
        refused(&server, "/api/tasks?clause=9.9", StatusCode::BAD_REQUEST)["field"],
        "clause"
    );
    assert_eq!(
        refused(
            &server,
            "/api/tasks?due_before=2024-13-01",
            StatusCode::BAD_REQUEST
        )["field"],
        "due_before"
    );
    refused(&server, "/api/tasks/99999999", StatusCode::NOT_FOUND);
    assert_eq!(
        refused(&server, "/api/tasks/x", StatusCode::BAD_REQUEST)["field"],
        "id"
    );

    // Key projects.
    let projects = json(&server, "/api/projects?year=2024");
    assert_eq!(projects["total"], 35);
    let project = &items(&projects)[0];
    insta::assert_json_snapshot!("api_project", project);
    assert_eq!(
        &json(&server, &format!("/api/projects/{}", project["id"])),
        project
    );
    let stage = project["stage"].as_str().unwrap();
    let at_stage = json(&server, &format!("/api/projects?stage={stage}"));
    assert!(items(&at_stage).iter().all(|p| p["stage"] == stage));
    let region = project["region"]["code"].as_str().unwrap();
    let in_region = json(&server, &format!("/api/projects?region={region}"));
    assert!(
        items(&in_region)
            .iter()
            .all(|p| p["region"]["code"] == region)
    );
    assert!(in_region["total"].as_u64().unwrap() >= 1);
    assert_eq!(
        refused(&server, "/api/projects?stage=soon", StatusCode::BAD_REQUEST)["field"],
        "stage"
    );
    refused(&server, "/api/projects/99999999", StatusCode::NOT_FOUND);

    // The OpenAPI document lists them, with their parameters.
    let openapi = json(&server, "/api/openapi.json");
    for path in [
        "/api/tasks",
        "/api/tasks/{id}",
        "/api/projects",
        "/api/projects/{id}",
    ] {
        assert!(openapi["paths"][path]["get"].is_object(), "{path}");
    }
    let parameters: Vec<&str> = openapi["paths"]["/api/tasks"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "year",
        "unit",
        "clause",
        "column",
        "due_before",
        "due_after",
        "page",
    ] {
        assert!(parameters.contains(&name), "{name} in {parameters:?}");
    }

    // The board: the latest year, 100 rows a page, filters by unit and action.
    let board = page(&server, "/tasks");
    assert!(board.contains("共 205 项任务"), "the count");
    assert_eq!(board.matches("<tr data-id=").count(), 100);
    assert!(board.contains("rel=\"next\""));
    let filtered = page(&server, &format!("/tasks?unit={unit}"));
    assert!(filtered.contains(&format!("共 {} 项任务", expected.len())));
    assert_eq!(
        filtered.matches("<tr data-id=").count(),
        expected.len().min(100)
    );
    assert!(filtered.contains(&format!("value=\"{unit}\" selected")));
    let by_action = page(&server, &format!("/tasks?clause={action}"));
    assert!(by_action.contains(&format!("共 {} 项任务", in_action["total"])));
    // Counts by status as chips, a light and words, each linking to the board at its status.
    let chips = board
        .split("id=\"task-statuses\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(chips.contains(&format!("status={status}\"")), "{chips}");
    assert!(
        chips.contains(first["status_zh"].as_str().unwrap()),
        "words, not colour alone"
    );
    assert!(chips.contains(&format!("<strong>{}</strong>", at_status["total"])));
    let by_status = page(&server, &format!("/tasks?status={status}"));
    assert!(by_status.contains(&format!("共 {} 项任务", at_status["total"])));
    let english = page(&server, "/tasks?lang=en");
    assert!(english.contains("205 tasks") && english.contains("Deadline"));
    assert_eq!(
        get(server.url("/tasks?month=2024-13")).unwrap().status(),
        StatusCode::BAD_REQUEST
    );

    // A task's page: its clause and the plan's text, units by role, indicators linked.
    let task = page(&server, &format!("/tasks/{}", first["id"]));
    assert!(task.contains(first["title"].as_str().unwrap()));
    assert!(task.contains("牵头单位"));
    let shown = task
        .split("id=\"task-status\"")
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap();
    assert!(
        shown.contains(first["status_zh"].as_str().unwrap()),
        "{shown}"
    );
    assert!(task.contains("id=\"task-history\""));
    assert!(task.contains(&format!(">{clause}</a>")));
    if let Some(code) = tasks
        .iter()
        .find_map(|t| t["indicators"].as_array().unwrap().first())
    {
        let with = tasks
            .iter()
            .find(|t| t["indicators"].as_array().unwrap().first() == Some(code))
            .unwrap();
        let html = page(&server, &format!("/tasks/{}", with["id"]));
        assert!(html.contains(&format!("href=\"/indicators/{}\"", code.as_str().unwrap())));
    }
    assert_eq!(
        get(server.url("/tasks/99999999")).unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // The list of key projects with its map data, and a project's page.
    let list = page(&server, "/projects");
    assert!(list.contains("共 35 个项目"));
    assert!(list.contains("id=\"project-map\"") && list.contains("id=\"project-map-data\""));
    let data = list
        .split("<script type=\"application/json\" id=\"project-map-data\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let map: Value = serde_json::from_str(data).unwrap();
    let located = items(&projects)
        .iter()
        .filter(|p| p["coordinates"].is_object())
        .count();
    assert_eq!(map["points"].as_array().unwrap().len(), located);
    let counted: u64 = map["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["value"].as_u64().unwrap())
        .sum();
    assert!(counted as usize <= 35 - located);
    let at = page(&server, &format!("/projects?stage={stage}"));
    assert!(at.contains(&format!("共 {} 个项目", at_stage["total"])));
    let one = page(&server, &format!("/projects/{}", project["id"]));
    assert!(one.contains(project["name"].as_str().unwrap()));
    assert!(page(&server, "/projects?lang=en").contains("Key projects"));

    // The overview counts them, linking to the boards.
    let overview = page(&server, "/");
    let counts = overview
        .split("id=\"work-counts\"")
        .nth(1)
        .expect("the counts");
    assert!(counts.contains("href=\"/tasks?year=2024\""));
    assert!(counts.contains("<strong>205</strong>"));
    assert!(counts.contains(&format!("href=\"/tasks?year=2024&status={status}\"")));
    assert!(counts.contains("href=\"/projects?year=2024&stage="));
}

/// In a browser at 1366×768: the board opens, filters by a unit through its form, opens a task;
/// the 项目 map is drawn; nothing comes from another origin and nothing scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boards_work_in_a_headless_browser() {
    use crate::browser::{Browser, assert_same_origin, browser_available, serve};
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path().join("store.db")).await;
    let browser = Browser::start_sized(1366, 768).await;
    browser.goto(&server.url("/tasks")).await;
    assert!(browser.text_of("#task-total").await.contains("205"));
    let wide = browser
        .execute("return document.documentElement.scrollWidth;")
        .await;
    assert!(
        wide.as_u64().unwrap() <= 1366,
        "the board fits 1366 px: {wide}"
    );
    // Filter by a department through the form.
    browser
        .execute(
            "document.getElementById('filter-unit').value = 'commerce';
             document.getElementById('task-filters').submit(); return null;",
        )
        .await;
    browser
        .wait_for("#filter-unit option[value='commerce'][selected]")
        .await;
    let total = browser.text_of("#task-total").await;
    assert!(!total.contains("205"), "{total}");
    assert!(
        browser
            .execute("return location.search;")
            .await
            .as_str()
            .unwrap()
            .contains("unit=commerce")
    );
    assert_same_origin(&browser, &server.base).await;
    // Open the first task.
    browser.click("#tasks tbody tr td a").await;
    let status = browser.text_of("#task-status").await;
    assert!(!status.trim().is_empty());
    browser.wait_for("#task-clause").await;
    // The projects' map is drawn.
    browser.goto(&server.url("/projects")).await;
    browser.wait_for("#project-map[data-drawn='true']").await;
    assert_same_origin(&browser, &server.base).await;
}
