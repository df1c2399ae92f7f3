//! Every string the counter shows, one struct per language (`zh.rs`, `en.rs`), so wording stays
//! consistent and widths can be audited in one place. Templates use `{}` for values, filled in
//! order by [`fill`].

mod en;
mod errors;
mod import;
mod lang;
mod points;
mod text;
mod values;
mod zh;

pub use import::ImportText;
pub use lang::Lang;
pub use points::PointsText;
pub use text::Text;

/// Replaces each `{}` in `template` with the next value.
pub fn fill(template: &str, values: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if let Some(v) = values.get(i) {
            out.push_str(&v.to_string());
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests;
