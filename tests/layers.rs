//! The layers keep one direction (DESIGN §2): nothing above `bank` names the store or sled.
//! A source scan, so a shortcut through `Bank::store()` or `crate::store::…` fails here
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
