//! House rules that check themselves: every Rust module opens with a `//!`
//! line saying what it is for, every Svelte file opens its script with a
//! comment saying the same, and the workspace lists each crate with its
//! purpose. A newcomer reads the first line of a file to know where they are.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root")
}

/// Files under `dir` whose name ends with `ext`, skipping build output and packages.
fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | "dist" | "gen" | ".git") {
                files(&path, ext, out);
            }
        } else if name.ends_with(ext) {
            out.push(path);
        }
    }
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn every_rust_module_says_what_it_is_for_on_its_first_line() {
    let mut rs = Vec::new();
    files(&root().join("crates"), ".rs", &mut rs);
    files(&root().join("src-tauri"), ".rs", &mut rs);
    assert!(rs.len() > 50, "the walk found the sources ({} files)", rs.len());
    let missing: Vec<String> =
        rs.iter().filter(|p| !std::fs::read_to_string(p).unwrap_or_default().starts_with("//!")).map(|p| relative(p)).collect();
    assert!(missing.is_empty(), "these modules do not open with a `//!` line saying what they are for: {missing:#?}");
}

#[test]
fn every_svelte_file_opens_its_script_with_a_comment() {
    let mut svelte = Vec::new();
    files(&root().join("ui/src"), ".svelte", &mut svelte);
    assert!(svelte.len() > 10, "the walk found the views ({} files)", svelte.len());
    let missing: Vec<String> = svelte
        .iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let mut lines = text.lines().skip_while(|l| !l.trim_start().starts_with("<script"));
            lines.next();
            !lines.next().is_some_and(|l| l.trim_start().starts_with("//"))
        })
        .map(|p| relative(p))
        .collect();
    assert!(missing.is_empty(), "these Svelte files do not open their <script> with a `//` comment saying what they show: {missing:#?}");
}

#[test]
fn the_workspace_lists_each_crate_with_its_purpose() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members = manifest.split("members = [").nth(1).and_then(|m| m.split(']').next()).expect("a members list");
    let lines: Vec<&str> = members.lines().map(str::trim).filter(|l| l.starts_with('"')).collect();
    assert!(lines.len() >= 8, "the members were read: {lines:?}");
    for line in lines {
        let purpose = line.split_once('#').map(|(_, p)| p.trim()).unwrap_or("");
        assert!(purpose.len() > 10, "the crate map names what {line} is for, after a `#`");
        let path = line.split('"').nth(1).unwrap();
        let own = std::fs::read_to_string(root().join(path).join("Cargo.toml")).unwrap();
        assert!(own.lines().any(|l| l.starts_with("description")), "{path}/Cargo.toml has a description");
    }
}
