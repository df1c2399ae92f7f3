//! The service certificate (志愿服务证明) as a printable text page: the same page on screen at
//! the counter, in a file, or through the receipt command.

use crate::bank::Certificate;
use crate::domain::format_hours;

/// The printable page: bilingual headings, hours by activity, the code at the bottom.
pub fn certificate_page(c: &Certificate) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let rule = "=".repeat(56);
    let _ = writeln!(s, "{rule}");
    let _ = writeln!(s, "{}", centered("志愿服务证明", 56));
    let _ = writeln!(s, "{}", centered("Volunteer Service Certificate", 56));
    let _ = writeln!(s, "{rule}");
    let _ = writeln!(s, "兹证明 / This certifies that  {}（{}）", c.name, c.card);
    let (served, total) = (format_hours(c.served), format_hours(c.total));
    if c.served == c.total {
        let _ = writeln!(s, "于 {} 至 {} 期间参加志愿服务，共计 {total} 小时。", c.from, c.to);
        let _ = writeln!(s, "served {total} hours from {} to {}.", c.from, c.to);
    } else {
        let _ = writeln!(s, "于 {} 至 {} 期间参加志愿服务 {served} 小时，计入 {total} 小时。", c.from, c.to);
        let _ = writeln!(s, "served {served} hours from {} to {}, credited {total}.", c.from, c.to);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "{} {}", pad("服务项目 / Activity", 44), pad_left("小时 / h", 10));
    for (name, minutes) in &c.by_activity {
        let _ = writeln!(s, "{} {}", pad(name, 44), pad_left(&format_hours(*minutes), 10));
    }
    let _ = writeln!(s, "{} {}", pad("合计 / Total", 44), pad_left(&format_hours(c.total), 10));
    // Hours credited are not always hours served: say why they differ.
    if c.served != c.total {
        let _ = writeln!(s, "计入时数按服务项目倍率、取整与单笔上限规则计算。");
        let _ = writeln!(s, "Credited under the activities' multipliers, rounding and the per-entry cap.");
    }
    // Issued by the city: every counter's part, so a reader sees where the hours were served.
    if !c.by_counter.is_empty() {
        let _ = writeln!(s, "全市各服务点 / At each counter of the city:");
        for (counter, minutes) in &c.by_counter {
            let _ = writeln!(s, "  {} {}", pad(counter, 42), pad_left(&format_hours(*minutes), 10));
        }
    }
    let _ = writeln!(s);
    let issued = c.as_of_time.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d");
    match c.by_counter.is_empty() {
        true => {
            let _ = writeln!(s, "出具单位 / Issued by: {}", c.counter);
        }
        // The city issued it, at this counter's request: verifiable at any counter of the city.
        false => {
            let _ = writeln!(s, "出具单位 / Issued by: 全市志愿服务银行 / the city (at {})", c.counter);
        }
    }
    let _ = writeln!(s, "出具日期 / Date: {issued}    编号 / Serial: {}", c.as_of);
    let _ = writeln!(s, "验证码 / Verification code:");
    let _ = writeln!(s, "  {}", c.code);
    // The command names the code above rather than repeating it: with it the line was wider
    // than the page and was cut on a screen of 80 columns (and, typed as shown, refused).
    let _ = writeln!(s, "验证 / To verify:");
    let _ = writeln!(s, "  hourbank certificate verify <验证码 / code>");
    let _ = writeln!(s, "{rule}");
    s
}

fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

fn centered(text: &str, cols: usize) -> String {
    format!("{}{text}", " ".repeat(cols.saturating_sub(width(text)) / 2))
}

/// `text` padded with spaces to `cols` display columns (a hanzi is two).
fn pad(text: &str, cols: usize) -> String {
    format!("{text}{}", " ".repeat(cols.saturating_sub(width(text))))
}

fn pad_left(text: &str, cols: usize) -> String {
    format!("{}{text}", " ".repeat(cols.saturating_sub(width(text))))
}
