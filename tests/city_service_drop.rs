//! The city service dropped without `stop` while a counter still holds a connection open to it
//! (what a program ending does): it stops without a panic. Its database connections were let go
//! inside its runtime's shutdown, where the synchronous PostgreSQL client cannot close them.
//! Its own file: the test watches every panic of the process.

use crate::city;
use crate::pg;

use std::sync::{Arc, Mutex};

use city::*;

#[test]
fn a_service_dropped_with_a_connection_open_stops_without_a_panic() {
    let Some(db) = pg::database("svc_drop") else { return };
    city_init(&db.url);
    let panics: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = panics.clone();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        seen.lock().unwrap().push(format!("{thread}: {info}"));
    }));
    let service = start(&db.url);
    // A kept-alive connection, as a counter's background sync holds one.
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let answer = agent.get(format!("{}/v1/health", url(&service))).call().unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    drop(service);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let _ = std::panic::take_hook();
    let panics = panics.lock().unwrap();
    assert!(panics.is_empty(), "{panics:?}");
    drop(agent);
}
