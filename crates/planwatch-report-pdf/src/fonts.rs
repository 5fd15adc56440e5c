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

/// The English edition's Latin faces, put before the CJK ones: the first of these found. The
/// Word writer's Times New Roman and Arial, their metric twins, and the serif typst embeds.
const LATIN_SERIF: &[&str] = &["Times New Roman", "Liberation Serif", "Libertinus Serif"];
const LATIN_SANS: &[&str] = &["Arial", "Liberation Sans"];

/// The title's 小标宋, as in the Word writer; it is bold by design, so set in its regular weight.
const XIAOBIAOSONG: &str = "FZXiaoBiaoSong-B05S";

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
    /// 小标宋 where present, else 宋体: the title.
    pub(crate) title: Vec<String>,
    /// `regular` for 小标宋, `bold` for a 宋体 standing in.
    pub(crate) title_weight: &'static str,
    /// 宋体: page numbers.
    pub(crate) song: Vec<String>,
    /// 仿宋: the body.
    pub(crate) fang: Vec<String>,
    /// 楷体: second-level headings, the subtitle.
    pub(crate) kai: Vec<String>,
    /// 黑体: first-level headings, captions, table headers.
    pub(crate) hei: Vec<String>,
    /// The Latin serif and sans the English edition puts before the CJK families (each one family
    /// or none).
    pub(crate) latin: Vec<String>,
    pub(crate) latin_sans: Vec<String>,
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
        let first_of = |families: &[&str]| -> Vec<String> {
            families
                .iter()
                .find(|family| book.contains_family(&family.to_lowercase()))
                .map(|family| vec![(*family).to_owned()])
                .unwrap_or_default()
        };
        let title = role(&[XIAOBIAOSONG], SONG);
        Some(Self {
            title_weight: if title[0] == XIAOBIAOSONG {
                "regular"
            } else {
                "bold"
            },
            title,
            song: role(SONG, &[]),
            // Without a 仿宋 or 楷体, the serif (宋体) stands in.
            fang: role(FANG, SONG),
            kai: role(KAI, SONG),
            hei: role(HEI, &[]),
            latin: first_of(LATIN_SERIF),
            latin_sans: first_of(LATIN_SANS),
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
        assert_eq!(
            (roles.title[0].as_str(), roles.title_weight),
            ("Noto Serif CJK SC", "bold")
        );
        assert_eq!(roles.latin, ["Libertinus Serif"]);
        assert!(roles.latin_sans.is_empty());
    }

    #[test]
    fn the_word_writers_faces_win_where_installed() {
        let book = FontBook::from_infos([
            info("Noto Serif CJK SC", true),
            info("FZXiaoBiaoSong-B05S", true),
            info("Liberation Serif", false),
            info("Libertinus Serif", false),
            info("Arial", false),
        ]);
        let roles = Roles::choose(&book).expect("CJK fonts");
        assert_eq!(
            (roles.title[0].as_str(), roles.title_weight),
            (XIAOBIAOSONG, "regular")
        );
        assert_eq!(roles.song[0], "Noto Serif CJK SC");
        assert_eq!(roles.latin, ["Liberation Serif"]);
        assert_eq!(roles.latin_sans, ["Arial"]);
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

    /// A directory given with `--font-dir` is scanned before the system's (its families win),
    /// and a second call with the same directories reuses the first scan.
    #[test]
    fn font_dirs_come_first_and_the_scan_is_cached() {
        let noto = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
        if !noto.exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is missing under CI: run scripts/setup-report-tools",
                noto.display()
            );
            eprintln!("skipped: fonts-noto-cjk not installed (scripts/setup-report-tools)");
            return;
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::copy(noto, dir.path().join("office.ttc")).expect("a copy of the font");
        let dirs = vec![dir.path().to_path_buf()];

        let first = fonts(&dirs).expect("CJK fonts in the directory");
        let source: &dyn std::any::Any = first.store.source(0).expect("a font");
        let path = source
            .downcast_ref::<fonts::FontPath>()
            .expect("a font file");
        assert!(
            path.path.starts_with(dir.path()),
            "{path:?} is not from the font dir"
        );
        assert!(Arc::ptr_eq(&first, &fonts(&dirs).expect("cached")));
        assert!(!Arc::ptr_eq(&first, &fonts(&[]).expect("system fonts")));
    }
}
