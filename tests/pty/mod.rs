//! The real `hourbank` binary in an 80×24 pseudo-terminal (`portable-pty`), its screen read by
//! a terminal emulator (`vt100`): for the end-to-end test and the counter benchmark.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, PtySize, native_pty_system};

pub struct Pty {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
}

impl Pty {
    /// Starts `hourbank ARGS` with `home` as its temp dir and no config file.
    pub fn spawn(args: &[&str], home: &Path) -> Pty {
        Pty::spawn_with(args, home, &[])
    }

    /// [`Pty::spawn`] with more environment (`home/no-config.toml` is the settings file, so a
    /// test may write one there).
    pub fn spawn_with(args: &[&str], home: &Path, env: &[(&str, &str)]) -> Pty {
        let pty = native_pty_system()
            .openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_hourbank"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOURBANK_CONFIG", home.join("no-config.toml"));
        cmd.env("TMPDIR", home);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let sink = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        Pty { parser, writer: pty.master.take_writer().unwrap(), child }
    }

    pub fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `what` (checked every millisecond, so a benchmark can time
    /// it); fails with the screen if it never does.
    pub fn wait_for(&self, what: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.text().contains(what) {
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what:?}; it shows:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sends keys at once.
    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends keys, then lets the counter draw before the next ones, as a person would.
    pub fn type_keys(&mut self, keys: &str) {
        self.send(keys);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// From the lock screen (English), staff `id` logs in with `pin`; waits for the find screen
    /// with its index ready.
    pub fn log_in(&mut self, id: &str, pin: &str, timeout: Duration) {
        self.type_keys("\r");
        self.wait_for("Staff login", timeout);
        self.type_keys(&format!("{id}\r"));
        self.type_keys(&format!("{pin}\r"));
        self.wait_for("Type to search", timeout);
    }

    /// Waits for the program to end.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the counter did not quit:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
