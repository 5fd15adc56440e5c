//! The package as written to disk: docx-rs's parts, re-zipped so that the same report gives the
//! same bytes (entries in docx-rs's order, one fixed timestamp, fixed permissions), with the parts
//! docx-rs cannot express put in: the font table with each face's fallbacks, and header rows that
//! repeat on every page.

use std::io::{Cursor, Read as _, Write as _};

use zip::{DateTime, ZipArchive, ZipWriter, write::SimpleFileOptions};

use crate::DocxError;

/// What the re-zip changes besides the container.
pub(crate) struct Patches {
    /// The whole `word/fontTable.xml`.
    pub(crate) font_table: String,
    /// The `w:trPr` content that marks a table's header row in docx-rs's output (the writer gives
    /// only header rows `cantSplit`), and what it becomes.
    pub(crate) header_row: (&'static str, &'static str),
}

/// Re-zips `packed` (a docx-rs package) with every entry stamped `date`.
pub(crate) fn repack(
    packed: &[u8],
    date: DateTime,
    patches: &Patches,
) -> Result<Vec<u8>, DocxError> {
    let mut archive = ZipArchive::new(Cursor::new(packed))?;
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(packed.len())));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(date)
        .unix_permissions(0o644);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let name = entry.name()?.into_owned();
        if entry.is_dir() {
            // Word needs no directory entries; leaving them out keeps the package minimal.
            continue;
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data)?;
        let data = match name.as_str() {
            "word/fontTable.xml" => patches.font_table.clone().into_bytes(),
            "word/document.xml" => {
                let xml = String::from_utf8(data).map_err(|_| DocxError::NotUtf8(name.clone()))?;
                let (from, to) = patches.header_row;
                xml.replace(from, to).into_bytes()
            }
            _ => data,
        };
        out.start_file(name, options)?;
        out.write_all(&data)?;
    }
    Ok(out.finish()?.into_inner())
}
