//! Masking a holder's name for the public credential check: enough for the
//! inspected party to match the card, not enough to identify a stranger.

/// 张三 → 张*, 张三明 → 张*明, 欧阳小明 → 欧**明, Li Lei → L*****i.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::mask_name;

    #[test]
    fn masks_middle() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三明"), "张*明");
        assert_eq!(mask_name("欧阳小明"), "欧**明");
        assert_eq!(mask_name("王"), "*");
    }
}
