//! The dashboard's pages: overview (一屏统管), indicator, district, map, plan browser and data.
//!
//! Each handler gathers a view model from the service (evaluations and panels, cached per plan
//! version) and renders a minijinja template. The rendered page is cached too, per plan version,
//! language and URL, so that the overview a wall display reloads costs no rendering. Charts are
//! drawn by ECharts in the browser from JSON embedded in the page (`static/app.js`); sparklines
//! are SVG drawn here, so they show without script.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::{Environment, Value, context};
use planwatch_eval::{Assessment, Status};
use planwatch_plan::{Plan, RegionKind, Text, fmt_num};
use planwatch_report::wording;
use planwatch_store::ObservationFilter;
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::account::{account_bar, with_account_bar};
use crate::api::{DataParams, ObservationRow, region_codes};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::lang::Lang;
use planwatch_app::EvaluationRequest;

use crate::service::Service;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Templates;

/// A rendered page, as cached.
#[derive(Debug)]
pub(crate) struct Rendered {
    html: axum::body::Bytes,
    /// The page gzipped, made on the first request that accepts it: browsers always do, and
    /// compressing the same page on every request would cost more than rendering it did.
    gzip: OnceLock<axum::body::Bytes>,
}

impl Rendered {
    fn new(html: String) -> Rendered {
        Rendered {
            html: html.into(),
            gzip: OnceLock::new(),
        }
    }

    fn gzip(&self) -> &axum::body::Bytes {
        self.gzip.get_or_init(|| {
            use std::io::Write;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            // Writing to a Vec cannot fail.
            let _ = encoder.write_all(&self.html);
            encoder.finish().unwrap_or_default().into()
        })
    }
}

type AppState = State<Arc<Service>>;

/// The pages' routes (the access rules must cover each: `rules`).
pub(crate) const PATHS: [&str; 8] = [
    "/",
    "/indicators/{code}",
    "/indicators/{code}/history",
    "/regions/{code}",
    "/map",
    "/plan",
    "/data",
    "/methodology",
];

pub(crate) fn router() -> Router<Arc<Service>> {
    let handlers = [
        get(overview),
        get(indicator),
        get(history_fragment),
        get(region),
        get(map),
        get(plan_browser),
        get(data),
        get(methodology),
    ];
    crate::routes(PATHS, handlers)
}

pub(crate) fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_loader(|name| {
            Ok(Templates::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned()))
        });
        // `t("中文", "English")`: the text in the page's language.
        env.add_function(
            "t",
            |state: &minijinja::State<'_, '_>, zh: String, en: String| -> String {
                if in_english(state) { en } else { zh }
            },
        );
        // `r.status | obs_status`: a value's status (the API's code, `final`) as its label in
        // the page's language (最终数, Final).
        env.add_filter(
            "obs_status",
            |state: &minijinja::State<'_, '_>, code: String| -> String {
                match code.parse::<planwatch_plan::ObsStatus>() {
                    Ok(status) if in_english(state) => status.label_en().to_owned(),
                    Ok(status) => status.label_zh().to_owned(),
                    Err(_) => code,
                }
            },
        );
        env.add_filter("num", |v: Option<f64>| {
            v.map_or_else(|| "—".into(), fmt_num)
        });
        env.add_filter("pct", |v: Option<f64>| {
            v.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
        });
        env
    })
}

/// Whether the page being rendered is in English.
fn in_english(state: &minijinja::State<'_, '_>) -> bool {
    state
        .lookup("lang")
        .is_some_and(|l| l.as_str() == Some("en"))
}

/// Renders a template with the common context (language, plan title, the current path).
pub(crate) fn render(
    service: &Service,
    lang: Lang,
    uri: &Uri,
    template: &str,
    page: Value,
) -> Result<String, ApiError> {
    let plan = service.plan();
    let template = environment().get_template(template)?;
    let switch_to = match lang {
        Lang::Zh => "en",
        Lang::En => "zh",
    };
    Ok(template.render(context! {
        lang => lang.as_str(),
        plan_title => v(&text(lang, &plan.title)),
        plan_id => v(&plan.id),
        plan_region => v(&plan.region),
        path => v(&uri.path()),
        switch_href => v(&with_query(uri, "lang", switch_to)),
        ..page,
    })?)
}

/// The URI with one query parameter set (replaced if present).
fn with_query(uri: &Uri, key: &str, value: &str) -> String {
    let mut pairs: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&format!("{key}=")))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{key}={value}"));
    format!("{}?{}", uri.path(), pairs.join("&"))
}

/// A page from the cache, or rendered and cached. A `?lang=` also sets the language cookie, so
/// that the choice follows the reader from page to page.
async fn cached<F>(
    service: &Service,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    build: F,
) -> Result<Response, ApiError>
where
    F: AsyncFnOnce(Lang) -> Result<String, ApiError>,
{
    cached_with(service, caller, headers, uri, "", build).await
}

/// [`cached`], for a page that depends on more than the plan's version: `salt` (e.g. the day
/// and the audit log's sequence, which move a task's status) goes into the cache's key.
pub(crate) async fn cached_with<F>(
    service: &Service,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    salt: &str,
    build: F,
) -> Result<Response, ApiError>
where
    F: AsyncFnOnce(Lang) -> Result<String, ApiError>,
{
    let lang = Lang::for_path(uri.path(), headers, uri.query());
    let key = (service.version(), format!("{salt}{}{}", lang.as_str(), uri));
    let html = service
        .pages
        .get_or_compute(key, async || {
            let html = build(lang).await?;
            let kilobytes = html.len() / 1024 + 1;
            Ok::<_, ApiError>((Rendered::new(html), kilobytes))
        })
        .await?;
    // The page is cached as the anonymous public sees it; a signed-in reader gets their own
    // account bar in the header (and the compression layer gzips it).
    let personal = match caller.user {
        Some(_) => Some(with_account_bar(
            &String::from_utf8_lossy(&html.html),
            &account_bar(caller, lang, uri.path())?,
        )),
        None => None,
    };
    let gzip = personal.is_none()
        && headers
            .get(ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let body = match personal {
        Some(html) => axum::body::Bytes::from(html),
        None if gzip => html.gzip().clone(),
        None => html.html.clone(),
    };
    let mut response = (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response();
    if gzip {
        response
            .headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Some(chosen) = Lang::from_query(uri.query()) {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            chosen.as_str()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// JSON to embed in a `<script type="application/json">`: `<` is written as `\u003c`, so that
/// no text in the data (a name, a note) can close the script element.
pub(crate) fn script_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// Any serialisable value for a template.
pub(crate) fn v<T: Serialize + ?Sized>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

pub(crate) fn text(lang: Lang, text: &Text) -> String {
    wording::text(lang.into(), text)
}

/// A status for people: symbol and words in both languages, and the CSS class for its colour —
/// never colour alone.
#[derive(Debug, Clone, Serialize)]
struct StatusView {
    code: &'static str,
    symbol: &'static str,
    zh: &'static str,
    en: &'static str,
}

impl StatusView {
    fn new(status: Status) -> StatusView {
        StatusView {
            code: status.as_str(),
            symbol: status.symbol(),
            zh: status.label_zh(),
            en: status.label_en(),
        }
    }
}

/// Every status in display order, for legends and counts.
const STATUSES: [Status; 8] = [
    Status::Achieved,
    Status::OnTrack,
    Status::AccelerationNeeded,
    Status::LimitedProgress,
    Status::Deterioration,
    Status::NotAchieved,
    Status::NotAssessable,
    Status::NoData,
];

/// One indicator on the overview.
#[derive(Debug, Serialize)]
struct Card {
    code: String,
    number: Option<u32>,
    name: String,
    unit: String,
    dimension: Option<String>,
    industry: Option<String>,
    latest: String,
    latest_year: Option<u16>,
    targets: Vec<String>,
    completion: Option<f64>,
    /// 0–100, for the progress bar.
    bar: f64,
    status: StatusView,
    reason: String,
    spark: Option<Spark>,
}

/// A sparkline: SVG polyline points in a 100 × 28 box.
#[derive(Debug, Serialize)]
struct Spark {
    points: String,
    first_year: u16,
    last_year: u16,
}

fn spark(series: Option<&planwatch_eval::Series>) -> Option<Spark> {
    let series = series?;
    if series.len() < 2 {
        return None;
    }
    let (first, last) = (*series.keys().next()?, *series.keys().next_back()?);
    let (low, high) = series
        .values()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let span_x = f64::from(last - first).max(1.0);
    let span_y = if high > low { high - low } else { 1.0 };
    let points = series
        .iter()
        .map(|(&year, &v)| {
            let x = f64::from(year - first) / span_x * 100.0;
            let y = 26.0 - (v - low) / span_y * 24.0;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    Some(Spark {
        points,
        first_year: first,
        last_year: last,
    })
}

/// The row's unit in the page's language.
fn unit_of(lang: Lang, row: &Assessment) -> &str {
    wording::unit_of(lang.into(), row)
}

/// The row's target in the page's language.
fn target_text(lang: Lang, row: &Assessment) -> Option<String> {
    match lang {
        Lang::Zh => row.target_text.clone(),
        Lang::En => row.target_text_en.clone(),
    }
}

fn latest_text(lang: Lang, row: &Assessment) -> String {
    match row.evaluation.latest_value {
        Some(v) if wording::is_rate(row) => format!("{v:.1} %"),
        Some(v) => format!("{} {}", fmt_num(v), unit_of(lang, row)),
        None => "—".into(),
    }
}

fn reason(lang: Lang, row: &Assessment) -> String {
    wording::reason(lang.into(), row)
}

#[derive(Debug, serde::Deserialize)]
struct OverviewParams {
    dimension: Option<String>,
    industry: Option<String>,
    year: Option<String>,
    wall: Option<String>,
}

async fn overview(
    State(service): AppState,
    Query(params): Query<OverviewParams>,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    cached(&service, &caller, &headers, &uri, async |lang| {
        let plan = service.plan();
        let year = crate::api::parse_year("year", params.year.as_deref())?;
        let city = plan_region_index(plan);
        let report = service
            .evaluation(EvaluationRequest {
                year,
                regions: Some(vec![city]),
                ..EvaluationRequest::default()
            })
            .await?;
        let panel = service.panel(vec![plan.region.clone()], None).await?;
        let dimension = params.dimension.as_deref().filter(|d| !d.is_empty());
        let industry = params.industry.as_deref().filter(|d| !d.is_empty());
        let mut cards: Vec<Card> = Vec::new();
        let mut others: Vec<Card> = Vec::new();
        for (i, ind) in plan.indicators.iter().enumerate() {
            if dimension.is_some_and(|d| ind.dimension.as_deref() != Some(d))
                || industry.is_some_and(|d| ind.industry.as_deref() != Some(d))
            {
                continue;
            }
            let rows: Vec<&Assessment> = report
                .results
                .iter()
                .filter(|r| r.indicator == ind.code && r.region == plan.region)
                .collect();
            // The card speaks for the indicator's weakest target (the others are listed).
            let Some(first) = rows.iter().min_by_key(|r| severity(r.evaluation.status)) else {
                continue;
            };
            let completion = first.evaluation.completion;
            let card = Card {
                code: ind.code.clone(),
                number: ind.number,
                name: text(lang, &ind.name),
                unit: unit_of(lang, first).to_owned(),
                dimension: ind.dimension.clone(),
                industry: ind.industry.clone(),
                latest: latest_text(lang, first),
                latest_year: first.evaluation.latest_year,
                targets: rows.iter().filter_map(|r| target_text(lang, r)).collect(),
                completion,
                bar: completion.map_or(0.0, |c| (c * 100.0).clamp(0.0, 100.0)),
                status: StatusView::new(first.evaluation.status),
                reason: reason(lang, first),
                spark: spark(panel.series(i, city)),
            };
            if ind.number.is_some() {
                cards.push(card);
            } else {
                others.push(card);
            }
        }
        let counts: Vec<(StatusView, usize)> = STATUSES
            .iter()
            .map(|&s| {
                (
                    StatusView::new(s),
                    cards.iter().filter(|c| c.status.code == s.as_str()).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        let dimensions: Vec<(String, String)> = plan
            .dimensions
            .iter()
            .map(|d| (d.code.clone(), text(lang, &d.name)))
            .collect();
        let industries: Vec<(String, String, String)> = plan
            .industries
            .iter()
            .map(|d| {
                (
                    d.code.clone(),
                    text(lang, &d.name),
                    match lang {
                        Lang::Zh => d.category.label_zh(),
                        Lang::En => d.category.label_en(),
                    }
                    .to_owned(),
                )
            })
            .collect();
        render(
            &service,
            lang,
            &uri,
            "overview.html",
            context! {
                title => v(&match lang { Lang::Zh => "一屏统管", Lang::En => "Overview" }),
                year => v(&report.year),
                goal => v(&plan.goal.as_ref().map(|g| text(lang, g))),
                period => v(&format!("{}–{}", plan.period.start, plan.period.end)),
                issuer => v(&text(lang, &plan.issuer)),
                cards => v(&cards),
                others => v(&others),
                counts => v(&counts),
                dimensions => v(&dimensions),
                industries => v(&industries),
                dimension => v(&dimension),
                industry => v(&industry),
                wall => v(&params.wall.is_some_and(|w| w == "1")),
                work => v(&crate::tasks::overview_counts(&service, lang).await?),
            },
        )
    })
    .await
}

/// Orders statuses from the most to the least urgent, those that say nothing last.
fn severity(status: Status) -> u8 {
    match status {
        Status::Deterioration => 0,
        Status::NotAchieved => 1,
        Status::LimitedProgress => 2,
        Status::AccelerationNeeded => 3,
        Status::OnTrack => 4,
        Status::Achieved => 5,
        Status::NotAssessable => 6,
        Status::NoData => 7,
    }
}

fn plan_region_index(plan: &Plan) -> usize {
    plan.regions
        .iter()
        .position(|r| r.code == plan.region)
        .unwrap_or(0)
}

/// The indicator a page's path names (code, 序号 or name); 404 when there is none.
fn indicator_index(service: &Service, code: &str) -> Result<usize, ApiError> {
    service.names.indicator(code).ok_or_else(|| {
        ApiError::not_found(format!("指标 \"{code}\""), format!("indicator \"{code}\""))
    })
}

/// The region a page's path names (code or name); 404 when there is none.
fn region_index(service: &Service, code: &str) -> Result<usize, ApiError> {
    service.names.region(code).ok_or_else(|| {
        ApiError::not_found(format!("地区 \"{code}\""), format!("region \"{code}\""))
    })
}

/// One target of the indicator page, with its readings.
#[derive(Debug, Serialize)]
struct TargetView {
    text: Option<String>,
    status: StatusView,
    sentences: Vec<String>,
    completion: Option<f64>,
    bar: f64,
}

/// A region's row in a ranking.
#[derive(Debug, Serialize)]
struct RankRow {
    /// `None` for a managed area or a region without a value.
    rank: Option<usize>,
    code: String,
    name: String,
    latest: Option<f64>,
    latest_year: Option<u16>,
    growth: Option<f64>,
    share: Option<f64>,
    contribution: Option<f64>,
    status: StatusView,
}

/// The regions directly under `parent` ranked by their latest value (largest first, or smallest
/// first where lower is better), those without a value last; then the managed areas (管委会),
/// unranked: they overlap the districts, so ranking them among them would count the same
/// activity twice.
fn ranking(
    plan: &Plan,
    indicator: usize,
    report: &[Assessment],
    parent: &str,
    lang: Lang,
) -> Vec<RankRow> {
    let ind = &plan.indicators[indicator];
    let regions: HashMap<&str, &planwatch_plan::Region> = plan
        .regions
        .iter()
        .filter(|r| r.parent.as_deref() == Some(parent))
        .map(|r| (r.code.as_str(), r))
        .collect();
    let mut rows: Vec<(&Assessment, &planwatch_plan::Region)> = report
        .iter()
        .filter(|r| r.indicator == ind.code)
        .filter_map(|r| Some((r, *regions.get(r.region.as_str())?)))
        .collect();
    rows.dedup_by(|a, b| a.0.region == b.0.region);
    let lower_better = ind.direction == planwatch_plan::Direction::LowerIsBetter;
    // Managed areas last, then by value (NaN-free: values are finite), regions without one last.
    rows.sort_by(|(a, ra), (b, rb)| {
        let key = |r: &Assessment, region: &planwatch_plan::Region| {
            let value = r
                .evaluation
                .latest_value
                .map(|v| if lower_better { v } else { -v });
            (
                region.kind == RegionKind::ManagedArea,
                value.is_none(),
                value.unwrap_or(0.0),
            )
        };
        let (x, y) = (key(a, ra), key(b, rb));
        (x.0, x.1).cmp(&(y.0, y.1)).then(x.2.total_cmp(&y.2))
    });
    rows.iter()
        .enumerate()
        .map(|(k, (r, region))| RankRow {
            rank: (region.kind != RegionKind::ManagedArea && r.evaluation.latest_value.is_some())
                .then_some(k + 1),
            code: r.region.clone(),
            name: text(lang, &region.name),
            latest: r.evaluation.latest_value,
            latest_year: r.evaluation.latest_year,
            growth: r.evaluation.actual_growth,
            share: r.share_of_total,
            contribution: r.contribution_to_growth,
            status: StatusView::new(r.evaluation.status),
        })
        .collect()
}

async fn indicator(
    State(service): AppState,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    let plan = service.plan();
    let i = indicator_index(&service, &code)?;
    cached(&service, &caller, &headers, &uri, async |lang| {
        let ind = &plan.indicators[i];
        let report = service
            .evaluation(EvaluationRequest {
                indicators: Some(vec![i]),
                ..EvaluationRequest::default()
            })
            .await?;
        let city_rows: Vec<&Assessment> = report
            .results
            .iter()
            .filter(|r| r.region == plan.region)
            .collect();
        let targets: Vec<TargetView> = city_rows
            .iter()
            .map(|r| TargetView {
                text: target_text(lang, r),
                status: StatusView::new(r.evaluation.status),
                sentences: wording::readings(lang.into(), plan, r),
                completion: r.evaluation.completion,
                bar: r.evaluation.completion.map_or(0.0, |c| (c * 100.0).clamp(0.0, 100.0)),
            })
            .collect();
        let observations = service
            .store()
            .observations(
                plan,
                &ObservationFilter {
                    // A growth-rate indicator's page shows the levels it is measured through.
                    indicators: std::iter::once(ind.code.clone())
                        .chain(ind.level_indicator.clone())
                        .collect(),
                    regions: vec![plan.region.clone()],
                    ..ObservationFilter::default()
                },
            )
            .await?;
        let level = ind
            .level_indicator
            .as_ref()
            .and_then(|l| plan.indicators.iter().find(|i| &i.code == l));
        let chart = chart_data(lang, plan, ind, &city_rows, &observations);
        let rows: Vec<ObservationRow> = observations
            .into_iter()
            .map(|o| ObservationRow::new(plan, o))
            .collect();
        let ranking = ranking(plan, i, &report.results, &plan.region, lang);
        render(
            &service,
            lang,
            &uri,
            "indicator.html",
            context! {
                title => v(&text(lang, &ind.name)),
                year => v(&report.year),
                indicator => v(&ind),
                name => v(&text(lang, &ind.name)),
                definition => v(&ind.definition.as_ref().map(|d| text(lang, d))),
                nature => v(&ind.nature.label_zh()),
                nature_en => v(ind.nature.label_en()),
                dimension => v(&plan.dimensions.iter().find(|d| Some(&d.code) == ind.dimension.as_ref()).map(|d| text(lang, &d.name))),
                industry => v(&plan.industries.iter().find(|d| Some(&d.code) == ind.industry.as_ref()).map(|d| text(lang, &d.name))),
                lead => v(&ind.lead_department.as_ref().and_then(|c| plan.departments.iter().find(|d| &d.code == c)).map(|d| text(lang, &d.name))),
                unit => v(&text(lang, &ind.unit_text())),
                level => v(&level.map(|l| context! {
                    code => v(&l.code),
                    name => v(&text(lang, &l.name)),
                    unit => v(&text(lang, &l.unit_text())),
                })),
                targets => v(&targets),
                chart => v(&script_json(&chart)),
                rows => v(&rows),
                ranking => v(&ranking),
            },
        )
    })
    .await
}

/// What the indicator chart draws: observed values (revised ones marked), the milestone path,
/// the target and the projection.
#[derive(Debug, Serialize)]
struct Chart {
    unit: String,
    labels: HashMap<&'static str, &'static str>,
    observed: Vec<(String, f64)>,
    revised: Vec<(String, f64)>,
    milestones: Vec<(String, f64)>,
    target: Option<(String, f64)>,
    projection: Vec<(String, f64)>,
    /// Year → what changed in the series' definition (drawn as a vertical line).
    breaks: Vec<(String, String)>,
}

/// The chart of an indicator: its own yearly values, or — for a growth-rate indicator measured
/// through levels — the levels in their own unit, with the path the target rate implies.
fn chart_data(
    lang: Lang,
    plan: &Plan,
    ind: &planwatch_plan::Indicator,
    rows: &[&Assessment],
    observations: &[planwatch_store::StoredObservation],
) -> Chart {
    let first = rows.first().copied();
    let levels =
        first.and_then(|r| Some((r.evaluation.levels.as_ref()?, r.level_indicator.as_ref()?)));
    let (code, unit) = match levels {
        Some((_, code)) => (
            code.as_str(),
            plan.indicators
                .iter()
                .find(|i| &i.code == code)
                .map_or_else(|| ind.unit_text(), |i| i.unit_text()),
        ),
        None => (ind.code.as_str(), ind.unit_text()),
    };
    let yearly = observations
        .iter()
        .filter(|o| o.indicator == code && matches!(o.period, planwatch_plan::Period::Year(_)));
    let first = first.map(|r| &r.evaluation);
    let en = lang == Lang::En;
    let labels = HashMap::from([
        ("observed", if en { "Observed" } else { "实际值" }),
        ("revised", if en { "Revised" } else { "修订值" }),
        ("milestones", if en { "Milestone path" } else { "目标路径" }),
        (
            "target",
            match (en, levels.is_some()) {
                (true, true) => "Level at the target rate",
                (true, false) => "Target",
                (false, true) => "目标增速对应水平",
                (false, false) => "目标值",
            },
        ),
        ("projection", if en { "Projection" } else { "趋势预测" }),
        (
            "break",
            if en {
                "Break in series"
            } else {
                "口径变化"
            },
        ),
    ]);
    let breaks = wording::series_breaks(plan, &ind.code)
        .into_iter()
        .map(|b| (b.year.to_string(), text(lang, &b.note)))
        .collect();
    let point = |o: &planwatch_store::StoredObservation| (o.period.year().to_string(), o.value);
    let observed = yearly.clone().map(point).collect();
    let revised = yearly.filter(|o| o.revision > 1).map(point).collect();
    if let (Some((l, _)), Some(e)) = (levels, first) {
        let t1 = e.target_year;
        return Chart {
            unit: text(lang, &unit),
            labels,
            observed,
            revised,
            milestones: l
                .milestones
                .iter()
                .map(|(y, v)| (y.to_string(), *v))
                .collect(),
            target: l.milestones.get(&t1).map(|v| (t1.to_string(), *v)),
            projection: e
                .latest_year
                .zip(l.latest_value)
                .zip(l.projection)
                .map(|((y, v), p)| vec![(y.to_string(), v), (t1.to_string(), wording::round2(p))])
                .unwrap_or_default(),
            breaks,
        };
    }
    Chart {
        unit: text(lang, &unit),
        labels,
        breaks,
        observed,
        revised,
        milestones: first
            .map(|e| {
                e.milestones
                    .iter()
                    .map(|(y, v)| (y.to_string(), *v))
                    .collect()
            })
            .unwrap_or_default(),
        target: first.and_then(|e| Some((e.target_year.to_string(), e.target_value?))),
        projection: first
            .and_then(|e| {
                Some(vec![
                    (e.latest_year?.to_string(), e.latest_value?),
                    (e.target_year.to_string(), e.projection?),
                ])
            })
            .unwrap_or_default(),
    }
}

#[derive(Debug, serde::Deserialize)]
struct HistoryParams {
    region: Option<String>,
    period: Option<String>,
}

/// Every revision of one value, as an HTML fragment for the data table (htmx).
async fn history_fragment(
    State(service): AppState,
    Path(code): Path<String>,
    Query(params): Query<HistoryParams>,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    let plan = service.plan();
    let i = indicator_index(&service, &code)?;
    let region = region_codes(&service, params.region.as_deref())?
        .into_iter()
        .next()
        .unwrap_or_else(|| plan.region.clone());
    let period = crate::api::parse_period("period", params.period.as_deref())?
        .ok_or_else(|| ApiError::bad("period", "必须给出", "is required"))?;
    cached(&service, &caller, &headers, &uri, async |lang| {
        let rows: Vec<ObservationRow> = service
            .store()
            .history(plan, &plan.indicators[i].code, &region, period)
            .await?
            .into_iter()
            .map(|o| ObservationRow::new(plan, o))
            .collect();
        render(
            &service,
            lang,
            &uri,
            "history.html",
            context! { rows => v(&rows) },
        )
    })
    .await
}

/// One indicator on a district page.
#[derive(Debug, Serialize)]
struct DistrictRow {
    code: String,
    number: Option<u32>,
    name: String,
    unit: String,
    latest: Option<f64>,
    latest_year: Option<u16>,
    growth: Option<f64>,
    share: Option<f64>,
    contribution: Option<f64>,
    rank: Option<usize>,
    of: usize,
    status: StatusView,
    target: Option<String>,
}

async fn region(
    State(service): AppState,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    let plan = service.plan();
    let r = region_index(&service, &code)?;
    cached(&service, &caller, &headers, &uri, async |lang| {
        let region = &plan.regions[r];
        // The region and the others under the same parent, which it is ranked among.
        let parent = region.parent.as_deref().unwrap_or_default();
        let siblings: Vec<usize> = plan
            .regions
            .iter()
            .enumerate()
            .filter(|(k, x)| *k == r || (!parent.is_empty() && x.parent.as_deref() == Some(parent)))
            .map(|(k, _)| k)
            .collect();
        let all = service
            .evaluation(EvaluationRequest {
                regions: Some(siblings),
                ..EvaluationRequest::default()
            })
            .await?;
        let mut rows = Vec::new();
        for (i, ind) in plan.indicators.iter().enumerate() {
            let Some(row) = all
                .results
                .iter()
                .find(|x| x.indicator == ind.code && x.region == region.code)
            else {
                continue;
            };
            let ranking = ranking(plan, i, &all.results, parent, lang);
            let ranked = ranking.iter().filter(|x| x.rank.is_some()).count();
            rows.push(DistrictRow {
                code: ind.code.clone(),
                number: ind.number,
                name: text(lang, &ind.name),
                unit: text(lang, &ind.unit_text()),
                latest: row.evaluation.latest_value,
                latest_year: row.evaluation.latest_year,
                growth: row.evaluation.actual_growth,
                share: row.share_of_total,
                contribution: row.contribution_to_growth,
                rank: ranking
                    .iter()
                    .find(|x| x.code == region.code)
                    .and_then(|x| x.rank),
                of: ranked,
                status: StatusView::new(row.evaluation.status),
                target: target_text(lang, row),
            });
        }
        let regions = region_links(plan, lang);
        render(
            &service,
            lang,
            &uri,
            "region.html",
            context! {
                title => v(&text(lang, &region.name)),
                region => v(&region),
                name => v(&text(lang, &region.name)),
                kind => v(match lang {
                    Lang::Zh => region.kind.label_zh(),
                    Lang::En => region.kind.label_en(),
                }),
                year => v(&all.year),
                rows => v(&rows),
                regions => v(&regions),
                is_plan_region => v(&(region.code == plan.region)),
            },
        )
    })
    .await
}

/// (code, name, kind) of the plan's region and every region under it, for navigation.
fn region_links(plan: &Plan, lang: Lang) -> Vec<(String, String, &'static str)> {
    plan.regions
        .iter()
        .filter(|r| r.code == plan.region || r.parent.as_deref() == Some(plan.region.as_str()))
        .map(|r| (r.code.clone(), text(lang, &r.name), r.kind.label_zh()))
        .collect()
}

#[derive(Debug, serde::Deserialize)]
struct MapParams {
    indicator: Option<String>,
    by: Option<String>,
}

/// A region on the map (or in the list of managed areas beside it).
#[derive(Debug, Serialize)]
struct MapRegion {
    code: String,
    /// The name the map's polygons carry.
    name: String,
    label: String,
    value: Option<f64>,
    status: StatusView,
    managed: bool,
}

async fn map(
    State(service): AppState,
    Query(params): Query<MapParams>,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    let plan = service.plan();
    let i = match params.indicator.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => indicator_index(&service, code)?,
        None => plan
            .indicators
            .iter()
            .position(|i| i.number.is_some())
            .unwrap_or(0),
    };
    let by_status = params.by.as_deref() == Some("status");
    cached(&service, &caller, &headers, &uri, async |lang| {
        let ind = &plan.indicators[i];
        let report = service
            .evaluation(EvaluationRequest {
                indicators: Some(vec![i]),
                ..EvaluationRequest::default()
            })
            .await?;
        let regions: Vec<MapRegion> = plan
            .regions
            .iter()
            .filter(|r| r.parent.as_deref() == Some(plan.region.as_str()))
            .map(|r| {
                let row = report.results.iter().find(|x| x.region == r.code);
                MapRegion {
                    code: r.code.clone(),
                    name: r.name.zh.clone(),
                    label: text(lang, &r.name),
                    value: row.and_then(|x| x.evaluation.latest_value),
                    status: StatusView::new(row.map_or(Status::NoData, |x| x.evaluation.status)),
                    managed: r.kind == RegionKind::ManagedArea,
                }
            })
            .collect();
        let indicators: Vec<(String, String)> = plan
            .indicators
            .iter()
            .filter(|x| x.additive || x.number.is_some())
            .map(|x| (x.code.clone(), text(lang, &x.name)))
            .collect();
        let legend: Vec<StatusView> = STATUSES.iter().map(|&s| StatusView::new(s)).collect();
        let map_data = serde_json::json!({
            "by": if by_status { "status" } else { "value" },
            "unit": text(lang, &ind.unit_text()),
            "regions": regions.iter().filter(|r| !r.managed).collect::<Vec<_>>(),
            "legend": legend,
            "lang": lang.as_str(),
        });
        render(
            &service,
            lang,
            &uri,
            "map.html",
            context! {
                title => v(&match lang { Lang::Zh => "区（市）县地图", Lang::En => "District map" }),
                indicator => v(&ind.code),
                name => v(&text(lang, &ind.name)),
                unit => v(&text(lang, &ind.unit_text())),
                by_status => v(&by_status),
                year => v(&report.year),
                indicators => v(&indicators),
                regions => v(&regions),
                map_data => v(&script_json(&map_data)),
                approval => v(&service.official_map.as_ref().map(|m| m.approval.clone())),
            },
        )
    })
    .await
}

#[derive(Debug, serde::Deserialize)]
struct PlanParams {
    q: Option<String>,
}

async fn plan_browser(
    State(service): AppState,
    Query(params): Query<PlanParams>,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    cached(&service, &caller, &headers, &uri, async |lang| {
        let plan = service.plan();
        let q = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        // The plan as JSON, filtered by the search words: a section keeps the entries whose
        // text mentions them.
        let matches = |value: &serde_json::Value| q.is_none_or(|q| value.to_string().contains(q));
        let keep = |list: serde_json::Value| -> Vec<serde_json::Value> {
            list.as_array()
                .map(|items| items.iter().filter(|v| matches(v)).cloned().collect())
                .unwrap_or_default()
        };
        let json = serde_json::to_value(plan).unwrap_or_default();
        let departments: HashMap<&str, String> = plan
            .departments
            .iter()
            .map(|d| (d.code.as_str(), text(lang, &d.name)))
            .collect();
        let region_names: HashMap<&str, String> = plan
            .regions
            .iter()
            .map(|r| (r.code.as_str(), text(lang, &r.name)))
            .collect();
        let layout = keep(json["layout"].clone());
        let layout_count = layout.len();
        let sections = context! {
            actions => v(&keep(json["actions"].clone())),
            columns => v(&keep(json["columns"].clone())),
            layout => v(&layout_sections(plan, lang, layout)),
            layout_count => v(&layout_count),
            zones => v(&keep(json["zones"].clone())),
            industries => v(&keep(json["industries"].clone())),
            measures => v(&keep(json["measures"].clone())),
            dimensions => v(&keep(json["dimensions"].clone())),
        };
        render(
            &service,
            lang,
            &uri,
            "plan.html",
            context! {
                title => v(&match lang { Lang::Zh => "规划内容", Lang::En => "The plan" }),
                q => v(&q),
                departments => v(&departments),
                regions => v(&region_names),
                ..sections,
            },
        )
    })
    .await
}

/// The layout's elements under the headings of the text (一核多极驱动 …), in the text's order;
/// elements of a group under no heading last, under a heading of `None`.
#[derive(Debug, Serialize)]
struct LayoutSection {
    title: Option<String>,
    elements: Vec<serde_json::Value>,
}

fn layout_sections(
    plan: &Plan,
    lang: Lang,
    elements: Vec<serde_json::Value>,
) -> Vec<LayoutSection> {
    let group = |e: &serde_json::Value| {
        plan.layout_headings
            .iter()
            .position(|h| h.groups.iter().any(|g| e["group"] == g.as_str()))
    };
    let mut sections: Vec<LayoutSection> = plan
        .layout_headings
        .iter()
        .map(|h| LayoutSection {
            title: Some(text(lang, &h.title)),
            elements: Vec::new(),
        })
        .chain(std::iter::once(LayoutSection {
            title: None,
            elements: Vec::new(),
        }))
        .collect();
    let last = sections.len() - 1;
    for element in elements {
        sections[group(&element).unwrap_or(last)]
            .elements
            .push(element);
    }
    sections.retain(|s| !s.elements.is_empty());
    sections
}

/// The data page's own parameters, beside the filters of `DataParams`.
#[derive(Debug, serde::Deserialize)]
struct DataPageParams {
    /// Words to look for in names, sources and notes.
    q: Option<String>,
    page: Option<String>,
}

const DATA_PAGE_ROWS: usize = 100;

/// The most rows the data page searches through for words (narrower filters first).
const MAX_SEARCH_ROWS: u64 = 200_000;

async fn data(
    State(service): AppState,
    Query(filters): Query<DataParams>,
    Query(params): Query<DataPageParams>,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    let plan = service.plan();
    let filter = filters.filter(&service)?;
    let page: usize =
        match params.page.as_deref().filter(|p| !p.is_empty()) {
            None => 1,
            Some(p) => p.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
                ApiError::bad("page", "应为正整数", "must be a whole number from 1")
            })?,
        };
    cached(&service, &caller, &headers, &uri, async |lang| {
        let q = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let names: HashMap<&str, String> = plan
            .indicators
            .iter()
            .map(|i| (i.code.as_str(), text(lang, &i.name)))
            .chain(
                plan.regions
                    .iter()
                    .map(|r| (r.code.as_str(), text(lang, &r.name))),
            )
            .collect();
        let units: HashMap<&str, String> = plan
            .indicators
            .iter()
            .map(|i| (i.code.as_str(), text(lang, &i.unit_text())))
            .collect();
        // Without search words a page is read from the store alone; with them, the filtered
        // view is searched here, if it is small enough to read whole.
        let in_view = service.count(&filter).await?;
        let too_large = q.is_some() && in_view > MAX_SEARCH_ROWS;
        let (total, rows) = match q {
            Some(q) if !too_large => {
                let found: Vec<ObservationRow> = service
                    .store()
                    .observations(plan, &filter)
                    .await?
                    .into_iter()
                    .map(|o| ObservationRow::new(plan, o))
                    .filter(|o| o.mentions(q, &service.search_names))
                    .collect();
                let total = found.len() as u64;
                let skip = (page - 1).saturating_mul(DATA_PAGE_ROWS);
                (
                    total,
                    found.into_iter().skip(skip).take(DATA_PAGE_ROWS).collect(),
                )
            }
            _ => {
                let offset = (page as u64 - 1).saturating_mul(DATA_PAGE_ROWS as u64);
                let rows: Vec<ObservationRow> = service
                    .store()
                    .observations_page(plan, &filter, offset, DATA_PAGE_ROWS as u64)
                    .await?
                    .into_iter()
                    .map(|o| ObservationRow::new(plan, o))
                    .collect();
                (in_view, rows)
            }
        };
        let pages = total.div_ceil(DATA_PAGE_ROWS as u64).max(1);
        // The filters, for the download links and the pager.
        let query = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page=") && !p.starts_with("lang="))
            .collect::<Vec<_>>()
            .join("&");
        let indicators: Vec<(String, String)> = plan
            .indicators
            .iter()
            .map(|x| (x.code.clone(), text(lang, &x.name)))
            .collect();
        render(
            &service,
            lang,
            &uri,
            "data.html",
            context! {
                title => v(&match lang { Lang::Zh => "数据", Lang::En => "Data" }),
                rows => v(&rows),
                names => v(&names),
                units => v(&units),
                total => v(&total),
                page => v(&(page as u64).min(pages)),
                too_large => v(&too_large),
                max_search => v(&MAX_SEARCH_ROWS),
                pages => v(&pages),
                query => v(&query),
                q => v(&q),
                indicators => v(&indicators),
                regions => v(&region_links(plan, lang)),
                filter => v(&filters),
            },
        )
    })
    .await
}

async fn methodology(
    State(service): AppState,
    uri: Uri,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    cached(&service, &caller, &headers, &uri, async |lang| {
        let legend: Vec<StatusView> = STATUSES.iter().map(|&s| StatusView::new(s)).collect();
        let thresholds = service.plan().thresholds.unwrap_or_default();
        render(
            &service,
            lang,
            &uri,
            "methodology.html",
            context! {
                title => v(&match lang { Lang::Zh => "评估方法", Lang::En => "Methodology" }),
                legend => v(&legend),
                on_track => v(&thresholds.on_track),
                acceleration => v(&thresholds.acceleration),
            },
        )
    })
    .await
}

/// An error as a small HTML page, for the pages' routes.
pub(crate) fn error_page(lang: Lang, status: StatusCode, message: &str) -> Response {
    let html = environment()
        .get_template("error.html")
        .and_then(|t| {
            t.render(context! {
                lang => lang.as_str(),
                status => v(&status.as_u16()),
                message => v(&message),
                title => v(&status.as_u16()),
            })
        })
        .unwrap_or_else(|_| message.to_owned());
    (status, Html(html)).into_response()
}

/// Anything else: 404, as JSON under `/api/` and as a page elsewhere (see `error::localize`).
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    let what = uri.path();
    ApiError::not_found(format!("路径 {what}"), format!("path {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let json = script_json(&serde_json::json!({ "name": "</script><b>x" }));
        assert!(!json.contains('<'), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["name"], "</script><b>x");
    }

    #[test]
    fn sparkline_spans_the_box() {
        let series = planwatch_eval::Series::from([(2020, 10.0), (2021, 20.0), (2022, 15.0)]);
        let s = spark(Some(&series)).unwrap();
        assert_eq!(s.points, "0.0,26.0 50.0,2.0 100.0,14.0");
        assert_eq!((s.first_year, s.last_year), (2020, 2022));
        assert!(spark(Some(&planwatch_eval::Series::from([(2020, 1.0)]))).is_none());
    }

    #[test]
    fn the_language_switch_keeps_the_other_parameters() {
        let uri: Uri = "/map?indicator=gdp&lang=zh".parse().unwrap();
        assert_eq!(with_query(&uri, "lang", "en"), "/map?indicator=gdp&lang=en");
        let uri: Uri = "/".parse().unwrap();
        assert_eq!(with_query(&uri, "lang", "en"), "/?lang=en");
    }
}
