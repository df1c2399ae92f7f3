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
