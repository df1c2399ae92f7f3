//! A TCP relay in front of the city service that lets requests through and withholds every
//! answer once a grant was asked for: the service commits the grant, the counter never hears
//! of it — the moment between a grant and its commit, made without any hook in the binary.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct HoldAfterGrant {
    /// The service's URL through the relay.
    pub url: String,
}

impl HoldAfterGrant {
    /// A relay to the service at `service` (`http://127.0.0.1:PORT`).
    pub fn start(service: &str) -> HoldAfterGrant {
        let target = service.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(up) = TcpStream::connect(&target) else { continue };
                let granted = Arc::new(AtomicBool::new(false));
                let (mut c_in, mut c_out) = (client.try_clone().unwrap(), client);
                let (mut u_in, mut u_out) = (up.try_clone().unwrap(), up);
                let seen = granted.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = c_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if buf[..n].windows(14).any(|w| w == b"POST /v1/grant") {
                            seen.store(true, Ordering::SeqCst);
                        }
                        if u_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = u_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if granted.load(Ordering::SeqCst) {
                            continue; // the answer to the grant, and all after it, withheld
                        }
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        HoldAfterGrant { url }
    }
}
