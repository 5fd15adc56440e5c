//! What docs/web.md promises of every answer: errors say what they vary with and are the
//! same page everywhere off the API, ETags where the docs say so.

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_TYPE, ETAG, VARY};

use crate::Server;

fn get(server: &Server, path: &str, lang: &str) -> Response {
    Client::new()
        .get(server.url(path))
        .header("accept-language", lang)
        .send()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// Every `Vary` header of an answer, lower-cased and split.
fn vary(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(VARY)
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect()
}

#[test]
fn answers_keep_the_promises_of_the_docs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let server = Server::start(db.to_str().unwrap(), &[]);

    // An API error's words follow Accept-Language, and the answer says so.
    for path in [
        "/api/evaluation?year=abc",
        "/api/nothing-here",
        "/api/observations?page=1&page=2",
    ] {
        let zh = get(&server, path, "zh-CN");
        let vary = vary(&zh);
        assert!(
            vary.contains(&"accept-language".to_owned()),
            "GET {path}: Vary {vary:?}"
        );
        let en = get(&server, path, "en").text().unwrap();
        assert_ne!(zh.text().unwrap(), en, "GET {path} in two languages");
    }

    // A file that is not there is the same error page as any other missing page.
    for path in ["/static/nothing.css", "/vendor/nothing.js", "/nothing"] {
        let response = get(&server, path, "zh-CN");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {path}");
        let kind = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/html"), "GET {path}: {kind}");
        let html = response.text().unwrap();
        assert!(
            html.contains("<html") && html.contains("未找到"),
            "GET {path}: {html}"
        );
    }

    // ETags: every successful API answer and page, and every file (docs/web.md lists the
    // answers without one).
    for path in [
        "/healthz",
        "/api/plan",
        "/api/evaluation?year=2024",
        "/api/observations",
        "/",
        "/methodology",
        "/static/app.css",
        "/vendor/echarts.min.js",
    ] {
        let response = get(&server, path, "en");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        assert!(response.headers().contains_key(ETAG), "GET {path}: no ETag");
    }
}
