//! The API against the real server (`planwatch serve`), on SQLite and on PostgreSQL: the same
//! checks on both, response shapes as insta snapshots shared by both backends.

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{ACCEPT_LANGUAGE, ETAG, IF_NONE_MATCH, LAST_MODIFIED};
use serde_json::Value;

use crate::import::TestStore;
use crate::{Server, planwatch, stderr, stdout};

fn get(server: &Server, path: &str) -> Response {
    Client::new()
        .get(server.url(path))
        .send()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn json(server: &Server, path: &str) -> Value {
    let response = get(server, path);
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().unwrap()
}

/// The error body of a request that must fail with `status`.
fn error(server: &Server, path: &str, lang: &str, status: StatusCode) -> Value {
    let response = Client::new()
        .get(server.url(path))
        .header(ACCEPT_LANGUAGE, lang)
        .send()
        .unwrap();
    assert_eq!(response.status(), status, "GET {path}");
    let body: Value = response.json().unwrap();
    body["error"].clone()
}

#[test]
fn api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    api_checks(db.to_str().unwrap());
}

#[test]
fn api_on_postgres() {
    api_checks(&crate::fresh_postgres("web"));
}

fn api_checks(db: &str) {
    let server = Server::start(db, &[]);
    let health: serde_json::Value = get(&server, "/healthz").json().unwrap();
    assert_eq!(
        (
            &health["status"],
            &health["primary"]["up"],
            &health["replica"]
        ),
        (&serde_json::json!("ok"), &Value::Bool(true), &Value::Null),
        "{health}"
    );

    // The plan and its parts.
    let indicators = json(&server, "/api/plan/indicators");
    let numbered = indicators
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["number"].is_u64())
        .count();
    assert_eq!(numbered, 20);
    for section in [
        "actions",
        "columns",
        "zones",
        "layout",
        "industries",
        "departments",
    ] {
        let part = json(&server, &format!("/api/plan/{section}"));
        assert!(!part.as_array().unwrap().is_empty(), "{section}");
    }
    let bad = error(&server, "/api/plan/nonsense", "en", StatusCode::BAD_REQUEST);
    assert_eq!(bad["field"], "section");

    // The evaluation is the CLI's, field for field.
    let path = "/api/evaluation?indicator=retail_sales&region=510100&year=2024";
    let api = json(&server, path);
    let cli = planwatch(&[
        "--db",
        db,
        "evaluate",
        "--indicator",
        "retail_sales",
        "--region",
        "510100",
        "--year",
        "2024",
        "--format",
        "json",
    ]);
    assert!(cli.status.success(), "{}", stderr(&cli));
    let cli: Value = serde_json::from_str(&stdout(&cli)).unwrap();
    assert_eq!(api["results"], cli["results"]);
    insta::assert_json_snapshot!("api_evaluation_retail_sales_2024", api);
    let all = json(&server, "/api/evaluation?year=2024");
    let page = json(&server, "/api/evaluation?year=2024&per_page=5&page=2");
    assert_eq!(page["total"], all["results"].as_array().unwrap().len());
    assert_eq!(
        page["results"].as_array().unwrap()[..],
        all["results"].as_array().unwrap()[5..10]
    );

    // Observations: filters, pagination, history; a shape snapshot with the import time masked.
    let page = json(
        &server,
        "/api/observations?indicator=retail_sales&region=成都市&from=2018&to=2020&per_page=2&page=1",
    );
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let mut first = page["items"][0].clone();
    first["imported_at"] = "[time]".into();
    insta::assert_json_snapshot!("api_observation_row", first);
    let history = json(
        &server,
        "/api/observations/history?indicator=2&region=成都市&period=2019",
    );
    assert!(history.as_array().unwrap().len() >= 2, "{history}");

    // Mistakes are 400s naming the field, in the language asked for; unknown paths are 404.
    let zh = error(
        &server,
        "/api/evaluation?year=abc",
        "zh-CN",
        StatusCode::BAD_REQUEST,
    );
    let en = error(
        &server,
        "/api/evaluation?year=abc",
        "en",
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(
        (zh["code"].as_str(), zh["field"].as_str()),
        (Some("bad_parameter"), Some("year"))
    );
    assert!(zh["message"].as_str().unwrap().contains("不是年份"), "{zh}");
    assert!(
        en["message"].as_str().unwrap().contains("is not a year"),
        "{en}"
    );
    for (path, field) in [
        ("/api/observations?per_page=0", "per_page"),
        ("/api/observations?region=火星", "region"),
        ("/api/observations?from=20x1", "from"),
        ("/api/export?format=pdf", "format"),
        (
            "/api/observations/history?indicator=2&region=成都市",
            "period",
        ),
        ("/api/evaluation?as_of=2024-13-01", "as_of"),
    ] {
        assert_eq!(
            error(&server, path, "en", StatusCode::BAD_REQUEST)["field"],
            field,
            "{path}"
        );
    }
    assert_eq!(
        error(&server, "/api/nothing-here", "en", StatusCode::NOT_FOUND)["code"],
        "not_found"
    );
    // What the framework refuses is JSON too.
    assert_eq!(
        error(
            &server,
            "/api/observations?page=1&page=2",
            "en",
            StatusCode::BAD_REQUEST
        )["code"],
        "bad_request"
    );
    let post = Client::new().post(server.url("/api/plan")).send().unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        post.json::<Value>().unwrap()["error"]["code"],
        "method_not_allowed"
    );
    // A year at or before the baseline is evaluated (it used to panic and drop the connection).
    let early = json(
        &server,
        "/api/evaluation?year=2020&indicator=retail_sales&region=510100",
    );
    assert_eq!(early["year"], 2020);
    // As of a date, the default year is the latest known then.
    let then = json(
        &server,
        "/api/evaluation?as_of=2021-12-31&indicator=retail_sales&region=510100",
    );
    assert!(
        then["year"].as_u64().unwrap() < api["year"].as_u64().unwrap(),
        "{then}"
    );

    // OpenAPI 3.1, generated from the handlers.
    let openapi = json(&server, "/api/openapi.json");
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/evaluation",
        "/api/observations",
        "/api/plan/{section}",
        "/api/export",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} is described");
    }
    assert_eq!(get(&server, "/api/docs/").status(), StatusCode::OK);

    // Downloads.
    let csv = get(&server, "/api/export?indicator=retail_sales&format=csv")
        .text()
        .unwrap();
    assert!(csv.starts_with("indicator,region,period,value"), "{csv}");
    let sdmx = get(
        &server,
        "/api/export?indicator=retail_sales&format=sdmx-csv",
    )
    .text()
    .unwrap();
    assert!(
        sdmx.contains("REF_AREA") && sdmx.contains("TIME_PERIOD"),
        "{sdmx}"
    );
    let xlsx = get(&server, "/api/export?format=xlsx").bytes().unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX is a zip");

    // Caching: a conditional request is answered 304 until an import changes the store; then
    // the tag changes and the evaluation shows the new value.
    let first = get(&server, path);
    let tag = first.headers()[ETAG].clone();
    assert!(first.headers().contains_key(LAST_MODIFIED));
    let again = Client::new()
        .get(server.url(path))
        .header(IF_NONE_MATCH, tag.clone())
        .send()
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // A bad request is refused even from a client holding the current tag.
    let bad = Client::new()
        .get(server.url("/api/evaluation?year=abc"))
        .header(IF_NONE_MATCH, "*")
        .send()
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("revision.csv");
    std::fs::write(
        &file,
        "indicator,region,period,value,status\nretail_sales,510100,2024,99999,revised\n",
    )
    .unwrap();
    let import = planwatch(&["--db", db, "import", file.to_str().unwrap()]);
    assert!(import.status.success(), "{}", stderr(&import));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let response = Client::new()
            .get(server.url(path))
            .header(IF_NONE_MATCH, tag.clone())
            .send()
            .unwrap();
        if response.status() == StatusCode::OK {
            assert_ne!(response.headers()[ETAG], tag);
            let report: Value = response.json().unwrap();
            assert_eq!(report["results"][0]["latest_value"], 99999.0);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import was not seen within 5 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The pages follow: their cache is keyed on the store's version too.
    let page = get(&server, "/indicators/retail_sales").text().unwrap();
    assert!(
        page.contains("99999"),
        "the indicator page shows the new value"
    );
}

#[test]
fn pages_render_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let server = Server::start(db.to_str().unwrap(), &[]);
    let overview = get(&server, "/").text().unwrap();
    assert_eq!(overview.matches("<article class=\"card").count(), 20);
    assert!(overview.contains("一屏统管"));
    // The page's tag follows the page's language (Chinese whatever Accept-Language says, until
    // the reader switches): a tag of the Chinese page must not validate the English one.
    let chinese = Client::new()
        .get(server.url("/"))
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .unwrap();
    let tag = chinese.headers()[ETAG].clone();
    assert!(chinese.text().unwrap().contains("lang=\"zh-CN\""));
    let switched = Client::new()
        .get(server.url("/"))
        .header("cookie", "lang=en")
        .header(IF_NONE_MATCH, tag)
        .send()
        .unwrap();
    assert_eq!(switched.status(), StatusCode::OK);
    assert!(switched.text().unwrap().contains("lang=\"en\""));
    let english = get(&server, "/?lang=en");
    let cookie = english.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=en"), "{cookie}");
    assert!(english.text().unwrap().contains("Overview"));
    for path in [
        "/indicators/retail_sales",
        "/indicators/2",
        "/regions/510104",
        "/regions/gaoxin",
        "/map?indicator=retail_sales&by=status",
        "/plan?q=会展",
        "/data?indicator=retail_sales&q=2019",
        "/methodology",
    ] {
        let response = get(&server, path);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().unwrap();
        assert!(html.contains("</html>"), "{path}");
    }
    // The numbers on the pages are the API's: the card's latest value and completion, and the
    // districts ranked by their latest value.
    let report = json(&server, "/api/evaluation?indicator=retail_sales");
    let city = &report["results"][0];
    let card = overview
        .split("<article")
        .find(|c| c.contains("data-indicator=\"retail_sales\""))
        .unwrap();
    let latest = city["latest_value"].as_f64().unwrap();
    assert!(card.contains(&format!("{latest} 亿元")), "{card}");
    let completion = city["completion"].as_f64().unwrap() * 100.0;
    assert!(card.contains(&format!("{completion:.1}%")), "{card}");
    let mut districts: Vec<(f64, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["region"].as_str().unwrap().starts_with("5101") && r["region"] != "510100")
        .map(|r| {
            (
                r["latest_value"].as_f64().unwrap(),
                r["region"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    districts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let indicator = get(&server, "/indicators/retail_sales").text().unwrap();
    let ranked: Vec<&str> = indicator
        .split("<td><a href=\"/regions/")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert_eq!(
        ranked[..3],
        [&districts[0].1, &districts[1].1, &districts[2].1].map(String::as_str)
    );
    assert!(indicator.contains("id=\"indicator-chart\""));
    assert!(indicator.contains("目标完成度"), "readings in sentences");
    let map = get(&server, "/map").text().unwrap();
    assert!(
        map.contains("示意图"),
        "the default map is labelled schematic"
    );
    let missing = get(&server, "/indicators/no-such-thing");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        missing.text().unwrap().contains("<html"),
        "a page, not JSON"
    );
}

/// A server's first start loads the sample data into the SQLite file itself (not only its
/// write-ahead log), and SIGTERM stops it cleanly, with the log emptied (issue 11, item 11).
#[test]
fn the_server_keeps_the_sqlite_file_whole_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("planwatch.db");
    let server = Server::start(db.to_str().unwrap(), &[]);
    assert!(get(&server, "/api/observations").status().is_success());
    crate::assert_whole_in_its_file(&db);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    crate::assert_whole_in_its_file(&db);
}

/// A user's import keeps the path as typed for the administrator (`data batches`, `data
/// history`), while every public answer — API, pages, downloads — names the file alone: no
/// directory of the server's machine leaks (issue 11, item 4).
#[test]
fn public_answers_name_the_file_not_its_directory_on_sqlite() {
    public_file_names(&TestStore::sqlite());
}

#[test]
fn public_answers_name_the_file_not_its_directory_on_postgres() {
    public_file_names(&TestStore::postgres());
}

fn public_file_names(store: &TestStore) {
    let directory = store.dir.path().join("secret-directory");
    std::fs::create_dir(&directory).unwrap();
    let file = directory.join("abs.csv");
    std::fs::write(
        &file,
        "indicator,region,period,value,unit,status\n\
         retail_sales,440100,2019,7000,亿元,final\n\
         retail_sales,440100,2020,7100,亿元,final\n",
    )
    .unwrap();
    let typed = file.to_str().unwrap();
    let import = store.import(&file, &[]);
    assert!(import.status.success(), "{}", stderr(&import));
    // The administrator sees what was typed.
    let batches = stdout(&store.run(&["data", "batches"]));
    assert!(batches.contains(typed), "{batches}");
    let history = stdout(&store.history("retail_sales", "440100", "2019"));
    assert!(history.contains(typed), "{history}");

    let db = store.db.as_str();
    let server = Server::start(db, &[]);
    let page = json(&server, "/api/observations?indicator=retail_sales");
    assert_eq!(page["items"][0]["file_name"], "abs.csv", "{page}");
    let history = json(
        &server,
        "/api/observations/history?indicator=retail_sales&region=440100&period=2019",
    );
    assert_eq!(history[0]["file_name"], "abs.csv", "{history}");
    for path in [
        "/api/observations?indicator=retail_sales",
        "/api/observations/history?indicator=retail_sales&region=440100&period=2019",
        "/data?indicator=retail_sales",
        "/data?indicator=retail_sales&lang=en",
        "/indicators/retail_sales",
        "/indicators/retail_sales/history?region=440100&period=2019",
        "/api/export?format=csv",
        "/api/export?format=sdmx-csv",
    ] {
        let body = get(&server, path).text().unwrap();
        assert!(!body.contains("secret-directory"), "{path}: {body}");
    }
    use calamine::Reader;
    let xlsx = get(&server, "/api/export?format=xlsx").bytes().unwrap();
    let mut workbook =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).unwrap();
        assert!(
            range
                .used_cells()
                .all(|(_, _, c)| !c.to_string().contains("secret-directory")),
            "sheet {name}"
        );
    }
}
