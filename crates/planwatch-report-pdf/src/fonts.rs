//! Fonts: scanned at run time (system directories, Fandol's TeX Live directory where present, the
//! `--font-dir`s) plus typst's embedded Latin fonts, once per process and set of directories; and
//! which families play the GB/T 9704 roles (宋体, 仿宋, 楷体, 黑体).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use serde::Serialize;
use typst::text::{FontBook, FontInfo};
use typst_kit::fonts::{self, FontStore};

use crate::PdfError;

/// Where TeX Live keeps Fandol's fonts (Debian's `texlive-lang-chinese`), outside the fontconfig
/// directories: FandolFang and FandolKai are the open 仿宋 and 楷体.
const FANDOL_DIR: &str = "/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol";

/// The Latin serif typst embeds, put first in the English edition.
const LATIN_SERIF: &str = "Libertinus Serif";

/// Each role's families, most preferred first. Any other CJK family found comes after these.
const SONG: &[&str] = &[
    "FandolSong",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "SimSun",
    "AR PL UMing CN",
];
const FANG: &[&str] = &["FandolFang", "FangSong", "FangSong_GB2312"];
const KAI: &[&str] = &["FandolKai", "KaiTi", "KaiTi_GB2312", "AR PL UKai CN"];
const HEI: &[&str] = &[
    "FandolHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
];

/// A scanned font store and the families chosen for each role.
pub(crate) struct Fonts {
    pub(crate) store: FontStore,
    pub(crate) roles: Roles,
}

/// Font families (fallback lists, as typst's `text(font: ..)` takes them) per role. Only families
/// the store has, so typst never warns of an unknown family.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Roles {
    /// 宋体: the title.
    pub(crate) song: Vec<String>,
    /// 仿宋: the body.
    pub(crate) fang: Vec<String>,
    /// 楷体: second-level headings, the subtitle.
    pub(crate) kai: Vec<String>,
    /// 黑体: first-level headings, captions, table headers.
    pub(crate) hei: Vec<String>,
    /// The Latin serif the English edition puts before the CJK families.
    pub(crate) latin: String,
}

type Cache = Mutex<HashMap<Vec<PathBuf>, Arc<Fonts>>>;

/// One scan per set of extra directories, for the life of the process: the web server renders
/// many reports and a scan costs about half a second.
static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);

/// The fonts for these extra directories, scanned on first use.
pub(crate) fn fonts(font_dirs: &[PathBuf]) -> Result<Arc<Fonts>, PdfError> {
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = cache.get(font_dirs) {
        return Ok(Arc::clone(found));
    }
    let store = scan(font_dirs);
    let roles = Roles::choose(store.book()).ok_or_else(|| PdfError::NoCjkFont {
        font_dirs: font_dirs.to_vec(),
    })?;
    let found = Arc::new(Fonts { store, roles });
    cache.insert(font_dirs.to_vec(), Arc::clone(&found));
    Ok(found)
}

/// The `--font-dir`s first (their families win), then Fandol's directory, the system's
/// directories and typst's embedded fonts.
fn scan(font_dirs: &[PathBuf]) -> FontStore {
    let mut store = FontStore::new();
    for dir in font_dirs {
        store.extend(fonts::scan(dir));
    }
    let fandol = Path::new(FANDOL_DIR);
    if fandol.is_dir() {
        store.extend(fonts::scan(fandol));
    }
    store.extend(fonts::system());
    store.extend(fonts::embedded());
    store
}

impl Roles {
    /// `None` when the book has no font covering common Chinese characters.
    fn choose(book: &FontBook) -> Option<Self> {
        let mut cjk: Vec<&str> = book
            .families()
            .filter_map(|(family, mut faces)| {
                faces
                    .any(|face| book.info(face).is_some_and(covers_chinese))
                    .then_some(family)
            })
            .collect();
        if cjk.is_empty() {
            return None;
        }
        cjk.sort_unstable();
        let role = |preferred: &[&str], then: &[&str]| -> Vec<String> {
            let mut families: Vec<String> = Vec::new();
            let candidates = preferred
                .iter()
                .chain(then)
                .copied()
                .chain(cjk.iter().copied());
            for family in candidates {
                let known = cjk.iter().any(|f| f.eq_ignore_ascii_case(family));
                if known && !families.iter().any(|f| f.eq_ignore_ascii_case(family)) {
                    families.push(family.to_owned());
                }
            }
            families
        };
        Some(Self {
            song: role(SONG, &[]),
            // Without a 仿宋 or 楷体, the serif (宋体) stands in.
            fang: role(FANG, SONG),
            kai: role(KAI, SONG),
            hei: role(HEI, &[]),
            latin: LATIN_SERIF.to_owned(),
        })
    }
}

/// Whether a font has the characters of a Chinese sentence (not just a few symbols).
fn covers_chinese(info: &FontInfo) -> bool {
    SAMPLE.chars().all(|c| info.coverage.contains(c.into()))
}

const SAMPLE: &str = "中文报告";

#[cfg(test)]
mod tests {
    use typst::text::{Coverage, FontFlags};

    use super::*;

    fn info(family: &str, covers_chinese: bool) -> FontInfo {
        let mut codepoints: Vec<u32> = ('A'..='z').map(u32::from).collect();
        if covers_chinese {
            codepoints.extend(SAMPLE.chars().map(u32::from));
        }
        codepoints.sort_unstable();
        FontInfo {
            family: family.to_owned(),
            variant: Default::default(),
            flags: FontFlags::empty(),
            axes: Vec::new(),
            coverage: Coverage::from_vec(codepoints),
        }
    }

    #[test]
    fn fandol_is_preferred_for_fang_and_kai_and_noto_stands_in() {
        let book = FontBook::from_infos([
            info("Noto Serif CJK SC", true),
            info("Noto Sans CJK SC", true),
            info("FandolKai", true),
            info("Libertinus Serif", false),
        ]);
        let roles = Roles::choose(&book).expect("CJK fonts");
        assert_eq!(roles.kai[0], "FandolKai");
        assert_eq!(roles.fang[0], "Noto Serif CJK SC");
        assert_eq!(roles.song[0], "Noto Serif CJK SC");
        assert_eq!(roles.hei[0], "Noto Sans CJK SC");
        assert!(!roles.song.iter().any(|f| f == "Libertinus Serif"));
    }

    #[test]
    fn an_unknown_cjk_family_serves_every_role() {
        let book = FontBook::from_infos([info("Some Ming", true), info("DejaVu Sans", false)]);
        let roles = Roles::choose(&book).expect("a CJK font");
        for role in [&roles.song, &roles.fang, &roles.kai, &roles.hei] {
            assert_eq!(role, &["Some Ming"]);
        }
    }

    #[test]
    fn no_cjk_font_is_none() {
        let book = FontBook::from_infos([info("Libertinus Serif", false)]);
        assert!(Roles::choose(&book).is_none());
    }
}
