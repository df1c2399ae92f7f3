//! A real PostgreSQL for the city tests: `HOURBANK_TEST_PG` (a connection string to an admin
//! login) when set, else the server on the local socket, else on 127.0.0.1:5432. Each test
//! gets a database of its own, dropped when the guard goes. With `HOURBANK_TEST_PG_REQUIRED`
//! set (as `.ci/run` does), no server is a failure, not a skip.
//!
//! Not yet done here (issue 14): starting a throwaway cluster from the installed binaries when
//! no server answers.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

const CANDIDATES: &[&str] = &[
    "host=/var/run/postgresql user=postgres dbname=postgres",
    "host=/var/run/postgresql user=root dbname=test",
    "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
];

/// The admin connection string that answers, if any.
fn admin_url() -> Option<String> {
    if let Ok(url) = std::env::var("HOURBANK_TEST_PG") {
        return Some(url);
    }
    CANDIDATES
        .iter()
        .find(|url| postgres::Client::connect(url, postgres::NoTls).is_ok())
        .map(|s| s.to_string())
}

/// A database made for one test; dropped (with whatever the test left in it) at the end.
pub struct TestDb {
    admin: String,
    pub name: String,
    /// A connection string to this database with the admin's rights.
    pub url: String,
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
    static N: AtomicU32 = AtomicU32::new(0);
    let Some(admin) = admin_url() else {
        if std::env::var_os("HOURBANK_TEST_PG_REQUIRED").is_some() {
            panic!(
                "no PostgreSQL answers (HOURBANK_TEST_PG, the local socket, 127.0.0.1:5432) and one is required"
            );
        }
        eprintln!("skipping {test}: no PostgreSQL here (set HOURBANK_TEST_PG)");
        return None;
    };
    let name = format!(
        "hb_{}_{}_{}",
        test.chars().take(20).collect::<String>(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("admin connection");
    c.batch_execute(&format!("CREATE DATABASE {name}")).expect("create the test database");
    let url = replace_dbname(&admin, &name);
    Some(TestDb { admin, name, url })
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
