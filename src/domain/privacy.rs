//! Masking of personal data on receipts and public screens: enough to recognise one's own
//! record, not enough to learn someone else's.

/// Keeps the first character, and the last when there are three or more: 陈华佩 → 陈*佩,
/// 王五 → 王*.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// Keeps the first two and last two characters: JH000123 → JH****23.
pub fn mask_card(card: &str) -> String {
    mask_middle(card, 2, 2)
}

/// Keeps the first three and last four digits: 13812345678 → 138****5678.
pub fn mask_phone(phone: &str) -> String {
    mask_middle(phone, 3, 4)
}

/// Keeps the last four characters only: 440703199001011234 → ****1234.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("****{tail}")
}

fn mask_middle(text: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask_name("陈华佩"), "陈*佩");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name("王五"), "王*");
        assert_eq!(mask_name("王"), "*");
        assert_eq!(mask_card("JH000123"), "JH****23");
        assert_eq!(mask_card("AB12"), "****");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("44070319900101123X"), "****123X");
    }
}
