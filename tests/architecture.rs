//! The model — the systems, the world, its components and resources, the monthly loop, and every
//! module they use — is free of polars: it fills plain rows and column stores, and only `output/` turns them into Arrow
//! arrays, DataFrames and Parquet. Checked by reading the sources: from the model's modules, every
//! `crate::`, `super::` and `mod` path is followed to the files it names, and none of those files may
//! name a polars crate.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

/// The model's modules, as files under `src/`.
const MODEL: [&str; 5] = [
    "systems/mod.rs",
    "world.rs",
    "components.rs",
    "resources.rs",
    "simulation.rs",
];

/// Every `.rs` file under `dir`, by its path relative to `dir` (with `/`), with its text.
fn sources(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("a readable source folder") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                walk(root, &path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).expect("under the root");
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = std::fs::read_to_string(&path).expect("a readable source file");
                files.insert(name, text);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// The code of a file without its comments, so that prose about polars is not a use of it.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The module a file is (`systems/metrics.rs` → `systems/metrics`, `tables/mod.rs` → `tables`,
/// `lib.rs` → the root, ``).
fn module_of(file: &str) -> String {
    let module = file.strip_suffix(".rs").unwrap_or(file);
    let module = module.strip_suffix("/mod").unwrap_or(module);
    if module == "lib" || module == "main" {
        String::new()
    } else {
        module.to_string()
    }
}

fn join(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}/{name}")
    }
}

/// The file of a module, if it has one.
fn file_of(files: &BTreeMap<String, String>, module: &str) -> Option<String> {
    [format!("{module}.rs"), format!("{module}/mod.rs")]
        .into_iter()
        .find(|f| files.contains_key(f))
}

/// The paths of a use tree starting at `text` (just after `crate::` or the like): `a::b::C` is one
/// path, `{a, b::{c, d}}` several. Each path is its segments; the text after the tree is not read.
fn paths(text: &str) -> Vec<Vec<String>> {
    fn tree(text: &str, at: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let bytes = text.as_bytes();
        let skip_space = |at: &mut usize| {
            while *at < bytes.len() && (bytes[*at] as char).is_whitespace() {
                *at += 1;
            }
        };
        let mut path = prefix.to_vec();
        loop {
            skip_space(at);
            if *at < bytes.len() && bytes[*at] == b'{' {
                *at += 1;
                loop {
                    tree(text, at, &path, out);
                    skip_space(at);
                    match bytes.get(*at) {
                        Some(b',') => *at += 1,
                        Some(b'}') => {
                            *at += 1;
                            return;
                        }
                        _ => return,
                    }
                    skip_space(at);
                    if bytes.get(*at) == Some(&b'}') {
                        *at += 1;
                        return;
                    }
                }
            }
            let start = *at;
            while *at < bytes.len() && is_ident_char(bytes[*at] as char) {
                *at += 1;
            }
            if *at == start {
                break;
            }
            path.push(text[start..*at].to_string());
            skip_space(at);
            if text[*at..].starts_with("::") {
                *at += 2;
            } else {
                break;
            }
        }
        if path.len() > prefix.len() {
            out.push(path);
        }
    }
    let mut out = Vec::new();
    tree(text, &mut 0, &[], &mut out);
    out
}

/// The module files a path from the crate's root names: the longest prefix of its segments that is a
/// module, or, for an item of the root, the module the root re-exports it from (`pub use m::{Item}`).
fn resolve(files: &BTreeMap<String, String>, path: &[String]) -> Result<String, String> {
    for len in (1..=path.len()).rev() {
        if let Some(file) = file_of(files, &path[..len].join("/")) {
            return Ok(file);
        }
    }
    let item = path.first().ok_or("an empty path")?;
    let root = files.get("lib.rs").map(|t| code(t)).unwrap_or_default();
    for statement in root.split(';') {
        let Some(at) = statement.find("pub use ") else {
            continue;
        };
        for reexported in paths(&statement[at + "pub use ".len()..]) {
            if reexported.last() == Some(item)
                && let Ok(file) = resolve(files, &reexported[..reexported.len() - 1])
            {
                return Ok(file);
            }
        }
    }
    Err(format!("crate::{} names no module", path.join("::")))
}

/// For each byte of `text`, how many inline modules (`mod name { … }`) enclose it.
fn inline_modules(text: &str) -> Vec<u8> {
    let mut depths = Vec::with_capacity(text.len());
    let (mut braces, mut open) = (0usize, Vec::new());
    let mut opening = false;
    for (at, c) in text.char_indices() {
        if text[at..].starts_with("mod ") && !text[..at].ends_with(|c: char| is_ident_char(c)) {
            let rest = text[at + 4..].trim_start();
            let name = rest.trim_start_matches(|c: char| is_ident_char(c));
            opening = name.len() < rest.len() && name.trim_start().starts_with('{');
        }
        match c {
            '{' => {
                braces += 1;
                if opening {
                    open.push(braces);
                    opening = false;
                }
            }
            '}' => {
                if open.last() == Some(&braces) {
                    open.pop();
                }
                braces = braces.saturating_sub(1);
            }
            _ => {}
        }
        depths.extend(std::iter::repeat_n(open.len() as u8, c.len_utf8()));
    }
    depths
}

/// The files `file` brings into the build: its `mod` children, and the modules its `crate::`,
/// `super::` and `self::` paths name.
fn dependencies(files: &BTreeMap<String, String>, file: &str) -> Result<Vec<String>, String> {
    let text = code(&files[file]);
    let module = module_of(file);
    let mut found = Vec::new();
    // `mod name;` (not `mod name { … }`, which is in this file).
    for (at, _) in text.match_indices("mod ") {
        if text[..at].ends_with(|c: char| is_ident_char(c)) {
            continue;
        }
        let rest = &text[at + 4..];
        let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
        if !name.is_empty() && rest[name.len()..].trim_start().starts_with(';') {
            let child = join(&module, &name);
            let child = file_of(files, &child).ok_or(format!("{file}: no file for mod {name}"))?;
            found.push(child);
        }
    }
    let parent = module.rsplit_once('/').map_or("", |(p, _)| p);
    let inline = inline_modules(&text);
    for (start, base) in [("crate::", ""), ("super::", parent), ("self::", &*module)] {
        for (at, _) in text.match_indices(start) {
            if text[..at].ends_with(|c: char| is_ident_char(c)) {
                continue;
            }
            // In an inline module (`mod tests { … }`), `super` is this file's module.
            let base = if start == "super::" && inline[at] > 0 {
                &*module
            } else {
                base
            };
            let base: Vec<String> = base
                .split('/')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            for path in paths(&text[at + start.len()..]) {
                let whole: Vec<String> = base.iter().cloned().chain(path).collect();
                found.push(resolve(files, &whole).map_err(|e| format!("{file}: {e}"))?);
            }
        }
    }
    Ok(found)
}

/// Whether the code names a polars crate (`polars`, `polars_arrow`, `polars_parquet`, …).
fn names_polars(text: &str) -> bool {
    let text = code(text);
    text.match_indices("polars")
        .any(|(at, _)| !text[..at].ends_with(|c: char| is_ident_char(c)))
}

/// Every file reachable from `roots` that names polars, each with the chain of files that leads to it
/// from a root.
fn polars_in_model(
    files: &BTreeMap<String, String>,
    roots: &[&str],
) -> Result<(Vec<Vec<String>>, usize), String> {
    let mut reached: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut queue = VecDeque::new();
    for root in roots {
        if !files.contains_key(*root) {
            return Err(format!("no file {root}"));
        }
        reached.insert(root.to_string(), None);
        queue.push_back(root.to_string());
    }
    let mut offending = Vec::new();
    while let Some(file) = queue.pop_front() {
        if names_polars(&files[&file]) {
            let mut chain = vec![file.clone()];
            while let Some(Some(from)) = reached.get(chain.last().expect("not empty")) {
                chain.push(from.clone());
            }
            chain.reverse();
            offending.push(chain);
        }
        for next in dependencies(files, &file)? {
            if !reached.contains_key(&next) {
                reached.insert(next.clone(), Some(file.clone()));
                queue.push_back(next);
            }
        }
    }
    Ok((offending, reached.len()))
}

#[test]
fn the_model_uses_nothing_that_uses_polars() {
    let files = sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let (offending, reached) = polars_in_model(&files, &MODEL).unwrap();
    let chains: Vec<String> = offending.iter().map(|c| c.join(" → ")).collect();
    assert!(
        chains.is_empty(),
        "the model reaches polars through: {chains:#?}"
    );
    // The walk followed the model's imports: the systems, their tables and the scenario at least.
    assert!(reached > 20, "only {reached} files reached");
    // Output, in contrast, uses polars: the check sees it.
    let (offending, _) = polars_in_model(&files, &["output/mod.rs"]).unwrap();
    assert!(!offending.is_empty());
}

fn fake(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect()
}

#[test]
fn polars_behind_an_import_is_found_with_the_chain_that_reaches_it() {
    let files = fake(&[
        (
            "lib.rs",
            "pub mod systems;\npub mod tables;\npub use tables::{Recorder, Other};",
        ),
        (
            "systems/mod.rs",
            "pub mod metrics;\n// polars is not used here\n",
        ),
        (
            "systems/metrics.rs",
            "use super::Month;\nfn f(r: crate::Recorder) {}\nmod tests { use super::f; }",
        ),
        ("tables/mod.rs", "mod columns;\npub struct Recorder;"),
        ("tables/columns.rs", "use polars::prelude::*;"),
    ]);
    let (offending, reached) = polars_in_model(&files, &["systems/mod.rs"]).unwrap();
    assert_eq!(reached, 4);
    assert_eq!(
        offending,
        [[
            "systems/mod.rs",
            "systems/metrics.rs",
            "tables/mod.rs",
            "tables/columns.rs"
        ]]
    );
}

#[test]
fn grouped_imports_and_deep_paths_are_followed() {
    let files = fake(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;"),
        ("a.rs", "use crate::{b::{x, y}, c};"),
        ("b/mod.rs", "pub mod inner;"),
        ("b/inner.rs", ""),
        ("c.rs", "fn f() -> polars_arrow::Array { todo!() }"),
    ]);
    let (offending, _) = polars_in_model(&files, &["a.rs"]).unwrap();
    assert_eq!(offending, [["a.rs", "c.rs"]]);
    let tree = paths("{b::{x, y}, c::d::E}; rest");
    assert_eq!(tree, [vec!["b", "x"], vec!["b", "y"], vec!["c", "d", "E"]]);
}

#[test]
fn comments_and_look_alike_names_are_not_polars_and_unknown_paths_fail() {
    assert!(!names_polars(
        "//! Turned into polars frames elsewhere.\n/* polars */ fn f() {}"
    ));
    assert!(!names_polars("let not_polars = 1;"));
    assert!(names_polars("let s = polars::prelude::Series::default();"));
    let files = fake(&[
        ("lib.rs", "pub mod a;"),
        ("a.rs", "use crate::missing::Thing;"),
    ]);
    let e = polars_in_model(&files, &["a.rs"]).unwrap_err();
    assert!(e.contains("crate::missing::Thing names no module"), "{e}");
}

/// The modules lib.rs builds without the `engine` feature: the scenario loader and validator, as the
/// fuzz targets build it (fuzz/Cargo.toml, `default-features = false`).
const WITHOUT_ENGINE: [&str; 4] = ["fsutil", "month", "parameters", "scenario"];

/// Every file reachable from `roots` through `mod`, `crate::`, `super::` and `self::` paths.
fn reachable(files: &BTreeMap<String, String>, roots: &[&str]) -> BTreeMap<String, String> {
    let mut reached: BTreeMap<String, String> = BTreeMap::new();
    let mut queue: VecDeque<String> = roots.iter().map(|r| r.to_string()).collect();
    while let Some(file) = queue.pop_front() {
        for next in dependencies(files, &file).unwrap() {
            if !reached.contains_key(&next) && !roots.contains(&next.as_str()) {
                reached.insert(next.clone(), file.clone());
                queue.push_back(next);
            }
        }
    }
    reached
}

#[test]
fn the_library_builds_without_the_engine() {
    let files = sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    // Every other module of lib.rs is behind the feature (a `#[cfg]` on the line before it).
    let lib = &files["lib.rs"];
    let lines: Vec<&str> = lib.lines().collect();
    let mut gated = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|r| r.strip_suffix(';'))
        else {
            continue;
        };
        let behind = i > 0 && lines[i - 1].trim() == "#[cfg(feature = \"engine\")]";
        if WITHOUT_ENGINE.contains(&name) {
            assert!(!behind, "{name} is needed without the engine");
        } else {
            assert!(
                behind,
                "lib.rs: `pub mod {name};` is not behind the engine feature"
            );
            gated += 1;
        }
    }
    assert!(gated > 10, "only {gated} engine modules found in lib.rs");
    // And the modules built without it use only each other.
    let roots = ["fsutil.rs", "month.rs", "parameters.rs", "scenario/mod.rs"];
    for (file, from) in reachable(&files, &roots) {
        let top = file.split(['/', '.']).next().unwrap_or_default();
        assert!(
            WITHOUT_ENGINE.contains(&top),
            "{from} uses {file}, which is built only with the engine feature"
        );
    }
}

/// Analysis reads a run without drawing it: the comparison, the printed summary, the seed ensemble and
/// the run data they read reach no chart module (they once read their data from `charts::RunData`,
/// analysis on top of plotting).
#[test]
fn analysis_reaches_no_chart_module() {
    let files = sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let roots = ["comparison.rs", "summary.rs", "ensemble.rs", "run_data.rs"];
    let mut reached: BTreeMap<String, String> = BTreeMap::new();
    let mut queue: VecDeque<String> = roots.iter().map(|r| r.to_string()).collect();
    for r in roots {
        reached.insert(r.to_string(), String::new());
    }
    while let Some(file) = queue.pop_front() {
        for next in dependencies(&files, &file).unwrap() {
            if !reached.contains_key(&next) {
                reached.insert(next.clone(), file.clone());
                queue.push_back(next);
            }
        }
    }
    let charts: Vec<String> = reached
        .iter()
        .filter(|(f, _)| f.starts_with("charts/"))
        .map(|(f, from)| format!("{from} → {f}"))
        .collect();
    assert!(charts.is_empty(), "analysis reaches charts: {charts:?}");
    assert!(reached.contains_key("numbers.rs"), "the walk follows paths");
}
