//! Small helpers for what the CLI prints: aligned columns by display width, hours, JSON.

use std::io::Write;

use unicode_width::UnicodeWidthStr;

/// Prints one line to stdout. `println!` panics when the reader has gone away
/// (`hourbank volunteer list | head`); a closed pipe here just ends the program quietly —
/// whatever the command saved was saved before anything was printed.
pub fn say(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n"))
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Pads `text` with spaces to `width` terminal columns (CJK characters count as two).
pub fn pad(text: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

/// Prints rows as columns aligned by display width.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| UnicodeWidthStr::width(*h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(UnicodeWidthStr::width(cell.as_str()));
            }
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells.iter().enumerate().map(|(i, c)| pad(c, widths[i])).collect();
        say!("{}", parts.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

pub fn json(value: &serde_json::Value) {
    say!("{value}");
}
