//! The counter screen. So far: themes (data in `themes/*.toml`, embedded). The screens, the
//! keymap and the Elm-shaped state/update/view come with the counter issue.

pub mod theme;
