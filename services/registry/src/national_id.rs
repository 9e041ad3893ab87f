//! Resident identity numbers (GB 11643-1999): validated, then kept only as a
//! keyed HMAC so duplicates can be found without storing the number.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Normalizes (trim, upper-case X) and checks length, digits and the check digit.
pub fn normalize(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err("must be 18 characters");
    }
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err("must be 17 digits and a digit or X");
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    if CHECK[(sum % 11) as usize] != b[17] {
        return Err("check digit does not match");
    }
    Ok(s)
}

pub fn hmac(key: &[u8], normalized: &str) -> String {
    probity_common::keys::hmac_hex(key, &[normalized.as_bytes()])
}

/// Appends the check digit to 17 digits (tests and fixtures).
pub fn with_check_digit(first17: &str) -> String {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_round_trip() {
        let id = with_check_digit("23018319900101123");
        assert_eq!(normalize(&id), Ok(id.clone()));
        let mut wrong = id.into_bytes();
        wrong[17] = if wrong[17] == b'0' { b'1' } else { b'0' };
        assert!(normalize(std::str::from_utf8(&wrong).unwrap()).is_err());
        assert!(normalize("12345").is_err());
    }

    #[test]
    fn lower_case_x_is_normalized() {
        // 11010519491231002X is the standard's own example.
        assert_eq!(
            normalize("11010519491231002x"),
            Ok("11010519491231002X".into())
        );
    }

    #[test]
    fn hmac_depends_on_key() {
        assert_ne!(hmac(b"k1", "x"), hmac(b"k2", "x"));
        assert_eq!(hmac(b"k1", "x"), hmac(b"k1", "x"));
    }
}
