//! An import file as a stream of CSV rows with their line numbers. A file is read as it is
//! parsed, never held whole: a 1M-entry file is 64 MB of text, more than everything else the
//! import keeps (issue 26 measured its peak memory with the text held).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use super::{BadRows, Columns, ImportError, RowProblem};

/// Opens a file as text: UTF-8 (a BOM is dropped), read as it is parsed, or, failing that,
/// GB18030 — a superset of the GBK that Chinese spreadsheet programs write — decoded whole
/// (such files come from a spreadsheet, so they are small; the decoder needs the whole text
/// to know it is GB18030 and not something else).
pub(super) fn open_text(path: &Path) -> Result<Box<dyn Read>, ImportError> {
    let io_error = |source| ImportError::Io { path: path.display().to_string(), source };
    let mut file = File::open(path).map_err(io_error)?;
    if file.metadata().map_err(io_error)?.is_file() {
        let utf8 = is_utf8(&mut file).map_err(io_error)?;
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        if utf8 {
            return without_bom(file).map_err(io_error);
        }
    }
    // Not UTF-8 (or a pipe, which cannot be read twice): the whole text, decoded.
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    if std::str::from_utf8(&bytes).is_ok() {
        return Ok(Box::new(Cursor::new(bytes)));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
        Some(text) => Ok(Box::new(Cursor::new(text.into_owned().into_bytes()))),
        None => {
            let mut bad = BadRows::default();
            bad.add(1, RowProblem::Encoding);
            bad.into_result().map(|_| -> Box<dyn Read> { Box::new(io::empty()) })
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn without_bom(mut file: File) -> io::Result<Box<dyn Read>> {
    let mut head = [0u8; 3];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if &head[..filled] == BOM {
        return Ok(Box::new(file));
    }
    Ok(Box::new(Cursor::new(head[..filled].to_vec()).chain(file)))
}

/// Whether everything `reader` yields is UTF-8, read in chunks: a character cut by a chunk's
/// end is carried into the next.
fn is_utf8(mut reader: impl Read) -> io::Result<bool> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut carried = 0;
    loop {
        let n = match reader.read(&mut buf[carried..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(carried == 0);
        }
        let filled = carried + n;
        carried = match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => 0,
            // Cut short at the end, not wrong: keep the start of the character.
            Err(e) if e.error_len().is_none() => {
                buf.copy_within(e.valid_up_to()..filled, 0);
                filled - e.valid_up_to()
            }
            Err(_) => return Ok(false),
        };
    }
}

/// Passes a reader's bytes through and notes where its line breaks are, so that the line of
/// an offset csv reports can be counted without holding the text. Only the breaks csv has read
/// ahead of the last offset asked about are kept.
struct Breaks<R> {
    inner: R,
    offset: u64,
    /// Offsets of `\r` and `\n` bytes not yet counted, oldest first; `true` for `\n`.
    pending: VecDeque<(u64, bool)>,
    /// Lines before the last offset asked about, plus one.
    line: u64,
}

impl<R: Read> Read for Breaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.pending.push_back((self.offset + i as u64, b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> Breaks<R> {
    /// The line a record starting at `pos` is on. (csv's own line count is off on CRLF files:
    /// it reports a record as starting at the previous line's `\n`. A record never starts
    /// with a line break, so any at its offset are stepped over.) Offsets only move forward.
    fn line_at(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        let mut target = pos.byte();
        while let Some(&(at, newline)) = self.pending.front() {
            if at > target {
                break;
            }
            if at == target {
                target += 1;
            }
            self.line += u64::from(newline);
            self.pending.pop_front();
        }
        self.line
    }
}

/// A CSV file past its header row. Yields each readable record with its line number; records
/// csv cannot read are filed as bad rows. Counts every row either way.
pub(super) struct CsvRows {
    reader: csv::Reader<Breaks<Box<dyn Read>>>,
    pub(super) columns: Columns,
    pub(super) rows: usize,
}

impl CsvRows {
    /// `None` (with the reason filed under line 1) when the header row is missing or unusable.
    pub(super) fn open(
        text: Box<dyn Read>,
        wanted: &[(&'static str, &[&str])],
        required: &[&'static str],
        bad: &mut BadRows,
    ) -> Option<CsvRows> {
        let breaks = Breaks { inner: text, offset: 0, pending: VecDeque::new(), line: 1 };
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(breaks);
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                bad.add(1, RowProblem::Csv(e.to_string()));
                return None;
            }
        };
        match Columns::find(&headers, wanted, required) {
            Ok(columns) => Some(CsvRows { reader, columns, rows: 0 }),
            Err(reason) => {
                bad.add(1, reason);
                None
            }
        }
    }

    pub(super) fn next_row(&mut self, bad: &mut BadRows) -> Option<(u64, csv::StringRecord)> {
        loop {
            let mut record = csv::StringRecord::new();
            match self.reader.read_record(&mut record) {
                Ok(false) => return None,
                Ok(true) => {
                    self.rows += 1;
                    return Some((self.reader.get_mut().line_at(record.position()), record));
                }
                Err(e) => {
                    self.rows += 1;
                    bad.add(self.reader.get_mut().line_at(e.position()), RowProblem::Csv(e.to_string()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str) -> Vec<(u64, String)> {
        let mut bad = BadRows::default();
        let source: Box<dyn Read> = Box::new(Cursor::new(text.as_bytes().to_vec()));
        let mut rows = CsvRows::open(source, &[("a", &[])], &["a"], &mut bad).expect("a header");
        let mut out = Vec::new();
        while let Some((line, record)) = rows.next_row(&mut bad) {
            out.push((line, record.get(0).unwrap_or("").to_string()));
        }
        out
    }

    /// Line numbers are the file's, whatever its line breaks, with quoted breaks and blank
    /// lines counted as lines.
    #[test]
    fn rows_carry_their_line_numbers_in_lf_crlf_and_quoted_files() {
        let want = vec![(2, "x".to_string()), (3, "y\nz".to_string()), (6, "w".to_string())];
        assert_eq!(lines_of("a\nx\n\"y\nz\"\n\nw\n"), want);
        let crlf = vec![(2, "x".to_string()), (3, "y\r\nz".to_string()), (6, "w".to_string())];
        assert_eq!(lines_of("a\r\nx\r\n\"y\r\nz\"\r\n\r\nw\r\n"), crlf);
    }

    /// A character cut by the 64 KiB chunk's end is carried, not taken for bad bytes; a bad
    /// byte anywhere is found.
    #[test]
    fn utf8_is_checked_across_chunk_ends() {
        let mut text = "a".repeat(64 * 1024 - 1).into_bytes();
        text.extend_from_slice("志愿".as_bytes());
        assert!(is_utf8(Cursor::new(&text)).unwrap());
        text.push(0xFF);
        assert!(!is_utf8(Cursor::new(&text)).unwrap());
        let mut cut = "志".as_bytes().to_vec();
        cut.pop();
        assert!(!is_utf8(Cursor::new(&cut)).unwrap(), "a character cut at the end of the file");
    }
}
