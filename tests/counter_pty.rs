//! The real binary in a pseudo-terminal, driven by real keys: log in, find a volunteer by
//! pinyin initials, record hours, redeem a reward, quit; then the command line reads the
//! balance from the same store. `portable-pty` gives the terminal, `vt100` reads the screen,
//! so `cargo test` needs no outside program.

use std::io::{Read, Write};
use std::path::Path;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::hourbank_ok;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_hourbank");

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `what`; fails with the screen if it never does.
    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.text().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the screen never showed {what:?}; it shows:\n{}", self.text());
    }

    fn keys(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        // Let the counter draw before the next keys, as a person would.
        std::thread::sleep(Duration::from_millis(60));
    }
}

/// Starts the counter with `args` in an 80×24 pseudo-terminal.
fn spawn(args: &[&str], home: &Path) -> (Screen, Box<dyn portable_pty::Child + Send + Sync>) {
    let pty =
        native_pty_system().openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(BIN);
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOURBANK_CONFIG", home.join("no-config.toml"));
    cmd.env("TMPDIR", home);
    let child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let parser = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
    let mut reader = pty.master.try_clone_reader().unwrap();
    let sink = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    (Screen { parser, writer: pty.master.take_writer().unwrap() }, child)
}

fn wait_exit(child: &mut Box<dyn portable_pty::Child + Send + Sync>, s: &Screen) -> portable_pty::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the counter did not quit:\n{}", s.text());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_demo_opens_a_working_counter_in_chinese_and_leaves_nothing_behind() {
    let home = tempfile::tempdir().unwrap();
    let (mut s, mut child) = spawn(&["--demo", "--lang", "zh"], home.path());
    s.wait_for("演示库：工号 A01 密码 2468");
    s.keys("\r");
    s.keys("A01\r");
    s.keys("2468\r");
    s.wait_for("输入即可搜索");
    s.keys("JH000001\r");
    s.wait_for("流水 (");
    s.keys("\x11");
    assert!(wait_exit(&mut child, &s).success());
    let left: Vec<_> = std::fs::read_dir(home.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the demo store is removed on exit: {left:?}");
}

#[test]
fn serve_a_volunteer_with_real_keys_then_the_cli_sees_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    hourbank_ok(
        &store,
        &["init", "--counter", "白沙服务台", "--admin", "A01", "--admin-name", "王芳"],
        "1234\n",
    );
    hourbank_ok(&store, &["activity", "add", "垃圾分类督导"], "");
    hourbank_ok(&store, &["reward", "add", "--name", "大米5kg", "--cost", "2", "--stock", "5"], "");
    hourbank_ok(
        &store,
        &["volunteer", "add", "--card", "JH000001", "--name", "陈华佩", "--community", "白沙社区"],
        "",
    );
    hourbank_ok(&store, &["volunteer", "add", "--card", "JH000002", "--name", "李建国"], "");
    hourbank_ok(&store, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");

    let (mut s, mut child) = spawn(&["--store", store.to_str().unwrap(), "--lang", "en"], dir.path());

    s.wait_for("Press Enter to log in");
    s.keys("\r");
    s.wait_for("Staff login");
    s.keys("A01\r");
    s.keys("1234\r");
    s.wait_for("Find volunteer");
    s.wait_for("Type to search"); // the index is ready
    s.keys("chp");
    s.wait_for("陈华佩");
    s.keys("\r");
    s.wait_for("History (1)");
    // Record 2.5 hours: the activity by initials, then the duration, then confirm.
    s.keys("d");
    s.wait_for("Record hours");
    s.keys("ljfl\r");
    s.keys("2.5\r");
    s.wait_for("balance 1 -> 3.5 h");
    s.keys("\r");
    s.wait_for("History (2)");
    s.wait_for("Saved as entry #");
    // Redeem one bag of rice (2 h): receipt, then back and quit.
    s.keys("r");
    s.wait_for("Redeem:");
    s.keys("\r");
    s.wait_for("Enter confirms");
    s.keys("\r");
    s.wait_for("Receipt no.");
    s.wait_for("陈*佩 JH****01");
    s.keys("\x1b");
    s.wait_for("History (3)");
    s.keys("\x11"); // Ctrl+Q

    let status = wait_exit(&mut child, &s);
    assert!(status.success(), "exit status {status:?}");

    let balance = hourbank_ok(&store, &["balance", "JH000001"], "");
    assert!(balance.contains("1.5"), "1 + 2.5 - 2 = 1.5 h, the CLI says: {balance}");
    let check = hourbank_ok(&store, &["check"], "");
    assert!(check.contains("all invariants hold"), "{check}");
}
