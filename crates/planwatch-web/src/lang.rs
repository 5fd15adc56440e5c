//! The language of a request: Chinese by default, English when asked for by `?lang=en`, by the
//! `lang` cookie the language switch sets, or by an `Accept-Language` that prefers English.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    fn parse(text: &str) -> Option<Lang> {
        let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of the answer to a request for `path`: an API answer's under `/api/`, a
    /// page's elsewhere.
    pub(crate) fn for_path(path: &str, headers: &HeaderMap, query: Option<&str>) -> Lang {
        if path.starts_with("/api/") {
            Self::of_request(headers, query)
        } else {
            Self::of_page(headers, query)
        }
    }

    /// A page's language: `?lang=`, then the `lang` cookie (the switch on every page sets it),
    /// else Chinese — whatever the browser's Accept-Language, since the dashboard is Chinese
    /// first and its English is a choice the reader makes.
    fn of_page(headers: &HeaderMap, query: Option<&str>) -> Lang {
        Self::from_query(query)
            .or_else(|| Self::from_cookie(headers))
            .unwrap_or_default()
    }

    /// An API answer's language: `?lang=`, then the `lang` cookie, then the first of zh/en in
    /// Accept-Language.
    fn of_request(headers: &HeaderMap, query: Option<&str>) -> Lang {
        Self::from_query(query)
            .or_else(|| Self::from_cookie(headers))
            .or_else(|| Self::from_accept_language(headers))
            .unwrap_or_default()
    }

    pub(crate) fn from_query(query: Option<&str>) -> Option<Lang> {
        query?
            .split('&')
            .filter_map(|pair| pair.strip_prefix("lang="))
            .find_map(Lang::parse)
    }

    fn from_cookie(headers: &HeaderMap) -> Option<Lang> {
        crate::auth::cookie(headers, "lang").and_then(Lang::parse)
    }

    /// The zh or en range with the highest quality (ties: the first listed).
    fn from_accept_language(headers: &HeaderMap) -> Option<Lang> {
        let header = headers.get(ACCEPT_LANGUAGE)?.to_str().ok()?;
        let mut best: Option<(f32, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                .unwrap_or(1.0);
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

/// The report's and the shared wording's language (`planwatch_report::wording`).
impl From<Lang> for planwatch_report::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Zh => planwatch_report::Lang::Zh,
            Lang::En => planwatch_report::Lang::En,
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    use super::*;

    fn headers(pairs: &[(axum::http::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn chinese_unless_english_is_asked_for() {
        assert_eq!(Lang::of_request(&HeaderMap::new(), None), Lang::Zh);
        let h = headers(&[(ACCEPT_LANGUAGE, "en")]);
        assert_eq!(Lang::for_path("/api/plan", &h, None), Lang::En);
        assert_eq!(Lang::for_path("/", &h, None), Lang::Zh);
        let h = headers(&[(ACCEPT_LANGUAGE, "en-GB,en;q=0.9,zh;q=0.5")]);
        assert_eq!(Lang::of_request(&h, None), Lang::En);
        let h = headers(&[(ACCEPT_LANGUAGE, "fr, zh-CN;q=0.8, en;q=0.7")]);
        assert_eq!(Lang::of_request(&h, None), Lang::Zh);
        let h = headers(&[(ACCEPT_LANGUAGE, "fr, de")]);
        assert_eq!(Lang::of_request(&h, None), Lang::Zh);
    }

    #[test]
    fn pages_are_chinese_unless_the_reader_switches() {
        let h = headers(&[(ACCEPT_LANGUAGE, "en-US,en;q=0.9")]);
        assert_eq!(Lang::of_page(&h, None), Lang::Zh);
        assert_eq!(Lang::of_page(&h, Some("lang=en")), Lang::En);
        let h = headers(&[(COOKIE, "lang=en")]);
        assert_eq!(Lang::of_page(&h, None), Lang::En);
    }

    #[test]
    fn the_query_beats_the_cookie_which_beats_the_header() {
        let h = headers(&[(ACCEPT_LANGUAGE, "en"), (COOKIE, "a=b; lang=zh")]);
        assert_eq!(Lang::of_request(&h, None), Lang::Zh);
        assert_eq!(Lang::of_request(&h, Some("x=1&lang=en")), Lang::En);
    }
}
