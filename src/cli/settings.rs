//! Where this counter's city is, from the command line's flags, `$HOURBANK_CITY_URL` and the
//! settings file's `[sync]` section: shared by the city commands and every command that may
//! ask the city (a spend, an export of city balances, a volunteer's record).

use super::Failure;

/// The settings file's `[sync]` section (defaults when there is no file).
pub(super) fn sync_config() -> Result<crate::tui::config::SyncConfig, Failure> {
    Ok(match crate::tui::config::Config::default_path() {
        Some(path) => {
            let config =
                crate::tui::config::Config::load(&path).map_err(|e| Failure::bad_input(e.to_string()))?;
            if let Some(path) = &config.loosened {
                super::output::note(format_args!(
                    "warning: {} was readable by other users; it is 0600 now",
                    path.display()
                ));
            }
            config.sync
        }
        None => Default::default(),
    })
}

/// `--url` or `$HOURBANK_CITY_URL`, else the settings file's `[sync] url`.
pub(super) fn city_url(given: Option<String>) -> Result<String, Failure> {
    if let Some(url) = given {
        return Ok(url);
    }
    sync_config()?.url.ok_or_else(|| {
        Failure::bad_input(
            "no city server: give --url, set HOURBANK_CITY_URL, or put url under [sync] in the settings file",
        )
    })
}

/// The city this counter is configured for, if any: `$HOURBANK_CITY_URL`, else `[sync] url`.
pub(super) fn city_url_if_any() -> Result<Option<String>, Failure> {
    Ok(match std::env::var("HOURBANK_CITY_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => sync_config()?.url,
    })
}
