//! Charts as pictures: the shared SVG ([`planwatch_report::chart_svg`]) rasterised to PNG with
//! resvg, with the system's fonts (the CJK labels need a CJK face, e.g. Debian's fonts-noto-cjk).

use std::sync::{Arc, OnceLock};

use planwatch_report::{CHART_HEIGHT, CHART_WIDTH, Chart, chart_svg};
use resvg::{tiny_skia, usvg};

use crate::DocxError;

/// Pixels per SVG unit: sharp on paper at the printed width.
pub(crate) const SCALE: u32 = 2;

/// The system's fonts, loaded once per process (a scan of the font directories).
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(db)
        })
        .clone()
}

/// The chart as a PNG of `CHART_WIDTH × SCALE` by `CHART_HEIGHT × SCALE` pixels.
pub(crate) fn chart_png(chart: &Chart) -> Result<Vec<u8>, DocxError> {
    let options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&chart_svg(chart), &options)?;
    let mut pixmap = tiny_skia::Pixmap::new(CHART_WIDTH * SCALE, CHART_HEIGHT * SCALE)
        .ok_or(DocxError::PictureSize)?;
    let scale = SCALE as f32;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|source| DocxError::Png(Box::new(source)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use planwatch_report::{Block, fixture};

    fn chart() -> Chart {
        fixture()
            .sections
            .into_iter()
            .flat_map(|s| s.blocks)
            .find_map(|b| match b {
                Block::Chart(c) => Some(c),
                _ => None,
            })
            .expect("the fixture has a chart")
    }

    #[test]
    fn chart_png_is_a_png_of_the_scaled_size_and_deterministic() {
        let png = chart_png(&chart()).expect("renders");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, at bytes 16..24.
        let width = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
        let height = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
        assert_eq!((width, height), (CHART_WIDTH * SCALE, CHART_HEIGHT * SCALE));
        assert_eq!(png, chart_png(&chart()).expect("renders"));
    }
}
