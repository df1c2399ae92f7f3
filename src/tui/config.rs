//! The counter's settings file, `<config dir>/hourbank/config.toml` (or `$HOURBANK_CONFIG`).
//! Loaded before the terminal is taken over, so a mistake in it prints a plain message.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seconds without a key before the counter locks itself and clears every form.
    pub idle_seconds: u64,
    /// The same for a volunteer's self-service page: shorter, since they walk away.
    pub kiosk_idle_seconds: u64,
    /// Shifts at the kiosk: worked time is rounded down to this many minutes,
    pub shift_round_minutes: u32,
    /// at most this many hours a day are credited,
    pub shift_daily_cap_hours: u32,
    /// and a shift longer than this goes to staff review instead.
    pub shift_review_hours: u32,
    /// A shell command that prints a receipt given on its standard input, e.g. `lp`.
    pub receipt_command: Option<String>,
    /// Theme name: default, light, high-contrast, or a file in `<config dir>/hourbank/themes`.
    pub theme: Option<String>,
    /// `zh` or `en`; unset means the locale decides.
    pub lang: Option<String>,
    /// Where the reports screen writes XLSX files [default: ~/hourbank-reports].
    pub report_dir: Option<String>,
    /// The city server this counter shares its journal with (`[sync]`).
    pub sync: SyncConfig,
    /// Set by [`Config::load`] when the file was readable by other users (it names the city
    /// server and may hold a password): it is 0600 now, and the counter says so.
    #[serde(skip)]
    pub loosened: Option<PathBuf>,
}

/// `[sync]`: where the city server is, and how often the open counter syncs with it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// e.g. `postgresql://counter@city-db/hourbank` (`$HOURBANK_CITY_URL` and `--url` win).
    pub url: Option<String>,
    /// Seconds between background syncs while the counter is open; 0 turns them off.
    pub every_seconds: u64,
    /// Minutes of each volunteer's hours this counter keeps at a sync (its float, spendable
    /// here offline); the rest goes to the card's city pool, spendable at any counter online.
    pub float_minutes: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig { url: None, every_seconds: 1, float_minutes: 0 }
    }
}

impl SyncConfig {
    pub fn float(&self) -> crate::domain::Minutes {
        crate::domain::Minutes::new(self.float_minutes)
    }
}

impl SyncConfig {
    /// The server the open counter syncs with in the background, if any: `$HOURBANK_CITY_URL`
    /// wins over the file; none, or `every_seconds = 0`, means no background sync.
    pub fn background_url(&self) -> Option<String> {
        if self.every_seconds == 0 {
            return None;
        }
        self.city_url()
    }

    /// The city this counter belongs to, synced in the background or not.
    pub fn city_url(&self) -> Option<String> {
        std::env::var("HOURBANK_CITY_URL").ok().filter(|u| !u.is_empty()).or_else(|| self.url.clone())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            idle_seconds: 120,
            kiosk_idle_seconds: 60,
            shift_round_minutes: 30,
            shift_daily_cap_hours: 8,
            shift_review_hours: 8,
            receipt_command: None,
            theme: None,
            lang: None,
            report_dir: None,
            sync: SyncConfig::default(),
            loosened: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {}: {detail}", path.display())]
    Parse { path: PathBuf, detail: String },
}

/// `<config dir>/hourbank`, where `config.toml` and `themes/` live.
pub fn config_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("hourbank"))
}

impl Config {
    /// Reads `path`; a missing file means the defaults. A file others can read is made 0600
    /// first (and [`Config::loosened`] says so).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        use std::os::unix::fs::PermissionsExt;
        let read = |source| ConfigError::Read { path: path.to_path_buf(), source };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => return Err(read(source)),
        };
        // Only a regular file is ours to tighten (`HOURBANK_CONFIG=/dev/null` is no settings
        // file to chmod).
        let meta = std::fs::metadata(path).map_err(read)?;
        let loosened = meta.is_file() && meta.permissions().mode() & 0o077 != 0;
        if loosened {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(read)?;
        }
        let mut config =
            Config::parse(&text).map_err(|detail| ConfigError::Parse { path: path.to_path_buf(), detail })?;
        config.loosened = loosened.then(|| path.to_path_buf());
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        if config.idle_seconds < 10 {
            return Err("idle_seconds must be at least 10".into());
        }
        if config.kiosk_idle_seconds < 10 {
            return Err("kiosk_idle_seconds must be at least 10".into());
        }
        if !(1..=240).contains(&config.shift_round_minutes) {
            return Err("shift_round_minutes must be 1–240".into());
        }
        if !(1..=24).contains(&config.shift_daily_cap_hours) || !(1..=24).contains(&config.shift_review_hours)
        {
            return Err("shift_daily_cap_hours and shift_review_hours must be 1–24".into());
        }
        Ok(config)
    }

    /// The shift rule these settings describe.
    pub fn shift_rules(&self) -> crate::domain::ShiftRules {
        crate::domain::ShiftRules {
            round_to: crate::domain::Minutes::new(self.shift_round_minutes),
            daily_cap: crate::domain::Minutes::from_hours(self.shift_daily_cap_hours),
            review_over: crate::domain::Minutes::from_hours(self.shift_review_hours),
        }
    }

    /// The file's text for these settings (unset options left out).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// What differs from `old`: each changed key with its new value (`""` when unset).
    pub fn changes(old: &Config, new: &Config) -> Vec<(String, String)> {
        let table = |c: &Config| toml::Table::try_from(c).unwrap_or_default();
        let (before, after) = (table(old), table(new));
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| {
                let value = match after.get(k) {
                    Some(toml::Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                (k.clone(), value)
            })
            .collect()
    }

    /// Writes the settings to `path` (beside it first, then renamed, so a reader never sees
    /// half a file), creating the directory. The file is 0600 whatever it was: it names the
    /// city server, and a reader of it learns where the counter's city is.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        crate::report::write_private(path, |file| std::io::Write::write_all(file, self.to_toml().as_bytes()))
    }

    /// The file to read: `$HOURBANK_CONFIG`, else `config.toml` in the config directory.
    pub fn default_path() -> Option<PathBuf> {
        std::env::var_os("HOURBANK_CONFIG")
            .map(PathBuf::from)
            .or_else(|| config_dir().map(|d| d.join("config.toml")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_partial_and_broken_files() {
        assert_eq!(Config::parse("").ok(), Some(Config::default()));
        let c = Config::parse("receipt_command = \"lp -d counter\"\nidle_seconds = 300").ok();
        assert_eq!(c.as_ref().map(|c| c.idle_seconds), Some(300));
        assert_eq!(c.and_then(|c| c.receipt_command).as_deref(), Some("lp -d counter"));
        assert!(Config::parse("idle_seconds = \"soon\"").is_err());
        assert!(Config::parse("idle_secs = 30").is_err(), "a misspelt key is reported, not ignored");
        assert!(Config::parse("idle_seconds = 1").is_err());
    }

    #[test]
    fn a_saved_file_reads_back_and_changes_name_their_keys() {
        let mut c = Config { receipt_command: Some("lp".into()), ..Config::default() };
        assert_eq!(Config::parse(&c.to_toml()), Ok(c.clone()));
        let old = c.clone();
        c.idle_seconds = 300;
        c.receipt_command = None;
        c.lang = Some("en".into());
        let changes = Config::changes(&old, &c);
        assert_eq!(
            changes,
            vec![
                ("idle_seconds".to_string(), "300".to_string()),
                ("lang".to_string(), "en".to_string()),
                ("receipt_command".to_string(), String::new())
            ]
        );
        assert!(Config::changes(&c, &c).is_empty());
    }
}
