//! The pages in a real browser: headless Chromium driven over WebDriver (Debian's chromedriver,
//! installed by `scripts/setup-browser`) against `planwatch serve` with the sample data. Checks what
//! only a browser can: the overview's cards, the ECharts chart and map actually drawn, the language
//! switch, the CSV download fetched from the page, and that no page requests anything from another
//! origin.
//!
//! Without `/usr/bin/chromedriver` the test is skipped with a message, except under CI (`CI` set),
//! where it fails instead, so that CI never skips it silently.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::Server;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long to wait for something the page's scripts do (a chart drawn, a page loaded).
const WAIT: Duration = Duration::from_secs(15);

/// Whether the browser tests can run; `false` (after saying so) when they are to be skipped.
pub(crate) fn browser_available() -> bool {
    if Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{CHROMEDRIVER} is missing under CI: run scripts/setup-browser");
    }
    eprintln!("skipped: chromedriver not installed (scripts/setup-browser)");
    false
}

/// chromedriver on a free port of the loopback, in its own process group; the group (chromedriver
/// and the Chromium it started) is killed when this is dropped.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        use std::os::unix::process::CommandExt;
        let port = crate::free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        ChromeDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The negative id names the process group that chromedriver leads (process_group(0)).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session: the driver, the browser's profile directory and the client.
pub(crate) struct Browser {
    pub(crate) client: Client,
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        Self::start_sized(1280, 1000).await
    }

    /// A browser whose window is `width` × `height` pixels.
    pub(crate) async fn start_sized(width: u32, height: u32) -> Browser {
        let driver = ChromeDriver::start();
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--window-size={width},{height}"),
                    "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                // The pages follow Accept-Language when there is no choice yet: ask for Chinese,
                // the default, whatever the machine's locale.
                "prefs": { "intl.accept_languages": "zh-CN,zh" },
            }),
        );
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities);
        // chromedriver needs a moment before it accepts connections.
        let deadline = Instant::now() + WAIT;
        let client = loop {
            match builder.connect(&driver.url).await {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    panic!(
                        "no WebDriver session from chromedriver at {}: {e}",
                        driver.url
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let browser = Browser {
            client,
            _driver: driver,
            _profile: profile,
        };
        // The window's size includes the browser's own bars: grow it by them, so that the
        // page gets `width` × `height`.
        let chrome = browser
            .execute("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];")
            .await;
        let extra = |i: usize| u32::try_from(chrome[i].as_u64().unwrap_or(0)).unwrap_or(0);
        browser
            .client
            .set_window_size(width + extra(0), height + extra(1))
            .await
            .expect("the window can be resized");
        browser
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Waits for an element matching `css`, failing the test after [`WAIT`].
    pub(crate) async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!("no `{css}` on {url:?} within {WAIT:?}: {e}")
            }
        }
    }

    /// Clicks the element matching `css` once it is there.
    pub(crate) async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// The text of the element matching `css` once it is there.
    pub(crate) async fn text_of(&self, css: &str) -> String {
        self.wait_for(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("no text in `{css}`: {e}"))
    }

    pub(crate) async fn execute(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The current page's address and every resource it has requested so far.
    async fn requested_urls(&self) -> Vec<String> {
        let urls = self
            .execute(
                "return [location.href].concat(
                   performance.getEntriesByType('resource').map(function (e) { return e.name; }));",
            )
            .await;
        serde_json::from_value(urls).expect("a list of URLs")
    }
}

/// Asserts that everything the current page has loaded came from `origin`, and returns the URLs.
pub(crate) async fn assert_same_origin(browser: &Browser, origin: &str) -> Vec<String> {
    let urls = browser.requested_urls().await;
    let prefix = format!("{origin}/");
    let foreign: Vec<&String> = urls.iter().filter(|u| !u.starts_with(&prefix)).collect();
    assert!(
        foreign.is_empty(),
        "{} requested from outside {origin}: {foreign:#?}",
        urls[0]
    );
    urls
}

/// `planwatch serve` on the SQLite store `db` (see [`Server::start`]).
pub(crate) async fn serve(db: std::path::PathBuf) -> Server {
    // Server::start waits with blocking HTTP, which must not run on the async runtime's threads.
    tokio::task::spawn_blocking(move || Server::start(db.to_str().unwrap(), &[]))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_in_a_headless_browser() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path().join("store.db")).await;
    let origin = server.base.clone();
    let browser = Browser::start().await;

    // 1. The overview: one card per indicator of the Chengdu plan, in Chinese by default.
    browser.goto(&server.url("/")).await;
    let cards = browser
        .client
        .find_all(Locator::Css("article.card"))
        .await
        .unwrap();
    assert_eq!(cards.len(), 20, "indicator cards on the overview");
    let lang = browser
        .execute("return document.documentElement.lang;")
        .await;
    assert_eq!(lang, "zh-CN", "the default language");
    let overview = assert_same_origin(&browser, &origin).await;
    assert!(
        overview
            .iter()
            .any(|u| u.ends_with("/vendor/echarts.min.js")),
        "the overview loads ECharts from this server: {overview:#?}"
    );

    // 2. A card's link leads to the indicator's page, whose chart ECharts draws on a canvas.
    let link = cards[0].find(Locator::Css("h2 a")).await.unwrap();
    let href = link
        .attr("href")
        .await
        .unwrap()
        .expect("the card links somewhere");
    assert!(href.starts_with("/indicators/"), "card link {href}");
    link.click().await.unwrap();
    browser
        .wait_for(r#"#indicator-chart[data-drawn="true"] canvas"#)
        .await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), href, "the card's link was followed");
    assert_same_origin(&browser, &origin).await;

    // 3. The map: the districts' GeoJSON fetched from this server and drawn.
    browser.goto(&server.url("/map")).await;
    browser
        .wait_for(r#"#district-map[data-drawn="true"] canvas"#)
        .await;
    let map = assert_same_origin(&browser, &origin).await;
    assert!(
        map.iter().any(|u| u.contains("/api/map/chengdu.geojson")),
        "the map fetched its GeoJSON: {map:#?}"
    );

    // 4. The data page's CSV download works from the page's origin.
    browser.goto(&server.url("/data")).await;
    let download = browser.wait_for("a#download-csv[download]").await;
    let csv_href = download.attr("href").await.unwrap().expect("an href");
    assert!(csv_href.contains("format=csv"), "download link {csv_href}");
    let response = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0])
               .then(function (r) { return r.text().then(function (t) {
                 done({ status: r.status, url: r.url, type: r.headers.get('content-type'), text: t });
               }); })
               .catch(function (e) { done({ error: String(e) }); });",
            vec![json!(csv_href)],
        )
        .await
        .unwrap();
    assert_eq!(response["status"], 200, "fetching {csv_href}: {response:#}");
    let fetched = response["url"].as_str().unwrap_or_default();
    assert!(
        fetched.starts_with(&format!("{origin}/api/export?")),
        "the download came from {fetched:?}, not this server"
    );
    let text = response["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("indicator,region,period"),
        "{csv_href} answered {:?}…",
        text.chars().take(200).collect::<String>()
    );
    assert!(
        text.lines().count() > 1,
        "{csv_href} has no data rows: {text:?}"
    );
    assert_same_origin(&browser, &origin).await;

    // 5. The plan page.
    browser.goto(&server.url("/plan")).await;
    browser.wait_for("main h1, main h2").await;
    assert_same_origin(&browser, &origin).await;

    // 6. The language switch turns the page into English.
    browser.goto(&server.url("/")).await;
    browser
        .client
        .find(Locator::Id("lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for(r#"html[lang="en"]"#).await;
    let nav = browser
        .client
        .find(Locator::Css("header nav"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nav.contains("Overview"), "English navigation: {nav:?}");
    assert!(
        !nav.contains("一屏统管"),
        "navigation still in Chinese: {nav:?}"
    );
    assert_eq!(
        browser
            .client
            .find_all(Locator::Css("article.card"))
            .await
            .unwrap()
            .len(),
        20,
        "indicator cards on the English overview"
    );
    assert_same_origin(&browser, &origin).await;

    browser.client.close().await.unwrap();
}

/// Where the wall display's cards and status counts lie, and whether the page scrolls: every
/// visible card's box and the counts' box within the window, whether any card's content
/// overflows its box, and which of its lines that must show whole are cut.
const WALL_LAYOUT: &str = "
    function box(e) { var r = e.getBoundingClientRect();
      return { top: r.top, left: r.left, bottom: r.bottom, right: r.right }; }
    var cards = [].slice.call(document.querySelectorAll('article.card'));
    var visible = cards.filter(function (c) { return c.offsetParent !== null; });
    var counts = document.querySelector('.counts');
    return {
      width: window.innerWidth, height: window.innerHeight,
      scroll_height: document.documentElement.scrollHeight,
      scroll_width: document.documentElement.scrollWidth,
      cards: cards.length,
      visible: visible.map(function (c) { return {
        code: c.getAttribute('data-indicator'), box: box(c),
        overflows: c.scrollHeight > c.clientHeight + 1,
        clipped: ['.value', '.target', '.foot-row'].filter(function (s) {
          var e = c.querySelector(s);
          return e && (e.scrollHeight > e.clientHeight + 1
            || e.getBoundingClientRect().bottom > c.getBoundingClientRect().bottom); }) }; }),
      counts: box(counts),
      page: document.querySelector('.cards').getAttribute('data-page')
    };";

/// Asserts that the wall display at `url` shows `expect_visible` cards and the status counts
/// inside the window without scrolling; returns the layout.
async fn assert_wall_fits(browser: &Browser, url: &str, expect_visible: usize) -> Value {
    browser.goto(url).await;
    // app.js marks the grid with its page once it has laid the cards out.
    browser.wait_for("body.wall .cards[data-page]").await;
    let layout = browser.execute(WALL_LAYOUT).await;
    let (width, height) = (
        layout["width"].as_f64().unwrap(),
        layout["height"].as_f64().unwrap(),
    );
    assert_eq!((width, height), (1920.0, 1080.0), "the window's inner size");
    assert!(
        layout["scroll_height"].as_f64().unwrap() <= height
            && layout["scroll_width"].as_f64().unwrap() <= width,
        "{url} scrolls: {layout:#}"
    );
    let visible = layout["visible"].as_array().unwrap();
    assert_eq!(visible.len(), expect_visible, "cards shown on {url}");
    let inside = |b: &Value| {
        b["top"].as_f64().unwrap() >= 0.0
            && b["left"].as_f64().unwrap() >= 0.0
            && b["bottom"].as_f64().unwrap() <= height
            && b["right"].as_f64().unwrap() <= width
    };
    assert!(
        inside(&layout["counts"]),
        "the status counts on {url}: {layout:#}"
    );
    for card in visible {
        assert!(
            inside(&card["box"]),
            "card {} outside the screen on {url}",
            card["code"]
        );
        assert_eq!(
            card["overflows"], false,
            "card {} is cut off on {url}",
            card["code"]
        );
        // The figure, the target and the completion line are shown whole (the name and the
        // reason may end in an ellipsis).
        assert_eq!(
            card["clipped"],
            json!([]),
            "card {} shows part of a line on {url}",
            card["code"]
        );
    }
    layout
}

/// `/?wall=1` (一屏统管 on a wall) at 1920×1080: all 20 cards of the Chengdu plan and the status
/// counts on one screen, no scrolling, in both languages; a plan with more indicators shows a
/// screenful at a time and turns the pages by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_display_fits_one_screen() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path().join("store.db")).await;
    let browser = Browser::start_sized(1920, 1080).await;
    for path in ["/?wall=1", "/?wall=1&lang=en"] {
        assert_wall_fits(&browser, &server.url(path), 20).await;
    }

    // 45 indicators (a synthetic plan): 20 at a time, the next 20 after `every` seconds.
    let synthetic = dir.path().join("synthetic");
    let big_path = dir.path().join("big.db");
    let big = big_path.to_str().unwrap();
    let out = synthetic.to_str().unwrap();
    for args in [
        vec![
            "synth",
            "--regions",
            "3",
            "--indicators",
            "45",
            "--months",
            "24",
            "--out",
            out,
        ],
        vec!["--db", big, "init", "--plan", &format!("{out}/plan.toml")],
        vec!["--db", big, "import", &format!("{out}/observations.csv")],
    ] {
        let output = crate::planwatch(&args);
        assert!(
            output.status.success(),
            "planwatch {args:?}: {}",
            crate::stderr(&output)
        );
    }
    let server = serve(big_path.clone()).await;
    let url = server.url("/?wall=1&every=1");
    let first = assert_wall_fits(&browser, &url, 20).await;
    assert_eq!(first["cards"], 45, "every card is on the page");
    assert_eq!(first["page"], "1");
    let deadline = Instant::now() + WAIT;
    loop {
        let layout = browser.execute(WALL_LAYOUT).await;
        if layout["page"] == "2" {
            let shown: Vec<&Value> = layout["visible"].as_array().unwrap().iter().collect();
            assert_eq!(shown.len(), 20, "the second screenful");
            let before: Vec<&Value> = first["visible"].as_array().unwrap().iter().collect();
            assert_ne!(
                shown[0]["code"], before[0]["code"],
                "other cards on the second page"
            );
            assert!(
                layout["scroll_height"].as_f64().unwrap() <= 1080.0,
                "{layout:#}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the wall display never turned its page"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.client.close().await.unwrap();
}

/// Signing in through the 登录 page on a `--private` server, under the Content-Security-Policy:
/// the pages' charts and Swagger UI still run, the header names the user, the password is
/// changed on 我的账户, the audit log shows the sign-in, and signing out leads back to 登录.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_through_the_page() {
    if !browser_available() {
        return;
    }
    const FIRST: &str = "a long passphrase 4 the browser";
    const SECOND: &str = "another long passphrase 4 it";
    let (store, server) = tokio::task::spawn_blocking(|| {
        let store = crate::accounts::Accounts::sqlite_with(&["init", "--sample-data"]);
        store.ok(
            &[
                "user",
                "add",
                "wang",
                "--role",
                "admin",
                "--display-name",
                "王规划",
                "--password-stdin",
            ],
            Some(FIRST),
        );
        let server = Server::start(&store.db, &["--private"]);
        (store, server)
    })
    .await
    .unwrap();
    let origin = server.base.clone();
    let browser = Browser::start().await;
    let path = || async {
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .to_owned()
    };

    // Signed out, a private site sends the reader to 登录, which works as a plain form.
    browser.goto(&server.url("/map")).await;
    browser.wait_for("form.sign-in").await;
    assert_eq!(path().await, "/login");
    let fill = async |id: &str, text: &str| {
        let input = browser.wait_for(&format!("#{id}")).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    };
    fill("username", "wang").await;
    fill("password", "not the password").await;
    browser.click("#sign-in-submit").await;
    let message = browser.text_of(".error-message").await;
    assert!(message.contains("用户名或密码错误"), "{message}");
    fill("password", FIRST).await;
    browser.click("#sign-in-submit").await;
    // Back where the reader was going, the map drawn (scripts run under the CSP), the header
    // naming the user and their role.
    browser
        .wait_for(r#"#district-map[data-drawn="true"] canvas"#)
        .await;
    assert_eq!(path().await, "/map");
    let who = browser.text_of("#account").await;
    assert!(who.contains("王规划") && who.contains("管理员"), "{who}");
    assert_same_origin(&browser, &origin).await;

    // Swagger UI runs under the CSP and lists the operations.
    browser.goto(&server.url("/api/docs/")).await;
    browser.wait_for(".swagger-ui .opblock").await;

    // 我的账户: a weak new password is refused, a good one accepted.
    browser.goto(&server.url("/account")).await;
    fill("old_password", FIRST).await;
    fill("new_password", "password1234").await;
    browser.click("#change-password").await;
    let refused = browser.text_of(".error-message").await;
    assert!(refused.contains("常见密码"), "{refused}");
    fill("old_password", FIRST).await;
    fill("new_password", SECOND).await;
    browser.click("#change-password").await;
    let changed = browser.text_of(".notice").await;
    assert!(changed.contains("密码已修改"), "{changed}");

    // The audit log shows the failed and the successful sign-in and the password change.
    browser
        .goto(&server.url("/audit?action=session.sign_in_failed"))
        .await;
    let log = browser.text_of("#audit-log").await;
    assert!(
        log.contains("user:wang") && log.contains("127.0.0.1"),
        "{log}"
    );
    browser.goto(&server.url("/audit?actor=wang")).await;
    let log = browser.text_of("#audit-log").await;
    assert!(
        log.contains("session.sign_in") && log.contains("user.passwd"),
        "{log}"
    );

    // Signing out ends the session: the private site asks for 登录 again.
    browser.click("#sign-out").await;
    browser.wait_for("form.sign-in").await;
    assert_eq!(path().await, "/login");
    drop(store);
}
