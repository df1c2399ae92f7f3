//! `hourbank` with no subcommand: the counter. Everything that can fail — store, config,
//! theme — is loaded before the terminal is taken over, so a failure prints plainly.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::{CliResult, Failure, exit, store_dir};
use crate::bank::StoreError;
use crate::bank::{Bank, NewStaff, cli_actor};
use crate::control::ControlSocket;
use crate::domain::{Name, Role, StaffId};
use crate::i18n::Lang;
use crate::tui::app::{App, Options};
use crate::tui::config::{Config, config_dir};
use crate::tui::theme::{Theme, ThemeWarning};

#[derive(Debug, Args, Default)]
pub struct CounterArgs {
    /// Colour theme: default, light, high-contrast, or a file in <config dir>/hourbank/themes
    #[arg(long)]
    pub theme: Option<String>,
    /// Language of the counter and of the command line's messages: zh or en [default: zh when the locale is Chinese]
    #[arg(long, global = true, value_parser = ["zh", "en"])]
    pub lang: Option<String>,
    /// Open a throwaway store filled with sample data (deleted on exit)
    #[arg(long)]
    pub demo: bool,
}

/// The demo store's login, shown on its lock screen.
pub(super) const DEMO_LOGIN: (&str, &str) = ("A01", "2468");
/// How many volunteers the sample bank has, for `--demo` and `hourbank demo` alike.
pub(super) const DEMO_VOLUNTEERS: usize = 300;
pub(super) const DEMO_SEED: u64 = 7;

/// A temporary store directory and its PIN key file, removed when dropped.
struct TempStore(PathBuf);

impl Drop for TempStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(crate::bank::pepper_path(&self.0));
    }
}

pub fn run(store: Option<PathBuf>, a: CounterArgs) -> CliResult {
    let config_path = Config::default_path();
    let config = match &config_path {
        Some(path) => Config::load(path).map_err(|e| Failure::bad_input(e.to_string()))?,
        None => Config::default(),
    };
    let lang =
        a.lang.as_deref().or(config.lang.as_deref()).and_then(Lang::parse).unwrap_or_else(Lang::from_env);
    let theme_name = a.theme.clone().or_else(|| config.theme.clone()).unwrap_or_else(|| "default".into());
    let (theme, warning) = Theme::load(&theme_name, config_dir().map(|d| d.join("themes")).as_deref());
    let mut temp = None;
    let (dir, bank, demo_login) = if a.demo {
        let dir = std::env::temp_dir().join(format!("hourbank-demo-{}", std::process::id()));
        temp = Some(TempStore(dir.clone()));
        let bank = demo_bank(&dir, DEMO_VOLUNTEERS, DEMO_SEED)?;
        (dir, Some(bank), Some((DEMO_LOGIN.0.to_string(), DEMO_LOGIN.1.to_string())))
    } else {
        let dir = store_dir(store)?;
        let bank = match Bank::open(&dir) {
            Ok(bank) => {
                bank.warm_login();
                Some(bank)
            }
            Err(crate::bank::BankError::Store(StoreError::NotInitialized(_))) => None,
            Err(e) => return Err(e.into()),
        };
        (dir, bank, None)
    };
    // Last of the checks, so that a store or config problem is reported first.
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(Failure::bad_input(
            "the counter needs a terminal; for scripts use the subcommands (hourbank --help)",
        ));
    }
    // Loosened permissions outrank a theme problem on the status line.
    let t = lang.text();
    let permissions = bank.as_ref().and_then(|b| b.permission_warning()).map(|w| t.permission_warning(&w));
    let config_loosened =
        config.loosened.as_ref().map(|p| crate::i18n::fill(t.warn_config_loosened, &[&p.display()]));
    let notice = permissions.or(config_loosened).or_else(|| {
        warning.map(|w| match w {
            ThemeWarning::Unknown { name } => crate::i18n::fill(t.warn_theme_unknown, &[&name]),
            ThemeWarning::Broken { path, detail } => {
                crate::i18n::fill(t.warn_theme_broken, &[&path.display(), &detail])
            }
        })
    });
    let options = Options { lang, theme, config, demo_login, notice, config_path };
    let app = App::new(bank, dir.clone(), Arc::new(chrono::Utc::now), options);
    let serve: crate::tui::Serve = Box::new(move |bank, notify| {
        ControlSocket::start(&dir, super::forward::handler(bank), notify).map_err(|e| e.to_string())
    });
    let result = crate::tui::run(app, serve)
        .map_err(|e| Failure { code: exit::STORE_UNAVAILABLE, message: format!("terminal: {e}") });
    drop(temp);
    result
}

/// The sample bank: the same for the counter's `--demo` and `hourbank demo`.
pub(super) fn demo_bank(dir: &std::path::Path, volunteers: usize, seed: u64) -> Result<Bank, Failure> {
    let who = cli_actor();
    let admin = NewStaff {
        id: StaffId::parse(DEMO_LOGIN.0)?,
        name: Name::parse("管理员")?,
        role: Role::Admin,
        pin: DEMO_LOGIN.1.into(),
    };
    let bank = Bank::init(dir, &Name::parse("江门市蓬江区志愿服务银行(演示)")?, admin, &who)?;
    crate::sample::populate_demo(&bank, &who, volunteers, seed)?;
    Ok(bank)
}
