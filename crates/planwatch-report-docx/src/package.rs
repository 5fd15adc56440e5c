//! The package as written to disk: docx-rs's parts, re-zipped so that the same report gives the
//! same bytes (entries in docx-rs's order, one fixed timestamp, fixed permissions), with what
//! docx-rs cannot express put in: the font table with each face's fallbacks, the document's
//! language, header rows that repeat on every page.

use std::io::{Cursor, Read as _, Write as _};

use zip::{DateTime, ZipArchive, ZipWriter, write::SimpleFileOptions};

use crate::DocxError;

/// A change to one part of docx-rs's output, for what docx-rs cannot express: the text `from`
/// (which must occur: a docx-rs whose output differs fails loudly instead of losing the change)
/// replaced by `to` everywhere in `part`.
pub(crate) struct Patch {
    pub(crate) part: &'static str,
    pub(crate) from: &'static str,
    pub(crate) to: String,
}

/// Re-zips `packed` (a docx-rs package) with every entry stamped `date`, the `replaced` parts
/// (name, whole text) instead of docx-rs's and the patches applied.
pub(crate) fn repack(
    packed: &[u8],
    date: DateTime,
    replaced: &[(&str, String)],
    patches: &[Patch],
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
        let data = if let Some((_, whole)) = replaced.iter().find(|(part, _)| *part == name) {
            whole.clone().into_bytes()
        } else {
            let mut patches = patches.iter().filter(|p| p.part == name).peekable();
            if patches.peek().is_none() {
                data
            } else {
                let mut xml =
                    String::from_utf8(data).map_err(|_| DocxError::NotUtf8(name.clone()))?;
                for patch in patches {
                    if !xml.contains(patch.from) {
                        return Err(DocxError::Unpatched {
                            part: name,
                            from: patch.from,
                        });
                    }
                    xml = xml.replace(patch.from, &patch.to);
                }
                xml.into_bytes()
            }
        };
        out.start_file(name, options)?;
        out.write_all(&data)?;
    }
    Ok(out.finish()?.into_inner())
}
