//! A real PostgreSQL for the city tests: `HOURBANK_TEST_PG` (a connection string to an admin
//! login) when set, else the server on the local socket, else on 127.0.0.1:5432, else a
//! throwaway cluster started here from the installed binaries (`initdb` into a temporary
//! directory, as the `postgres` user when running as root, listening on its own socket only)
//! and stopped when its last test is done. `HOURBANK_TEST_PG_OWN=1` uses the throwaway cluster
//! even when a server answers (to test this path). Each test gets a database of its own,
//! dropped when the guard goes. With `HOURBANK_TEST_PG_REQUIRED` set (as `.ci/run` does), no
//! server at all is a failure, not a skip.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

const CANDIDATES: &[&str] = &[
    "host=/var/run/postgresql user=postgres dbname=postgres",
    "host=/var/run/postgresql user=root dbname=test",
    "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
];

/// The admin connection string that answers, if any, and the throwaway cluster behind it.
fn admin_url() -> Option<(String, Option<Arc<Cluster>>)> {
    if let Ok(url) = std::env::var("HOURBANK_TEST_PG") {
        return Some((url, None));
    }
    if std::env::var_os("HOURBANK_TEST_PG_OWN").is_none()
        && let Some(url) =
            CANDIDATES.iter().find(|url| postgres::Client::connect(url, postgres::NoTls).is_ok())
    {
        return Some((url.to_string(), None));
    }
    let cluster = Cluster::shared()?;
    Some((cluster.url.clone(), Some(cluster)))
}

/// A PostgreSQL of the tests' own, in a temporary directory; stopped and removed on drop.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    url: String,
    /// `pg_ctl start -o` options, to start it again after a test stopped it.
    options: String,
}

/// `program` run as the `postgres` user when this process is root (initdb refuses root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl Cluster {
    /// The running one, or a new one; shared by the tests running at the same time.
    fn shared() -> Option<Arc<Cluster>> {
        static CURRENT: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
        let mut current = CURRENT.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = current.upgrade() {
            return Some(c);
        }
        let c = Arc::new(Cluster::start()?);
        *current = Arc::downgrade(&c);
        Some(c)
    }

    fn start() -> Option<Cluster> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("hb-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        if is_root() {
            Command::new("chown").arg("postgres:postgres").arg(&dir).status().ok()?;
        }
        let quiet = |mut c: Command| {
            c.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        };
        let data = dir.join("data");
        let (data_s, dir_s) = (data.to_str()?, dir.to_str()?);
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb.args(["-D", data_s, "-U", "postgres", "--auth=trust", "--no-sync"]);
        // Its own socket in its own directory and no TCP port: nothing to collide with.
        let options = format!("-k {dir_s} -c listen_addresses='' -c fsync=off");
        let log = dir.join("log");
        let mut start = as_postgres(&bin.join("pg_ctl"));
        start.args(["-D", data_s, "-o", &options, "-l", log.to_str()?, "-w", "start"]);
        let cluster = Cluster {
            url: format!("host={dir_s} user=postgres dbname=postgres"),
            dir: dir.clone(),
            bin,
            options: options.clone(),
        };
        if !quiet(initdb) || !quiet(start) {
            return None;
        }
        postgres::Client::connect(&cluster.url, postgres::NoTls).ok()?;
        Some(cluster)
    }
}

impl Cluster {
    /// `pg_ctl stop -m fast`: the server ends every session (57P01) and goes away.
    fn stop(&self) -> bool {
        let mut stop = as_postgres(&self.bin.join("pg_ctl"));
        stop.arg("-D").arg(self.dir.join("data")).args(["-m", "fast", "-w", "stop"]);
        stop.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    }

    fn restart(&self) -> bool {
        let mut start = as_postgres(&self.bin.join("pg_ctl"));
        start.arg("-D").arg(self.dir.join("data")).args(["-o", &self.options, "-l"]);
        start.arg(self.dir.join("log")).args(["-w", "start"]);
        start.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    }
}

impl TestDb {
    /// Stops the throwaway cluster this database lives on (only such a one: the machine's own
    /// server is shared by other tests). Panics on a database of another server.
    pub fn stop_server(&self) {
        assert!(self.cluster.as_ref().expect("a throwaway cluster").stop(), "pg_ctl stop");
    }

    pub fn start_server(&self) {
        assert!(self.cluster.as_ref().expect("a throwaway cluster").restart(), "pg_ctl start");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut stop = as_postgres(&self.bin.join("pg_ctl"));
        stop.arg("-D").arg(self.dir.join("data")).args(["-m", "immediate", "stop"]);
        let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A database made for one test; dropped (with whatever the test left in it) at the end.
pub struct TestDb {
    admin: String,
    pub name: String,
    /// A connection string to this database with the admin's rights.
    pub url: String,
    /// Keeps a throwaway cluster up while this test runs (dropped after the database).
    cluster: Option<Arc<Cluster>>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// A fresh database, or `None` (after saying so) when no server is there and none is required.
pub fn database(test: &str) -> Option<TestDb> {
    let Some((admin, cluster)) = admin_url() else {
        return unavailable(
            test,
            "no PostgreSQL answers (HOURBANK_TEST_PG, the local socket, 127.0.0.1:5432) and none could be started",
        );
    };
    Some(create(test, admin, cluster))
}

/// A test that needs a server, where none can be had: a failure when one is required (CI sets
/// `HOURBANK_TEST_PG_REQUIRED`), else a skip that says so.
fn unavailable<T>(test: &str, why: &str) -> Option<T> {
    if std::env::var_os("HOURBANK_TEST_PG_REQUIRED").is_some() {
        panic!("{test}: {why}, and HOURBANK_TEST_PG_REQUIRED is set");
    }
    eprintln!(
        "skipping {test}: {why} (install PostgreSQL, see README's Quick start, or set HOURBANK_TEST_PG)"
    );
    None
}

/// A database on a throwaway cluster of this test's own, whatever else answers: the path taken
/// on a machine with PostgreSQL installed but not running. `None` (a skip) where PostgreSQL is
/// not installed, unless a server is required.
pub fn own_database(test: &str) -> Option<TestDb> {
    let Some(cluster) = Cluster::shared() else {
        return unavailable(test, "no PostgreSQL is installed under /usr/lib/postgresql to start one");
    };
    Some(create(test, cluster.url.clone(), Some(cluster)))
}

/// `n` databases on a new throwaway cluster no other test shares: nothing has been created on
/// it yet (no roles), as on a city's first day. `None` as for [`own_database`].
pub fn fresh_databases(test: &str, n: usize) -> Option<Vec<TestDb>> {
    let Some(cluster) = Cluster::start().map(Arc::new) else {
        return unavailable(test, "no PostgreSQL is installed under /usr/lib/postgresql to start one");
    };
    Some((0..n).map(|_| create(test, cluster.url.clone(), Some(cluster.clone()))).collect())
}

fn create(test: &str, admin: String, cluster: Option<Arc<Cluster>>) -> TestDb {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "hb_{}_{}_{}",
        test.chars().take(20).collect::<String>(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("admin connection");
    c.batch_execute(&format!("CREATE DATABASE {name}")).expect("create the test database");
    let url = replace_dbname(&admin, &name);
    TestDb { admin, name, url, cluster }
}

/// `admin` with its database swapped for `name` (key-value form or URL form).
fn replace_dbname(admin: &str, name: &str) -> String {
    if admin.contains("://") {
        let (base, query) = admin.split_once('?').map_or((admin, None), |(b, q)| (b, Some(q)));
        let after_scheme = base.find("://").map_or(0, |i| i + 3);
        let base = match base[after_scheme..].find('/') {
            Some(slash) => &base[..after_scheme + slash],
            None => base,
        };
        match query {
            Some(q) => format!("{base}/{name}?{q}"),
            None => format!("{base}/{name}"),
        }
    } else {
        let kept: Vec<&str> = admin.split_whitespace().filter(|kv| !kv.starts_with("dbname=")).collect();
        format!("{} dbname={name}", kept.join(" "))
    }
}
