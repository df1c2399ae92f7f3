//! A TCP relay in front of the test server that a test cuts: after a number of bytes, or at
//! once (as a server stopping looks to its clients: connections closed, new ones refused); or
//! hangs: from then on it takes every request and passes none on (a server that accepts and
//! never answers).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

pub struct Relay {
    /// The connection string to give the counter (the test server's, through the relay).
    pub url: String,
    /// Bytes still allowed through, both ways together; at 0 or below every connection closes.
    budget: Arc<AtomicI64>,
    cut: Arc<AtomicBool>,
    hung: Arc<AtomicBool>,
}

enum Up {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Up {
    fn connect(host: &str, port: &str) -> std::io::Result<Up> {
        if host.starts_with('/') {
            UnixStream::connect(format!("{host}/.s.PGSQL.{port}")).map(Up::Unix)
        } else {
            TcpStream::connect(format!("{host}:{port}")).map(Up::Tcp)
        }
    }
    fn split(&self) -> std::io::Result<(Box<dyn Read + Send>, Box<dyn Write + Send>)> {
        Ok(match self {
            Up::Tcp(s) => (Box::new(s.try_clone()?), Box::new(s.try_clone()?)),
            Up::Unix(s) => (Box::new(s.try_clone()?), Box::new(s.try_clone()?)),
        })
    }
    fn shutdown(&self) {
        let _ = match self {
            Up::Tcp(s) => s.shutdown(Shutdown::Both),
            Up::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

/// `key=value` parts of a connection string in key-value form.
fn part<'a>(url: &'a str, key: &str) -> Option<&'a str> {
    url.split_whitespace().find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
}

impl Relay {
    /// A relay to the server of `url` (key-value form, as the harness gives it).
    pub fn start(url: &str) -> Relay {
        let host = part(url, "host").unwrap_or("127.0.0.1").to_string();
        let port = part(url, "port").unwrap_or("5432").to_string();
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| !kv.starts_with("host=") && !kv.starts_with("port="))
            .collect();
        let kept = kept.join(" ");
        Relay::serve(host, port, |local| format!("host=127.0.0.1 port={local} {kept}"))
    }

    /// A relay to the HTTP service at `base` (`http://127.0.0.1:PORT`).
    pub fn http(base: &str) -> Relay {
        let (host, port) = base.trim_start_matches("http://").trim_end_matches('/').split_once(':').unwrap();
        Relay::serve(host.to_string(), port.to_string(), |local| format!("http://127.0.0.1:{local}"))
    }

    fn serve(host: String, port: String, url: impl FnOnce(u16) -> String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let relay_url = url(listener.local_addr().unwrap().port());
        let budget = Arc::new(AtomicI64::new(i64::MAX));
        let cut = Arc::new(AtomicBool::new(false));
        let hung = Arc::new(AtomicBool::new(false));
        let (b, c, h) = (budget.clone(), cut.clone(), hung.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                if c.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                if h.load(Ordering::SeqCst) {
                    // Taken, read, never answered.
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 8192];
                        while matches!(client.read(&mut buf), Ok(n) if n > 0) {}
                    });
                    continue;
                }
                let Ok(up) = Up::connect(&host, &port) else { continue };
                let up = Arc::new(up);
                let (Ok((up_r, up_w)), Ok(cr), Ok(cw)) = (up.split(), client.try_clone(), client.try_clone())
                else {
                    continue;
                };
                let client = Arc::new(client);
                for (towards_server, mut from, mut to) in [
                    (true, Box::new(cr) as Box<dyn Read + Send>, up_w),
                    (false, up_r, Box::new(cw) as Box<dyn Write + Send>),
                ] {
                    let (b, c, h, up, client) = (b.clone(), c.clone(), h.clone(), up.clone(), client.clone());
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 8192];
                        loop {
                            let n = match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            let left = b.fetch_sub(n as i64, Ordering::SeqCst) - n as i64;
                            if c.load(Ordering::SeqCst) || left < 0 {
                                c.store(true, Ordering::SeqCst);
                                break;
                            }
                            if towards_server && h.load(Ordering::SeqCst) {
                                continue;
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        up.shutdown();
                        let _ = client.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Relay { url: relay_url, budget, cut, hung }
    }

    /// From now on every request is taken and none passed on: nothing is ever answered.
    pub fn hang(&self) {
        self.hung.store(true, Ordering::SeqCst);
    }

    /// From now on, only `bytes` more get through; then every connection is cut.
    pub fn cut_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    /// Cuts every connection now and refuses new ones.
    pub fn cut_now(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.budget.store(-1, Ordering::SeqCst);
    }

    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}
