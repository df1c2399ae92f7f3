//! The city admin's commands about keys and the service: `city keygen`, `city enroll`,
//! `city revoke` and `city serve`.

use std::path::Path;

use super::{CliResult, Failure, exit};
use crate::city::Server;

/// A public key as `hourbank code show` and `city keygen` print it (`what` names it).
pub(super) fn public_key(text: &str, what: &str) -> Result<ed25519_dalek::VerifyingKey, Failure> {
    crate::bank::parse_public(text).ok_or_else(|| {
        Failure::bad_input(format!("{what} {text:?} is not a public key as hourbank prints them (ed25519:…)"))
    })
}

/// `hourbank city keygen FILE`: the city's signing key, made once.
pub(super) fn keygen(file: &Path) -> CliResult {
    let what = "the city's signing key";
    let (key, made) = match crate::bank::read_key_file(file, what)? {
        Some(key) => (key, false),
        None => (crate::bank::create_key_file(file)?, true),
    };
    let public = crate::bank::public_text(&key.verifying_key());
    if made {
        say!(
            "city key: {public}\nwrote {} (0400): it signs every enrollment; keep it with the city's admins, off the database's machine, and a copy in a safe place\ngive the service and `city check` the public key: --city-key {public}",
            file.display()
        );
    } else {
        say!("city key: {public} (kept: {} was made before)", file.display());
    }
    Ok(())
}

/// `hourbank city enroll CODE KEY`: the counter's key, the enrollment signed by the city's key.
pub(super) fn enroll(code: &str, key: &str, db: &str, city_signing_key: &Path) -> CliResult {
    let code = crate::domain::CounterCode::parse(code)?;
    let key = public_key(key, "the counter's key (from `hourbank code show`)")?;
    let city = crate::bank::read_key_file(city_signing_key, "the city's signing key")?.ok_or_else(|| {
        Failure::bad_input(format!(
            "{} does not exist: make the city's key once with `hourbank city keygen FILE`",
            city_signing_key.display()
        ))
    })?;
    match Server::connect(db)?.enroll(&code, &key, &city)? {
        crate::city::Enrolled::New { head } => say!(
            "enrolled {code} {}: its events after #{head} must carry its signature",
            crate::bank::public_text(&key)
        ),
        crate::city::Enrolled::Already => say!("{code} was enrolled with this key already: nothing changed"),
        crate::city::Enrolled::Signed { head } => say!(
            "{code}'s enrollment (events after #{head} signed) is now signed by the city's key {}",
            crate::bank::public_text(&city.verifying_key())
        ),
    }
    Ok(())
}

/// `hourbank city revoke CODE`.
pub(super) fn revoke(code: &str, db: &str) -> CliResult {
    let code = crate::domain::CounterCode::parse(code)?;
    if Server::connect(db)?.revoke(&code)? {
        say!("revoked {code}: the service refuses it from now on; its past events stay valid");
        Ok(())
    } else {
        Err(Failure {
            code: exit::REFUSED,
            message: format!("{code} is not enrolled, or was revoked before"),
        })
    }
}

/// `hourbank city serve`: runs until SIGINT or SIGTERM, then finishes the requests in flight.
pub(super) fn serve(
    listen: std::net::SocketAddr,
    db: String,
    city_key: &str,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    cache: Option<std::path::PathBuf>,
) -> CliResult {
    use crate::city::service;
    let city_key = public_key(city_key, "the city's key")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let running = service::start(service::ServeOptions { listen, db, city_key, tls, cache })
        .map_err(|e| Failure { code: exit::STORE_UNAVAILABLE, message: e.to_string() })?;
    service::log(format_args!("city service listening on {scheme}://{}", running.addr));
    service::stop_on_signal(&running);
    running.wait().map_err(|e| Failure { code: exit::STORE_UNAVAILABLE, message: e.to_string() })?;
    service::log(format_args!("city service stopped"));
    Ok(())
}
