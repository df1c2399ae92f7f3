//! Themes are data: flat TOML files of semantic roles (`themes/*.toml`), built-ins embedded so
//! the binary runs alone, user files in the config directory first. Screens ask for roles
//! (`theme.balance`, `theme.row(selected)`), never for colours. A broken or unknown theme is
//! reported and the default used — never a panic, never silence.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The embedded built-ins, by name.
pub const BUILTIN: [(&str, &str); 3] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub success: Style,
    pub warning: Style,
    pub danger: Style,
    pub selection: Style,
    pub border: Style,
    pub balance: Style,
}

impl Theme {
    /// Title bars and the header: the border colour as background and, as foreground, the
    /// text background when the theme sets one (high contrast: black on white) or else the
    /// text colour (white on dark grey, black on light grey). A bar reads as a bar in every
    /// theme without box-drawing characters.
    pub fn bar(&self) -> Style {
        let fg = self.text.bg.or(self.text.fg).unwrap_or(Color::Reset);
        Style::new().bg(self.border.fg.unwrap_or(Color::Reset)).fg(fg).add_modifier(Modifier::BOLD)
    }

    /// Bars of a chart: reversed blanks in the accent colour (like the large digits), so every
    /// theme — high contrast too, where the accent is bright yellow on black — draws them
    /// without a new role, and a monochrome terminal still shows them.
    pub fn chart(&self) -> Style {
        Style::new().fg(self.accent.fg.unwrap_or(Color::Reset)).add_modifier(Modifier::REVERSED)
    }

    /// A list or table row.
    pub fn row(&self, selected: bool) -> Style {
        if selected { self.selection } else { self.text }
    }
}

/// Why the requested theme was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeWarning {
    #[error("theme {name:?} does not exist (built in: default, light, high-contrast); using the default")]
    Unknown { name: String },
    #[error("theme file {}: {detail}; using the default", path.display())]
    Broken { path: PathBuf, detail: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    fg: Option<String>,
    bg: Option<String>,
    bold: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    text: Option<RoleFile>,
    muted: Option<RoleFile>,
    accent: Option<RoleFile>,
    success: Option<RoleFile>,
    warning: Option<RoleFile>,
    danger: Option<RoleFile>,
    selection: Option<RoleFile>,
    border: Option<RoleFile>,
    balance: Option<RoleFile>,
}

fn color(text: &str, role: &str) -> Result<Color, String> {
    Color::from_str(text).map_err(|_| format!("{role}: {text:?} is not a colour"))
}

/// A role from the file laid over the same role of `base`.
fn role(file: Option<&RoleFile>, base: Style, name: &str) -> Result<Style, String> {
    let Some(r) = file else { return Ok(base) };
    // Colours given replace the plain fallback's reverse video (used only when no colour is
    // known); otherwise a black-on-cyan selection would show as cyan-on-black.
    let mut style =
        if r.fg.is_some() || r.bg.is_some() { base.remove_modifier(Modifier::REVERSED) } else { base };
    if let Some(fg) = &r.fg {
        style = style.fg(color(fg, name)?);
    }
    if let Some(bg) = &r.bg {
        style = style.bg(color(bg, name)?);
    }
    match r.bold {
        Some(true) => style = style.add_modifier(Modifier::BOLD),
        Some(false) => style = style.remove_modifier(Modifier::BOLD),
        None => {}
    }
    Ok(style)
}

impl Theme {
    /// Parses a theme file; roles it does not set come from `base`.
    pub fn parse(text: &str, base: &Theme) -> Result<Theme, String> {
        let f: ThemeFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        Ok(Theme {
            name: f.name.clone().unwrap_or_else(|| base.name.clone()),
            text: role(f.text.as_ref(), base.text, "text")?,
            muted: role(f.muted.as_ref(), base.muted, "muted")?,
            accent: role(f.accent.as_ref(), base.accent, "accent")?,
            success: role(f.success.as_ref(), base.success, "success")?,
            warning: role(f.warning.as_ref(), base.warning, "warning")?,
            danger: role(f.danger.as_ref(), base.danger, "danger")?,
            selection: role(f.selection.as_ref(), base.selection, "selection")?,
            border: role(f.border.as_ref(), base.border, "border")?,
            balance: role(f.balance.as_ref(), base.balance, "balance")?,
        })
    }

    /// The built-in default. Its file is part of the binary and tested, so it always parses;
    /// should it not, plain terminal colours still give a usable screen.
    pub fn default_theme() -> Theme {
        let plain = Theme {
            name: "default".into(),
            text: Style::new(),
            muted: Style::new(),
            accent: Style::new().add_modifier(Modifier::BOLD),
            success: Style::new(),
            warning: Style::new().add_modifier(Modifier::BOLD),
            danger: Style::new().add_modifier(Modifier::BOLD),
            selection: Style::new().add_modifier(Modifier::REVERSED),
            border: Style::new(),
            balance: Style::new().add_modifier(Modifier::BOLD),
        };
        Theme::parse(BUILTIN[0].1, &plain).unwrap_or(plain)
    }

    /// The theme called `name`: `<user_dir>/<name>.toml` if it exists, else a built-in. Any
    /// problem gives the default theme and a warning to show the user.
    pub fn load(name: &str, user_dir: Option<&Path>) -> (Theme, Option<ThemeWarning>) {
        let default = Theme::default_theme();
        if let Some(path) = user_dir.map(|d| d.join(format!("{name}.toml"))).filter(|p| p.is_file()) {
            let result = std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|text| {
                let base = BUILTIN
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, t)| Theme::parse(t, &default).ok());
                Theme::parse(&text, base.as_ref().unwrap_or(&default))
            });
            return match result {
                Ok(theme) => (theme, None),
                Err(detail) => (default, Some(ThemeWarning::Broken { path, detail })),
            };
        }
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => match Theme::parse(text, &default) {
                Ok(theme) => (theme, None),
                Err(detail) => (
                    default,
                    Some(ThemeWarning::Broken { path: format!("(built-in) {name}").into(), detail }),
                ),
            },
            None => (default, Some(ThemeWarning::Unknown { name: name.to_string() })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> Theme {
        let s = Style::new();
        Theme {
            name: "plain".into(),
            text: s,
            muted: s,
            accent: s,
            success: s,
            warning: s,
            danger: s,
            selection: s,
            border: s,
            balance: s,
        }
    }

    #[test]
    fn every_builtin_parses_and_sets_every_role() {
        for (name, text) in BUILTIN {
            let theme = Theme::parse(text, &plain()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, name);
            for (role, style) in [
                ("text", theme.text),
                ("muted", theme.muted),
                ("accent", theme.accent),
                ("success", theme.success),
                ("warning", theme.warning),
                ("danger", theme.danger),
                ("selection", theme.selection),
                ("border", theme.border),
                ("balance", theme.balance),
            ] {
                assert!(style.fg.is_some(), "{name}.{role} has no colour");
            }
            assert_ne!(theme.row(true), theme.row(false), "{name}: a selected row must stand out");
        }
    }

    #[test]
    fn title_bars_have_distinct_foreground_and_background_in_every_builtin() {
        for (name, text) in BUILTIN {
            let bar = Theme::parse(text, &plain()).map(|t| t.bar()).unwrap_or_default();
            assert!(bar.bg.is_some() && bar.fg.is_some() && bar.fg != bar.bg, "{name}: {bar:?}");
        }
    }

    #[test]
    fn a_coloured_selection_does_not_keep_the_fallback_reverse_video() {
        let theme = Theme::default_theme();
        assert!(!theme.selection.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(theme.selection.bg, Some(Color::Cyan));
    }

    #[test]
    fn high_contrast_uses_only_black_white_and_bright_colours() {
        let (theme, warning) = Theme::load("high-contrast", None);
        assert!(warning.is_none());
        assert_eq!(theme.text.fg, Some(Color::White));
        assert_eq!(theme.text.bg, Some(Color::Black));
        assert_eq!(theme.selection.fg, Some(Color::Black));
        assert_eq!(theme.selection.bg, Some(Color::White));
        for style in [theme.accent, theme.success, theme.warning, theme.danger, theme.balance] {
            assert!(style.add_modifier.contains(Modifier::BOLD));
        }
    }

    #[test]
    fn a_partial_user_theme_is_laid_over_the_builtin_of_the_same_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("light.toml"), "balance = { fg = \"#112233\" }\n").unwrap();
        let (theme, warning) = Theme::load("light", Some(dir.path()));
        assert!(warning.is_none());
        assert_eq!(theme.balance.fg, Some(Color::Rgb(0x11, 0x22, 0x33)));
        assert_eq!(theme.text.fg, Some(Color::Black), "unset roles come from the built-in light theme");
        assert!(theme.balance.add_modifier.contains(Modifier::BOLD), "and so do unset attributes");
    }

    #[test]
    fn broken_and_unknown_themes_fall_back_to_the_default_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let default = Theme::default_theme();
        for (file, expect) in [
            ("text = { fg = \"octarine\" }", "text: \"octarine\" is not a colour"),
            ("text = { fg = ", "mine.toml"),
            ("txet = { fg = \"red\" }", "unknown field `txet`"),
        ] {
            std::fs::write(dir.path().join("mine.toml"), file).unwrap();
            let (theme, warning) = Theme::load("mine", Some(dir.path()));
            assert_eq!(theme, default);
            let message = warning.expect("a warning").to_string();
            assert!(message.contains(expect), "{message}");
            assert!(message.starts_with("theme file ") && message.contains("mine.toml"), "{message}");
            assert!(message.ends_with("using the default"), "{message}");
        }
        let (theme, warning) = Theme::load("nope", Some(dir.path()));
        assert_eq!(theme, default);
        assert_eq!(warning, Some(ThemeWarning::Unknown { name: "nope".into() }));
    }
}
