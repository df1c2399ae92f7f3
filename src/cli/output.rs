//! Small helpers for what the CLI prints: aligned columns by display width, hours, JSON.

/// `println!` that survives a closed pipe; see [`say`].
macro_rules! say {
    () => { $crate::cli::output::say(format_args!("")) };
    ($($arg:tt)*) => { $crate::cli::output::say(format_args!($($arg)*)) };
}

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use unicode_width::UnicodeWidthStr;

use crate::bank::Bank;
use crate::control::Stream;

/// A command running for a client of the control socket, on that request's own thread: its
/// output goes to the client, relative paths are the client's, and the bank is the owner's.
pub struct Forwarded {
    pub out: Stream,
    pub err: Stream,
    pub cwd: PathBuf,
    pub bank: Arc<Bank>,
}

thread_local! {
    static FORWARDED: RefCell<Option<Forwarded>> = const { RefCell::new(None) };
}

/// Runs `f` for a control-socket client; the client's streams are flushed and dropped after.
pub fn forwarded<R>(target: Forwarded, f: impl FnOnce() -> R) -> R {
    FORWARDED.with(|t| *t.borrow_mut() = Some(target));
    let result = f();
    FORWARDED.with(|t| t.borrow_mut().take());
    result
}

/// The owner's bank, when running for a control-socket client.
pub fn forwarded_bank() -> Option<Arc<Bank>> {
    FORWARDED.with(|t| t.borrow().as_ref().map(|f| f.bank.clone()))
}

/// A path from the command line, made absolute against the client's working directory.
pub fn resolve(path: &Path) -> PathBuf {
    FORWARDED.with(|t| match t.borrow().as_ref() {
        Some(f) if path.is_relative() => f.cwd.join(path),
        _ => path.to_path_buf(),
    })
}

/// Runs `f` with the command's standard output: the client's, or this process's. `Err` from
/// `f` on a closed pipe ends a local command quietly; a client that went away just stops
/// receiving.
pub fn with_stdout<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    // Taken out while `f` runs, so nothing inside `f` can find the cell borrowed.
    match FORWARDED.with(|t| t.borrow_mut().take()) {
        Some(mut fw) => {
            let r = f(&mut fw.out);
            FORWARDED.with(|t| *t.borrow_mut() = Some(fw));
            r
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            let r = f(&mut lock);
            let _ = lock.flush();
            r
        }
    }
}

/// Prints a line to the command's standard error.
pub fn note(args: std::fmt::Arguments<'_>) {
    let line = args.to_string();
    let line = printable(&line);
    let done = FORWARDED.with(|t| t.borrow_mut().as_mut().map(|fw| writeln!(fw.err, "{line}")));
    if done.is_none() {
        eprintln!("{line}");
    }
}

pub use crate::domain::printable;

fn is_forwarded() -> bool {
    FORWARDED.with(|t| t.borrow().is_some())
}

/// Prints one line to stdout. `println!` panics when the reader has gone away
/// (`hourbank volunteer list | head`); a closed pipe here just ends the program quietly —
/// whatever the command saved was saved before anything was printed. For a control-socket
/// client the line goes to the client, and a closed connection is ignored: the owner (the
/// counter) must never exit because a script stopped reading.
pub fn say(args: std::fmt::Arguments<'_>) {
    let quiet = quiet_on_broken_pipe();
    // Whatever a line holds (names, memos, a backup's counter id) reaches the terminal with its
    // control characters escaped, never acting (an ESC sequence, a bidi override).
    let line = args.to_string();
    let line = printable(&line);
    let result = with_stdout(|out| out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n")));
    if let Err(e) = result
        && e.kind() == std::io::ErrorKind::BrokenPipe
        && quiet
    {
        std::process::exit(0);
    }
}

/// Whether `e` (or what caused it) is a closed pipe: the reader went away
/// (`hourbank export entries | head`).
pub fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut at = Some(e);
    while let Some(e) = at {
        let io = e.downcast_ref::<std::io::Error>().or_else(|| {
            // csv's error names its cause only through its kind.
            e.downcast_ref::<csv::Error>().and_then(|c| match c.kind() {
                csv::ErrorKind::Io(io) => Some(io),
                _ => None,
            })
        });
        if io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
            return true;
        }
        at = e.source();
    }
    false
}

/// Ends a command whose reader went away: quietly with exit 0 for a local command (what it
/// saved was saved before it printed), a plain failure for a control-socket client.
pub fn reader_gone() -> super::Failure {
    if quiet_on_broken_pipe() {
        std::process::exit(0);
    }
    super::Failure::bad_input("the reader went away")
}

/// Whether a closed pipe should end the process quietly: yes for a local command whose
/// reader went away; never for the owner serving a control-socket client.
pub fn quiet_on_broken_pipe() -> bool {
    !is_forwarded()
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

/// Writes `path` by way of a private temporary file beside it (created exclusively, 0600),
/// renamed into place once `write` succeeded, so a reader never sees half a file.
pub fn via_partial<T>(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<T, super::Failure>,
) -> Result<T, super::Failure> {
    crate::report::write_private(path, |tmp| write(tmp).map_err(Written::Failed)).map_err(|e| match e {
        Written::Failed(f) => f,
        Written::Io(e) => super::Failure::bad_input(format!("{}: {e}", path.display())),
    })
}

/// Why a private file was not written: its writer failed, or making or renaming the file did.
enum Written {
    Failed(super::Failure),
    Io(std::io::Error),
}

impl From<std::io::Error> for Written {
    fn from(e: std::io::Error) -> Self {
        Written::Io(e)
    }
}

/// [`via_partial`] for a text file written through a buffer.
pub fn write_buffered<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, super::Failure>,
) -> Result<T, super::Failure> {
    via_partial(path, |file| {
        let mut buf = std::io::BufWriter::new(file);
        let out = write(&mut buf)?;
        buf.flush().map_err(|e| super::Failure::bad_input(e.to_string()))?;
        Ok(out)
    })
}
