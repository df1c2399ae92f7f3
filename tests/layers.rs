//! The layers keep one direction (ARCHITECTURE.md §2): nothing above `bank` names the store or
//! sled, and no module names one of a layer above its own. A source scan, so a shortcut through
//! `Bank::store()`, `crate::store::…` or a screen's words reached from the bank fails here
//! instead of being found by the next engine that has to sit behind the bank.

use std::path::Path;

/// Code above the bank: the command line, the counter, reports, the words, the sample data.
const ABOVE_BANK: &[&str] =
    &["src/city", "src/cli", "src/tui", "src/report", "src/i18n", "src/sample.rs", "src/search.rs"];
const FORBIDDEN: &[&str] = &["crate::store", "sled::", ".store()", "hourbank::store"];

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn nothing_above_the_bank_names_the_store_or_sled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for part in ABOVE_BANK {
        rust_files(&root.join(part), &mut files);
    }
    assert!(files.len() > 40, "the scan found the sources ({} files)", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                if code.contains(word) {
                    found.push(format!(
                        "{}:{}: {}",
                        file.strip_prefix(root).unwrap().display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "above the bank, through the bank only:\n{}", found.join("\n"));
}

/// Every top-level module of `src/` and its layer: a module may name only modules of lower
/// layers (ARCHITECTURE.md §2). A module missing here fails the test, so a new one is placed.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("store", 1),
    ("search", 1),
    ("bank", 2),
    ("city", 3),
    ("control", 3),
    ("sample", 3),
    ("i18n", 4),
    ("report", 5),
    ("tui", 6),
    ("cli", 7),
];

/// The top-level modules a file names through `crate::…` (comments left out).
fn named_modules(text: &str) -> std::collections::BTreeSet<String> {
    let mut named = std::collections::BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !word.is_empty() {
                named.insert(word);
            }
        }
    }
    named
}

#[test]
fn no_module_names_one_of_a_higher_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer = |name: &str| LAYERS.iter().find(|(m, _)| *m == name).map(|(_, l)| *l);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if ["lib", "main", "bin"].contains(&name.as_str()) {
            continue;
        }
        let Some(own) = layer(&name) else {
            wrong.push(format!("src/{name}: not placed in a layer (add it to LAYERS)"));
            continue;
        };
        seen += 1;
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for other in named_modules(&text) {
                match layer(&other) {
                    Some(l) if other != name && l >= own => wrong.push(format!(
                        "{}: {name} (layer {own}) names {other} (layer {l})",
                        file.strip_prefix(&root).unwrap().display()
                    )),
                    _ => {}
                }
            }
        }
    }
    assert_eq!(seen, LAYERS.len(), "every layer's module was scanned");
    assert!(wrong.is_empty(), "the layers point one way only:\n{}", wrong.join("\n"));
}

/// The module path of a source file: `src/bank/ops.rs` is `bank::ops`, `src/bank/mod.rs` is
/// `bank`, `src/lib.rs` is the crate.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// A source file's code as the import scans read it: comments and the tests inside the file
/// left out (they name `super` as their own file).
fn code_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The paths a piece of code names through `crate::`, `super::` or `self::`, made absolute
/// (`use` groups in braces expanded). A module's own `mod` lines and its `pub use child::…`
/// facade are not counted: a parent re-exporting its children depends on none of them.
fn named_paths(code: &str, own: &[String]) -> Vec<Vec<String>> {
    fn ident_at(s: &str) -> usize {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len())
    }
    // Expands `a::{b, c::{d}}` at `rest` after `base`, pushing every path.
    fn expand(base: Vec<String>, rest: &str, out: &mut Vec<Vec<String>>) {
        let mut path = base;
        let mut s = rest;
        loop {
            let n = ident_at(s);
            if n > 0 {
                path.push(s[..n].to_string());
                s = &s[n..];
            }
            if let Some(after) = s.strip_prefix("::") {
                s = after;
                if let Some(group) = s.strip_prefix('{') {
                    let (mut depth, mut start) = (0, 0);
                    for (i, c) in group.char_indices() {
                        match c {
                            '{' => depth += 1,
                            '}' if depth == 0 => {
                                expand(path.clone(), group[start..i].trim(), out);
                                return;
                            }
                            '}' => depth -= 1,
                            ',' if depth == 0 => {
                                expand(path.clone(), group[start..i].trim(), out);
                                start = i + 1;
                            }
                            _ => {}
                        }
                    }
                    return;
                }
                continue;
            }
            out.push(path);
            return;
        }
    }
    let parent = |levels: usize| -> Option<Vec<String>> {
        // `super` from a file `a/b.rs` (module a::b) is `a`; from `a/mod.rs` (module a), the crate.
        let mut m = own.to_vec();
        for _ in 0..levels {
            m.pop()?;
        }
        Some(m)
    };
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("::") {
        // The start of the word before this `::`.
        let start = code[..at].rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let word = &code[start..at];
        if start > 0 && bytes[start - 1] == b':' {
            continue; // inside a longer path, already read from its start
        }
        let base = match word {
            "crate" => Some(Vec::new()),
            "self" => Some(own.to_vec()),
            "super" => parent(1),
            _ => None,
        };
        let Some(mut base) = base else { continue };
        let mut rest = &code[at + 2..];
        while let Some(after) = rest.strip_prefix("super::") {
            base.pop();
            rest = after;
        }
        expand(base, rest, &mut out);
    }
    out
}

/// Every file's imports as edges to the files they name (`crate::`, `super::`, `self::` paths,
/// `use` groups expanded; a parent's `mod` lines and re-exports are not imports), and the
/// circles among them: none (the counter's screens had two, until `tui::contract` and the
/// router; `the_screens_know_the_contract_not_the_app` keeps them out). Checked to fail with
/// an import of `bank::ops` added to `bank/plan.rs` (a circle the bank had, in other files).
#[test]
fn no_two_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| !f.starts_with(src.join("bin")) && !f.ends_with("main.rs"));
    let modules: Vec<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let index: std::collections::HashMap<&[String], usize> =
        modules.iter().enumerate().map(|(i, m)| (m.as_slice(), i)).collect();
    let mut edges: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); files.len()];
    for (i, file) in files.iter().enumerate() {
        for path in named_paths(&code_of(file), &modules[i]) {
            // The deepest file the path reaches.
            let target = (0..=path.len()).rev().find_map(|n| index.get(&path[..n]).copied());
            if let Some(t) = target
                && t != i
            {
                edges[i].insert(t);
            }
        }
    }
    // Tarjan's strongly connected components: each with more than one file is a circle.
    struct Scc<'a> {
        edges: &'a [std::collections::BTreeSet<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    fn visit(s: &mut Scc<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on[v] = true;
        for &w in s.edges[v].clone().iter() {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut part = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on[w] = false;
                part.push(w);
                if w == v {
                    break;
                }
            }
            if part.len() > 1 {
                s.found.push(part);
            }
        }
    }
    let n = files.len();
    let mut s = Scc {
        edges: &edges,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    let mut circles: Vec<Vec<String>> = s
        .found
        .iter()
        .map(|part| {
            let mut names: Vec<String> =
                part.iter().map(|&i| files[i].strip_prefix(&src).unwrap().display().to_string()).collect();
            names.sort();
            names
        })
        .collect();
    circles.sort();
    let named: Vec<String> = circles.iter().map(|c| c.join(" ")).collect();
    assert!(named.is_empty(), "files that import each other (a circle):\n{}", named.join("\n"));
}

/// The counter's own layers (ARCHITECTURE.md §2): what every screen may know (`contract`, the
/// widgets, the keymap, the theme, the settings, the receipt's text) under the screens, the
/// screens under the app that builds them (`app`, its router). A screen names no `tui::app`,
/// and the parts under the screens name neither. Checked to fail with `tui::app` named from
/// `screens/receipt.rs` (the import that made the 23-file circle).
#[test]
fn the_screens_know_the_contract_not_the_app() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("tui"), &mut files);
    let level = |module: &[String]| match module.get(1).map(String::as_str) {
        None | Some("app") => 2,
        Some("screens") => 1,
        Some(_) => 0,
    };
    let mut wrong = Vec::new();
    for file in &files {
        let own = module_of(&src, file);
        for path in named_paths(&code_of(file), &own) {
            if path.first().map(String::as_str) == Some("tui") && level(&path) > level(&own) {
                wrong.push(format!(
                    "{}: names {}",
                    file.strip_prefix(&src).unwrap().display(),
                    path.join("::")
                ));
            }
        }
    }
    assert!(files.len() > 30, "the scan found the counter's sources ({} files)", files.len());
    assert!(wrong.is_empty(), "a part of the counter names one above it:\n{}", wrong.join("\n"));
}
