//! 报告 The evaluation reports on the web (issue 15): the HTML writer of a
//! [`planwatch_report::Report`] (the preview on the 报告 page, its print view, and the standalone
//! file of `planwatch report --format html`: one file, its stylesheet inlined, charts as inline
//! SVG), the writer of every format ([`write`]: DOCX, PDF, HTML, JSON — what the CLI and the
//! download share), the pages `/reports` (pick kind, year, region and language; preview;
//! downloads; the planner texts) and `/reports/{kind}` (the print view), and the download
//! `GET /api/reports/{kind}?format=docx|pdf|html|json`. Access: `Object::Reports` (the office
//! and viewers read; the office edits the texts).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::Redirect;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use minijinja::{Value, context};
use planwatch_access::{Action, Object};
use planwatch_app::reports::{ReportError, ReportRequest};
use planwatch_report::{Block, Report, ReportKind, TextSection};
use planwatch_store::Who;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::account::PageRequest;
use crate::api::present;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::pages::v;
use crate::reporting::parse_year;
use crate::service::Service;

/// The pages (the access rules must cover each: `rules`).
pub(crate) const PAGE_PATHS: [&str; 3] = ["/reports", "/reports/{kind}", "/reports/texts/{text}"];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(
        PAGE_PATHS,
        [get(page), get(print_view), get(text_page).post(save_text)],
    )
}

/// The stylesheet of a report, served as `/static/reports.css` and inlined in the standalone file.
const CSS: &str = include_str!("../static/reports.css");

/// A report's format: what `planwatch report --format` and `/api/reports/{kind}?format=` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Word, editable (`planwatch-report-docx`).
    Docx,
    /// Typeset with typst (`planwatch-report-pdf`).
    Pdf,
    /// The standalone page: one file, the stylesheet inlined, nothing loaded from elsewhere.
    Html,
    /// The model itself ([`Report`] as JSON), for analysts.
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Docx, Format::Pdf, Format::Html, Format::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Json => "json",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// Why a report could not be written in a format.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("DOCX：{0}")]
    Docx(#[from] planwatch_report_docx::DocxError),
    #[error("{0}")]
    Pdf(#[from] planwatch_report_pdf::PdfError),
    #[error("HTML：{0}")]
    Html(#[from] minijinja::Error),
    #[error("JSON：{0}")]
    Json(#[from] serde_json::Error),
}

/// The report in `format`, as the file's bytes; a PDF's fonts are looked for in `font_dirs`
/// before the system's.
pub fn write(
    report: &Report,
    format: Format,
    font_dirs: &[std::path::PathBuf],
) -> Result<Vec<u8>, WriteError> {
    Ok(match format {
        Format::Docx => planwatch_report_docx::write_docx(report)?,
        Format::Pdf => planwatch_report_pdf::write_pdf(
            report,
            &planwatch_report_pdf::PdfOptions {
                font_dirs: font_dirs.to_vec(),
            },
        )?,
        Format::Html => standalone_html(report)?.into_bytes(),
        Format::Json => serde_json::to_vec_pretty(report)?,
    })
}

/// The file name of `report` in `format`: the plan, the kind, the year, the district and the
/// edition, e.g. `chengdu-services-2021-2025-midterm-2024.docx`,
/// `chengdu-services-2021-2025-annual-2024-510104-en.pdf`.
pub fn file_name(report: &Report, format: Format) -> String {
    let mut name = format!(
        "{}-{}-{}",
        report.plan_id,
        report.kind.as_str(),
        report.year
    );
    if let Some((code, _)) = &report.region {
        name.push('-');
        name.push_str(code);
    }
    if report.lang == planwatch_report::Lang::En {
        name.push_str("-en");
    }
    // Only characters safe in a file name and a Content-Disposition header.
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}.{}", format.as_str())
}

/// The report as one self-contained HTML file.
pub fn standalone_html(report: &Report) -> Result<String, minijinja::Error> {
    crate::pages::environment()
        .get_template("reports_standalone.html")?
        .render(context! { css => CSS, ..document(report) })
}

/// What `reports_doc.html` lays out: the report, and its sections with their numbers as printed
/// (一、 and （一） in Chinese, 1. and 1.1 in English), tables' column shares and charts' SVG.
pub(crate) fn document(report: &Report) -> Value {
    let english = report.lang == planwatch_report::Lang::En;
    let sections: Vec<serde_json::Value> = report
        .sections
        .iter()
        .map(|section| {
            let blocks: Vec<serde_json::Value> = section
                .blocks
                .iter()
                .map(|block| {
                    let mut value = serde_json::to_value(block).unwrap_or_default();
                    let extra = match block {
                        Block::Subheading { number, .. } => serde_json::json!({
                            "label": if english {
                                format!("{}.{} ", section.number, number)
                            } else {
                                format!("（{}）", zh_number(*number))
                            },
                        }),
                        Block::Table(table) => serde_json::json!({ "shares": shares(&table.widths, table.columns.len()) }),
                        Block::Chart(chart) => {
                            serde_json::json!({ "svg": planwatch_report::chart_svg(chart) })
                        }
                        _ => serde_json::Value::Null,
                    };
                    if let (Some(value), serde_json::Value::Object(extra)) =
                        (value.as_object_mut(), extra)
                    {
                        value.extend(extra);
                    }
                    value
                })
                .collect();
            serde_json::json!({
                "number": section.number,
                "label": if english {
                    format!("{}. ", section.number)
                } else {
                    format!("{}、", zh_number(section.number))
                },
                "heading": section.heading,
                "blocks": blocks,
            })
        })
        .collect();
    context! { report => v(report), sections => v(&sections) }
}

/// The columns' widths as percentages of the table, when there is one per column.
fn shares(widths: &[u16], columns: usize) -> Option<Vec<String>> {
    let total: u32 = widths.iter().map(|w| u32::from(*w)).sum();
    (widths.len() == columns && total > 0).then(|| {
        widths
            .iter()
            .map(|w| format!("{:.2}", f64::from(*w) * 100.0 / f64::from(total)))
            .collect()
    })
}

/// 1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 21 → 二十一 (up to 99; beyond, the digits).
fn zh_number(n: u8) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let (tens, ones) = (usize::from(n / 10), usize::from(n % 10));
    let ones_text = if ones == 0 { "" } else { DIGITS[ones] };
    match tens {
        0 => DIGITS[ones].to_owned(),
        1 => format!("十{ones_text}"),
        2..=9 => format!("{}十{ones_text}", DIGITS[tens]),
        _ => n.to_string(),
    }
}

/// The download's format and which report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DownloadParams {
    /// docx (Word), pdf, html (one self-contained page) or json (the default: the model)
    format: Option<String>,
    /// The year evaluated (default: the plan's latest year with data)
    year: Option<String>,
    /// A district's own report, against its district targets: a region code of the plan
    /// (default: the plan's whole region)
    region: Option<String>,
    /// YYYY-MM-DD: the data as known at the end of that day (default: today, UTC)
    as_of: Option<String>,
    /// zh (the default) or en: the edition (and the language of an error's message)
    lang: Option<String>,
}

/// The pages' query: which kind (the 报告 page; the print view has it in its path) and which
/// report of it; the edition is the page's language.
#[derive(Debug, Default, Deserialize)]
struct PageParams {
    kind: Option<String>,
    year: Option<String>,
    region: Option<String>,
    as_of: Option<String>,
}

fn parse_kind(text: &str) -> Result<ReportKind, ApiError> {
    ReportKind::parse(text).ok_or_else(|| {
        ApiError::bad(
            "kind",
            format!("应为 annual（年度评估）、midterm（中期评估）或 final（总结评估），而不是 \"{text}\""),
            format!("must be annual, midterm or final, not \"{text}\""),
        )
    })
}

fn parse_format(text: Option<&str>) -> Result<Format, ApiError> {
    match present(text) {
        None => Ok(Format::Json),
        Some(text) => Format::parse(text).ok_or_else(|| {
            let all = Format::ALL.map(Format::as_str).join(", ");
            ApiError::bad(
                "format",
                format!("应为 {all} 之一，而不是 \"{text}\""),
                format!("must be one of {all}, not \"{text}\""),
            )
        }),
    }
}

/// The report the request's fields ask for.
fn requested(
    service: &Service,
    kind: ReportKind,
    (year, region, as_of): (Option<&str>, Option<&str>, Option<&str>),
    lang: Lang,
) -> Result<ReportRequest, ApiError> {
    let region = match present(region) {
        None => None,
        Some(text) => {
            let code = crate::api::region_codes(service, Some(text))?;
            match code.as_slice() {
                [code] if *code == service.plan.region => None,
                [code] => Some(code.clone()),
                _ => {
                    return Err(ApiError::bad(
                        "region",
                        "只能给出一个地区",
                        "takes one region",
                    ));
                }
            }
        }
    };
    let as_of = crate::api::parse_date("as_of", as_of)?
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let year = parse_year(year)?;
    let plan = &service.plan;
    if let Some(year) = year
        && !(plan.base_year..=plan.target_year).contains(&year)
    {
        return Err(ApiError::bad(
            "year",
            format!(
                "应为规划期内的年份（{}–{}），而不是 {year}",
                plan.base_year, plan.target_year
            ),
            format!(
                "must be a year of the plan ({}–{}), not {year}",
                plan.base_year, plan.target_year
            ),
        ));
    }
    Ok(ReportRequest {
        kind,
        year,
        region,
        as_of,
        lang: match lang {
            Lang::Zh => planwatch_report::Lang::Zh,
            Lang::En => planwatch_report::Lang::En,
        },
    })
}

fn write_error(error: WriteError) -> ApiError {
    match error {
        WriteError::Html(e) => ApiError::Template(e),
        e => ApiError::Report(e.to_string()),
    }
}

/// The report from the store.
async fn build(service: &Service, request: &ReportRequest) -> Result<Report, ApiError> {
    planwatch_app::reports::report(service.store(), &service.plan, request)
        .await
        .map_err(report_error)
}

fn report_error(error: ReportError) -> ApiError {
    match error {
        ReportError::Store(e) => e.into(),
        e @ ReportError::UnknownRegion(_) => {
            let text = e.to_string();
            let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
            ApiError::bad("region", zh, en)
        }
    }
}

/// A report of the plan: its model (JSON, the default) or a file to download (`format=docx`,
/// `pdf`, or `html`: one self-contained page), with a file name in Content-Disposition. The
/// plan office and viewers only.
#[utoipa::path(get, path = "/api/reports/{kind}", tag = "reports",
    params(("kind" = String, Path, description = "annual (年度评估), midterm (中期评估) or final (总结评估)"),
           DownloadParams),
    responses((status = 200, description = "The report: its model as JSON, or the file",
               content((Object = "application/json"), (String = "text/html"),
                       ("application/pdf"),
                       ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
              (status = 400, description = "A bad parameter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not allowed", body = ErrorBody)))]
pub(crate) async fn download(
    State(service): State<Arc<Service>>,
    Path(kind): Path<String>,
    Query(params): Query<DownloadParams>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let kind = parse_kind(&kind)?;
    let format = parse_format(params.format.as_deref())?;
    let lang = match present(params.lang.as_deref()) {
        None => Lang::for_path(uri.path(), &headers, uri.query()),
        Some("zh") => Lang::Zh,
        Some("en") => Lang::En,
        Some(other) => {
            return Err(ApiError::bad(
                "lang",
                format!("应为 zh 或 en，而不是 \"{other}\""),
                format!("must be zh or en, not \"{other}\""),
            ));
        }
    };
    let asked = (
        params.year.as_deref(),
        params.region.as_deref(),
        params.as_of.as_deref(),
    );
    let wanted = requested(&service, kind, asked, lang)?;
    let report = build(&service, &wanted).await?;
    if format == Format::Json {
        return Ok(Json(report).into_response());
    }
    // Typesetting a PDF takes a while: not on the runtime's threads.
    let (report, body) = tokio::task::spawn_blocking(move || {
        let body = write(&report, format, &[]);
        (report, body)
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    let body = body.map_err(write_error)?;
    Ok((
        [
            (CONTENT_TYPE, format.content_type().to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file_name(&report, format)),
            ),
        ],
        body,
    )
        .into_response())
}

/// The 报告 page: the form, the downloads, the planner texts, and the preview.
async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(params): Query<PageParams>,
) -> Result<Html<String>, ApiError> {
    let kind = match present(params.kind.as_deref()) {
        Some(text) => parse_kind(text)?,
        None => ReportKind::Midterm,
    };
    let wanted = requested(&service, kind, params.asked(), request.lang())?;
    let report = build(&service, &wanted).await?;
    render_page(&service, &request, "reports.html", &report).await
}

/// The print view: the report alone with the site's styles.
async fn print_view(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(kind): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Html<String>, ApiError> {
    let kind = parse_kind(&kind)?;
    let wanted = requested(&service, kind, params.asked(), request.lang())?;
    let report = build(&service, &wanted).await?;
    render_page(&service, &request, "reports_print.html", &report).await
}

impl PageParams {
    fn asked(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
        (
            self.year.as_deref(),
            self.region.as_deref(),
            self.as_of.as_deref(),
        )
    }
}

async fn render_page(
    service: &Service,
    request: &PageRequest,
    template: &str,
    report: &Report,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let years: Vec<u16> = (plan.base_year + 1..=plan.target_year).collect();
    let regions: Vec<serde_json::Value> = plan
        .regions
        .iter()
        .map(|r| serde_json::json!({ "code": r.code, "name": r.name.zh, "name_en": r.name.en }))
        .collect();
    let query = query_of(report);
    let kinds: Vec<serde_json::Value> = ReportKind::ALL
        .iter()
        .map(|k| serde_json::json!({ "code": k.as_str(), "zh": k.label_zh(), "en": k.label_en() }))
        .collect();
    let downloads: Vec<serde_json::Value> = Format::ALL
        .iter()
        .map(|f| {
            serde_json::json!({
                "format": f.as_str(),
                "href": format!("/api/reports/{}?format={}&{query}", report.kind.as_str(), f.as_str()),
                "file": file_name(report, *f),
            })
        })
        .collect();
    Ok(Html(request.render(
        service,
        template,
        (report.kind.label_zh(), report.kind.label_en()),
        context! {
            kinds => v(&kinds),
            years => v(&years),
            regions => v(&regions),
            query => v(&query),
            downloads => v(&downloads),
            may_change => may_edit(service, &request.caller),
            ..document(report)
        },
    )?))
}

/// The editor's query: which text of which report, and a saved version to show.
#[derive(Debug, Default, Deserialize)]
struct TextQuery {
    kind: Option<String>,
    year: Option<String>,
    region: Option<String>,
    as_of: Option<String>,
    version: Option<String>,
}

/// The editor's form: which report, and the text.
#[derive(Debug, Default, Deserialize)]
struct TextForm {
    kind: Option<String>,
    year: Option<String>,
    region: Option<String>,
    as_of: Option<String>,
    body: Option<String>,
}

/// The longest text taken, in characters.
const MAX_TEXT_CHARS: usize = 20_000;

fn parse_section(text: &str) -> Result<TextSection, ApiError> {
    TextSection::parse(text).ok_or_else(|| {
        ApiError::not_found(
            format!("报告文本 {text}（应为 problems 或 suggestions）"),
            format!("report text {text} (problems or suggestions)"),
        )
    })
}

/// The request of the text's report, with its year resolved (the report's when not given).
async fn text_request(
    service: &Service,
    kind: Option<&str>,
    asked: (Option<&str>, Option<&str>, Option<&str>),
    lang: Lang,
) -> Result<(ReportRequest, u16), ApiError> {
    let kind = match present(kind) {
        Some(text) => parse_kind(text)?,
        None => ReportKind::Midterm,
    };
    let request = requested(service, kind, asked, lang)?;
    let year = match request.year {
        Some(year) => year,
        None => build(service, &request).await?.year,
    };
    Ok((request, year))
}

/// The editor of a planner text (存在问题, 对策建议): the form prefilled with the latest saved
/// version, or the one asked for (`?version=`), or the generated draft; every saved version
/// with its author and time.
async fn text_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(text): Path<String>,
    Query(query): Query<TextQuery>,
) -> Result<Html<String>, ApiError> {
    let section = parse_section(&text)?;
    let asked = (
        query.year.as_deref(),
        query.region.as_deref(),
        query.as_of.as_deref(),
    );
    let (report_request, year) =
        text_request(&service, query.kind.as_deref(), asked, request.lang()).await?;
    let key = planwatch_app::reports::text_key(&report_request, year, section);
    let versions = service
        .store()
        .report_text_versions(&service.plan, &key)
        .await?;
    let version = match present(query.version.as_deref()) {
        None => None,
        Some(text) => Some(text.parse::<u32>().map_err(|_| {
            ApiError::bad(
                "version",
                format!("应为版本号，而不是 \"{text}\""),
                format!("must be a version number, not \"{text}\""),
            )
        })?),
    };
    let shown = match version {
        Some(v) => Some(
            versions
                .iter()
                .find(|t| t.version == v)
                .ok_or_else(|| ApiError::not_found(format!("第{v}版"), format!("version {v}")))?,
        ),
        None => versions.last(),
    };
    let body = match shown {
        Some(text) => text.body.clone(),
        None => planwatch_app::reports::draft_text(
            service.store(),
            &service.plan,
            &report_request,
            section,
        )
        .await
        .map_err(report_error)?,
    };
    let listed: Vec<serde_json::Value> = versions
        .iter()
        .rev()
        .map(|t| {
            serde_json::json!({
                "version": t.version, "author": t.author, "saved_at": t.saved_at,
            })
        })
        .collect();
    let query_text = query_for(
        report_request.kind,
        year,
        report_request.region.as_deref(),
        report_request.as_of,
    );
    let lang = report_request.lang;
    Ok(Html(request.render(
        &service,
        "reports_text.html",
        (section.heading(lang), section.heading(lang)),
        context! {
            section => section.as_str(),
            kind => report_request.kind.as_str(),
            kind_zh => report_request.kind.label_zh(),
            kind_en => report_request.kind.label_en(),
            year => year,
            region => v(&report_request.region),
            as_of => v(&report_request.as_of.map(|d| d.to_string())),
            query => query_text,
            body => body,
            shown => shown.map(|t| t.version),
            latest => versions.last().map(|t| t.version),
            versions => v(&listed),
            may_change => may_edit(&service, &request.caller),
        },
    )?))
}

fn may_edit(service: &Service, caller: &Caller) -> bool {
    service
        .policy()
        .may(&caller.actor, Action::Change, &Object::Reports)
        .is_allowed()
}

/// Saves the editor's text as a new version (audited `report_text.save`) and goes back to the
/// report, where it now shows. The plan office only.
async fn save_text(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(text): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, ApiError> {
    let section = parse_section(&text)?;
    service
        .policy()
        .may(&request.caller.actor, Action::Change, &Object::Reports)
        .into_result()
        .map_err(ApiError::Denied)?;
    let body = form.body.as_deref().unwrap_or_default().trim();
    if body.is_empty() {
        return Err(ApiError::bad("body", "文本不能为空", "the text is empty"));
    }
    if body.chars().count() > MAX_TEXT_CHARS || body.contains('\0') {
        return Err(ApiError::bad(
            "body",
            format!("文本至多 {MAX_TEXT_CHARS} 字，且不含控制字符"),
            format!("a text has at most {MAX_TEXT_CHARS} characters and no NUL"),
        ));
    }
    let asked = (
        form.year.as_deref(),
        form.region.as_deref(),
        form.as_of.as_deref(),
    );
    let (report_request, year) =
        text_request(&service, form.kind.as_deref(), asked, request.lang()).await?;
    let key = planwatch_app::reports::text_key(&report_request, year, section);
    let author = match request.caller.user.as_ref() {
        Some(user) => user
            .display_name
            .clone()
            .unwrap_or_else(|| user.name.clone()),
        None => request.caller.actor.label(),
    };
    let who = Who::of(&request.caller.actor, request.caller.client.clone());
    service
        .primary()
        .save_report_text(&who, &service.plan, &key, body, &author)
        .await?;
    let back = query_for(
        report_request.kind,
        year,
        report_request.region.as_deref(),
        report_request.as_of,
    );
    Ok(Redirect::to(&format!("/reports?{back}#report-texts")).into_response())
}

/// The query that asks for a report: its kind, year, district and as-of date.
fn query_for(
    kind: ReportKind,
    year: u16,
    region: Option<&str>,
    as_of: Option<NaiveDate>,
) -> String {
    let mut query = format!("kind={}&year={year}", kind.as_str());
    if let Some(region) = region {
        query.push_str("&region=");
        query.push_str(region);
    }
    if let Some(as_of) = as_of {
        query.push_str(&format!("&as_of={as_of}"));
    }
    query
}

/// The query that asks for `report` again, in its edition.
fn query_of(report: &Report) -> String {
    let region = report.region.as_ref().map(|(code, _)| code.as_str());
    let lang = match report.lang {
        planwatch_report::Lang::Zh => "zh",
        planwatch_report::Lang::En => "en",
    };
    format!(
        "{}&lang={lang}",
        query_for(report.kind, report.year, region, Some(report.as_of))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_chinese_numerals() {
        let written: Vec<String> = [1, 2, 6, 9, 10, 11, 19, 20, 21, 99, 100]
            .map(zh_number)
            .to_vec();
        assert_eq!(
            written,
            [
                "一",
                "二",
                "六",
                "九",
                "十",
                "十一",
                "十九",
                "二十",
                "二十一",
                "九十九",
                "100"
            ]
        );
    }

    #[test]
    fn the_standalone_file_holds_the_whole_report_and_loads_nothing() {
        let report = planwatch_report::fixture();
        let html = standalone_html(&report).unwrap();
        assert!(html.starts_with("<!doctype html>"));
        for expected in [
            "<h2>一、总体进展</h2>",
            "<h2>六、对策建议</h2>",
            "<h3>（一）发展能级</h3>",
            "<caption>表1　主要指标进展情况</caption>",
            "<td>14756.6（2023年）</td>",
            "<figcaption>图1　服务业增加值（亿元）</figcaption>",
            "<ol><li>服务业增加值增速低于目标路径",
            "<ul><li>推进交子公园金融商务区建设",
            "class=\"report-note\">本节为系统生成的草稿",
            "“存在问题”采用第2版文本（张三，2024-07-01）",
            "@page { size:A4;",
        ] {
            assert!(html.contains(expected), "missing {expected}");
        }
        // The chart is inline SVG; nothing is loaded from elsewhere.
        assert!(html.contains("<svg"));
        for external in ["<link", "<script", "src=", "url(", "@import"] {
            assert!(!html.contains(external), "loads something: {external}");
        }
        // The columns' shares of the indicator table (widths 5,2,2,2,3,2,2,3 of 21).
        assert!(html.contains("<col style=\"width:23.81%\">"));
    }

    #[test]
    fn the_english_edition_numbers_sections_with_digits() {
        let mut report = planwatch_report::fixture();
        report.lang = planwatch_report::Lang::En;
        report.sections[0].heading = "Overall progress".into();
        let html = standalone_html(&report).unwrap();
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<h2>1. Overall progress</h2>"));
        assert!(html.contains("<h3>2.1 发展能级</h3>"));
        assert!(html.contains("evaluation-report lang-en"));
    }

    #[test]
    fn texts_are_escaped() {
        let mut report = planwatch_report::fixture();
        report.sections[4].blocks = vec![Block::Paragraph {
            text: "<script>alert(1)</script>".into(),
        }];
        let html = standalone_html(&report).unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn file_names_say_plan_kind_year_district_and_edition() {
        let mut report = planwatch_report::fixture();
        report.year = 2024;
        assert_eq!(
            file_name(&report, Format::Html),
            "chengdu-services-2021-2025-midterm-2024.html"
        );
        report.region = Some(("510104".into(), "锦江区".into()));
        report.lang = planwatch_report::Lang::En;
        report.kind = ReportKind::Annual;
        assert_eq!(
            file_name(&report, Format::Json),
            "chengdu-services-2021-2025-annual-2024-510104-en.json"
        );
    }
}
