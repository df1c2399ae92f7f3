//! The control socket, `<store>/control.sock`: how a script reaches a store that a running
//! counter (or a long import) holds open. sled lets one process own a store, so that process
//! answers: a client sends one request line, the owner runs the command on a worker thread and
//! streams its output back as lines. The socket is mode 0600 inside the store directory (0700),
//! so only the store's owner can connect.
//!
//! Protocol, version 1 — every line is one JSON object:
//! ```text
//! client → {"v":1,"cwd":"/home/admin","args":["balance","JH000001","--json"]}
//! owner  → {"out":"…"}   standard output, in chunks, as many as needed
//!          {"err":"…"}   standard error
//!          {"exit":0}    last line: the exit code the command would have had
//! ```
//! This module knows nothing of the commands: the owner supplies a [`Handler`].

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

pub const SOCKET: &str = "control.sock";
pub const VERSION: u32 = 1;
/// Longest request line accepted.
const MAX_REQUEST: u64 = 64 * 1024;
/// Output is sent in chunks of about this many bytes.
const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    /// The client's working directory: relative paths in `args` are relative to it.
    pub cwd: PathBuf,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reply {
    Out(String),
    Err(String),
    Exit(u8),
}

/// A writer for the client's standard output or error. Owned, so a handler may keep it where
/// the command's code can reach it; what is left is sent when it is flushed or dropped.
pub type Stream = Box<dyn Write + Send>;

/// Runs one request, writing to the client's standard output and error (dropping both before
/// it returns); returns the exit code.
pub type Handler = Arc<dyn Fn(&Request, Stream, Stream) -> u8 + Send + Sync>;

/// What the owner's screen may want to show: a command started or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlEvent {
    Started { command: String },
    Finished { command: String, code: u8 },
}

pub type Notify = Arc<dyn Fn(ControlEvent) + Send + Sync>;

pub fn socket_path(store_dir: &Path) -> PathBuf {
    store_dir.join(SOCKET)
}

/// Sends one kind of reply line per chunk of text; cuts only at UTF-8 boundaries.
struct LineWriter {
    stream: UnixStream,
    out: bool,
    pending: Vec<u8>,
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let _ = self.send(true);
    }
}

impl LineWriter {
    fn send(&mut self, all: bool) -> std::io::Result<()> {
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if all => e.valid_up_to().max(self.pending.len()),
            Err(e) => e.valid_up_to(),
        };
        if valid == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
        self.pending.drain(..valid);
        let reply = if self.out { Reply::Out(text) } else { Reply::Err(text) };
        write_reply(&self.stream, &reply)
    }
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= CHUNK {
            self.send(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send(true)
    }
}

fn write_reply(mut stream: &UnixStream, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(reply).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)
}

/// A listening control socket. Dropping it stops listening and removes the socket file.
pub struct ControlSocket {
    path: PathBuf,
    stop: Arc<AtomicBool>,
}

impl ControlSocket {
    /// Listens on `<store_dir>/control.sock`. The caller owns the store (holds its lock), so
    /// a socket file already there was left by a process that died: it is replaced.
    pub fn start(store_dir: &Path, handler: Handler, notify: Notify) -> std::io::Result<ControlSocket> {
        let path = socket_path(store_dir);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let listener = UnixListener::bind(&path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new().name("control".into()).spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (handler, notify) = (handler.clone(), notify.clone());
                // One worker per request: a long backup never delays a quick balance.
                let _ = std::thread::Builder::new().name("control-request".into()).spawn(move || {
                    let _ = serve(&stream, &handler, &notify);
                });
            }
        })?;
        Ok(ControlSocket { path, stop })
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = UnixStream::connect(&self.path);
        let _ = std::fs::remove_file(&self.path);
    }
}

fn serve(stream: &UnixStream, handler: &Handler, notify: &Notify) -> std::io::Result<()> {
    let mut line = String::new();
    BufReader::new(Read::take(stream, MAX_REQUEST)).read_line(&mut line)?;
    let request: Request = match serde_json::from_str(&line) {
        Ok(r) => r,
        Err(e) => {
            write_reply(stream, &Reply::Err(format!("hourbank: bad control request: {e}\n")))?;
            return write_reply(stream, &Reply::Exit(2));
        }
    };
    if request.v != VERSION {
        let message = format!(
            "hourbank: control protocol {} is not spoken here (this counter speaks {VERSION})\n",
            request.v
        );
        write_reply(stream, &Reply::Err(message))?;
        return write_reply(stream, &Reply::Exit(2));
    }
    let command = command_name(&request.args);
    notify(ControlEvent::Started { command: command.clone() });
    let out = LineWriter { stream: stream.try_clone()?, out: true, pending: Vec::new() };
    let err = LineWriter { stream: stream.try_clone()?, out: false, pending: Vec::new() };
    // The writers are dropped (and so flushed) inside the handler, before the exit line.
    let code = handler(&request, Box::new(out), Box::new(err));
    notify(ControlEvent::Finished { command, code });
    write_reply(stream, &Reply::Exit(code))
}

/// The subcommand a request runs: its first word that is neither an option nor the value of
/// one of the global options (`--store DIR backup --out X` is a backup), so the owner's screen
/// can tell a backup from a balance whatever the order of the words.
fn command_name(args: &[String]) -> String {
    const WITH_VALUE: [&str; 3] = ["--store", "--theme", "--lang"];
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if WITH_VALUE.contains(&word.as_str()) {
            words.next();
        } else if !word.starts_with('-') {
            return word.clone();
        }
    }
    String::new()
}

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// No process is listening: the store is not open anywhere (or its owner died).
    #[error("no hourbank process is serving {}", .0.display())]
    NotServing(PathBuf),
    #[error("control socket {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the process serving {} ended the answer early", .0.display())]
    Cut(PathBuf),
}

/// Sends `args` to the process serving `store_dir`, copies its output to ours, and returns
/// its exit code.
pub fn forward(
    store_dir: &Path,
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, ForwardError> {
    let path = socket_path(store_dir);
    let io = |source| ForwardError::Io { path: path.clone(), source };
    let mut stream = match UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e)
            if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) =>
        {
            return Err(ForwardError::NotServing(store_dir.to_path_buf()));
        }
        Err(e) => return Err(io(e)),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let request = Request { v: VERSION, cwd, args: args.to_vec() };
    let mut line = serde_json::to_vec(&request).map_err(|e| io(std::io::Error::other(e)))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;
    for line in BufReader::new(&stream).lines() {
        let line = line.map_err(io)?;
        match serde_json::from_str::<Reply>(&line) {
            Ok(Reply::Out(text)) => out.write_all(text.as_bytes()).map_err(io)?,
            Ok(Reply::Err(text)) => err.write_all(text.as_bytes()).map_err(io)?,
            Ok(Reply::Exit(code)) => return Ok(code),
            Err(e) => return Err(io(std::io::Error::other(e))),
        }
    }
    Err(ForwardError::Cut(store_dir.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_is_the_first_word_past_the_global_options() {
        let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(command_name(&args(&["--store", "/srv/store", "backup", "--out", "d"])), "backup");
        assert_eq!(command_name(&args(&["--store=/x", "--lang", "zh", "balance", "JH1"])), "balance");
        assert_eq!(command_name(&args(&["backup"])), "backup");
        assert_eq!(command_name(&args(&["--json"])), "");
    }

    #[test]
    fn replies_are_one_json_object_per_line() {
        assert_eq!(
            serde_json::to_string(&Reply::Out("a\nb".into())).ok().as_deref(),
            Some(r#"{"out":"a\nb"}"#)
        );
        assert_eq!(serde_json::to_string(&Reply::Exit(3)).ok().as_deref(), Some(r#"{"exit":3}"#));
    }

    #[test]
    fn a_request_round_trips_and_a_stale_socket_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A socket file left behind by a dead process.
        drop(UnixListener::bind(socket_path(dir.path())).expect("bind"));
        let handler: Handler = Arc::new(|req: &Request, mut out: Stream, mut err: Stream| {
            let _ = writeln!(out, "{} 陈华佩 {}", req.args.join(" "), "x".repeat(CHUNK));
            let _ = writeln!(err, "note");
            7
        });
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = events.clone();
        let notify: Notify = Arc::new(move |e| seen.lock().map(|mut v| v.push(e)).unwrap_or(()));
        let server = ControlSocket::start(dir.path(), handler, notify).expect("start");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code =
            forward(dir.path(), &["balance".into(), "JH1".into()], &mut out, &mut err).expect("forward");
        assert_eq!(code, 7);
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            text.starts_with("balance JH1 陈华佩 ") && text.len() == "balance JH1 陈华佩 ".len() + CHUNK + 1,
            "{}",
            text.len()
        );
        assert_eq!(err, b"note\n");
        drop(server);
        assert!(matches!(
            forward(dir.path(), &[], &mut Vec::new(), &mut Vec::new()),
            Err(ForwardError::NotServing(_))
        ));
        let events = events.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(events.last(), Some(&ControlEvent::Finished { command: "balance".into(), code: 7 }));
    }
}
