//! Statistics confidentiality against the real server, on SQLite and PostgreSQL: figures a unit
//! submitted but the plan office has not approved (distinctive values) appear in no public page,
//! no API answer, no export (CSV, XLSX, SDMX-CSV), no evaluation or milestone path — neither for
//! the anonymous public nor for a signed-in viewer, nor in pages cached before the submission —
//! and not in `planwatch evaluate` or `planwatch export`; once approved, each shows them within
//! one poll of the store's version.

use std::time::{Duration, Instant};

use calamine::Reader;
use reqwest::StatusCode;
use serde_json::json;

use crate::Server;
use crate::submissions_api::{As, answer};
use crate::webauth::{add_user, chengdu_store, token};

/// 成都市's retail sales in 2025 (published: 11434.1), a revision.
const CITY_2025: &str = "11987.34";
/// 成都市's retail sales in the base year 2020 (published: 8118.5362): the evaluation's
/// baseline and the start of the milestone path.
const CITY_2020: &str = "8321.77";
/// 锦江区's retail sales in 2025 (published: 1252.78).
const JINJIANG_2025: &str = "1301.29";

const SECRETS: [&str; 3] = [CITY_2025, CITY_2020, JINJIANG_2025];

/// Every place published figures are shown, with the secret figures it shows once they are
/// published.
const PLACES: [(&str, &[&str]); 14] = [
    ("/", &[CITY_2025]),
    ("/indicators/retail_sales", &[CITY_2025]),
    (
        "/indicators/retail_sales/history?region=510100&period=2025",
        &[CITY_2025],
    ),
    ("/regions/510100", &[CITY_2025]),
    ("/regions/510104", &[JINJIANG_2025]),
    ("/map?indicator=retail_sales", &[JINJIANG_2025]),
    (
        "/data?indicator=retail_sales&region=510100,510104",
        &SECRETS,
    ),
    (
        "/api/observations?indicator=retail_sales&region=510100,510104&per_page=1000",
        &SECRETS,
    ),
    (
        "/api/observations/history?indicator=retail_sales&region=510100&period=2020",
        &[CITY_2020],
    ),
    ("/api/evaluation?indicator=retail_sales", &SECRETS),
    (
        "/api/evaluation?indicator=retail_sales&format=csv",
        &SECRETS,
    ),
    ("/api/milestones?indicator=retail_sales", &[CITY_2020]),
    ("/api/export?format=csv&indicator=retail_sales", &SECRETS),
    (
        "/api/export?format=sdmx-csv&indicator=retail_sales",
        &SECRETS,
    ),
];

const XLSX: &str = "/api/export?format=xlsx&indicator=retail_sales";

/// The text of `path` as `caller` gets it; for the XLSX export, every cell of every sheet.
fn text_of(caller: &As<'_>, path: &str) -> String {
    let response = caller.get(path);
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    if path != XLSX {
        return response.text().unwrap();
    }
    let bytes = response.bytes().unwrap().to_vec();
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let mut cells = String::new();
    for name in workbook.sheet_names() {
        for (_, _, cell) in workbook.worksheet_range(&name).unwrap().used_cells() {
            cells.push_str(&cell.to_string());
            cells.push('\n');
        }
    }
    cells
}

/// Every place, and the XLSX export with the figures its CSV twin shows.
fn places() -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
    PLACES.into_iter().chain([(XLSX, &SECRETS[..])])
}

/// Asserts that no place shows a secret figure to `caller`.
#[track_caller]
fn nowhere(caller: &As<'_>, when: &str) {
    for (path, _) in places() {
        let text = text_of(caller, path);
        for secret in SECRETS {
            assert!(!text.contains(secret), "{when}: {secret} in {path}");
        }
    }
}

/// Asserts that every place comes to show its figures to `caller` within a second (the store's
/// version is polled every 200 ms).
#[track_caller]
fn everywhere_soon(caller: &As<'_>) {
    for (path, shown) in places() {
        let start = Instant::now();
        loop {
            let text = text_of(caller, path);
            let missing: Vec<&&str> = shown.iter().filter(|s| !text.contains(**s)).collect();
            if missing.is_empty() {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{missing:?} not in {path} a second after approval"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn retail(region: &str, period: &str, value: &str) -> serde_json::Value {
    json!({"indicator": "retail_sales", "region": region, "period": period,
           "value": value.parse::<f64>().unwrap()})
}

fn confidential_until_approved(postgres: bool) {
    let store = chengdu_store(postgres);
    add_user(&store, "commerce", "reporter", &["commerce"]);
    let server = Server::start(&store.db, &[]);
    let who = |name: &str| As {
        server: &server,
        token: token(&store, &format!("{name}-api"), name),
    };
    let (jinjiang, commerce, planner, viewer) = (
        who("jinjiang"),
        who("commerce"),
        who("planner"),
        who("leader"),
    );
    let public = As {
        server: &server,
        token: String::new(),
    };
    let cli = |args: &[&str]| {
        [
            store.ok(&[&["evaluate", "--format", "json"], args].concat(), None),
            store.ok(&[&["export"], args].concat(), None),
        ]
        .join("\n")
    };
    let cli_args = ["--indicator", "retail_sales"];

    // Warm every cache first: the pages and answers as they were before the submission.
    nowhere(&public, "before");
    nowhere(&viewer, "before");

    let mut submitted = Vec::new();
    for (unit, reporter, rows) in [
        (
            "510104",
            &jinjiang,
            vec![retail("510104", "2025", JINJIANG_2025)],
        ),
        (
            "commerce",
            &commerce,
            vec![
                retail("510100", "2025", CITY_2025),
                retail("510100", "2020", CITY_2020),
            ],
        ),
    ] {
        let (status, created) = answer(reporter.post(
            "/api/submissions",
            Some(json!({"unit": unit, "rows": rows})),
        ));
        assert_eq!(status, StatusCode::CREATED, "{created}");
        submitted.push(created["id"].as_i64().unwrap());
    }

    // Submitted: still nowhere, cached or not, public or signed in, nor on the command line.
    nowhere(&public, "submitted");
    nowhere(&viewer, "submitted");
    let printed = cli(&cli_args);
    for secret in SECRETS {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }

    for id in submitted {
        let (status, body) = answer(planner.post(&format!("/api/submissions/{id}/approve"), None));
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    everywhere_soon(&public);
    everywhere_soon(&viewer);
    let printed = cli(&cli_args);
    for secret in SECRETS {
        assert!(printed.contains(secret), "{secret} not printed: {printed}");
    }
    server.terminate();
}

#[test]
fn unapproved_figures_are_nowhere_until_approved_on_sqlite() {
    confidential_until_approved(false);
}

#[test]
fn unapproved_figures_are_nowhere_until_approved_on_postgres() {
    confidential_until_approved(true);
}
