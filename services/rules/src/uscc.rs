//! Unified social credit codes (GB 32100-2015) and the GB 11714
//! organization code inside them: the check characters, shared by the
//! synthetic city that makes codes and the services that accept them.

/// The characters of a unified social credit code, in value order (no I, O,
/// S, V, Z).
pub const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARS.iter().position(|x| *x == c).map(|p| p as u32)
}

/// The GB 32100 check character of a code's first 17 characters (weights
/// are 3^i mod 31).
pub fn uscc_check(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut weight = 1u32;
    for c in first17.bytes() {
        sum += uscc_value(c)? * weight;
        weight = weight * 3 % 31;
    }
    let check = (31 - sum % 31) % 31;
    Some(USCC_CHARS[check as usize] as char)
}

/// The GB 11714 check character of an organization code's first 8
/// characters.
pub fn org_check(first8: &str) -> Option<char> {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0u32;
    for (c, w) in first8.bytes().zip(W) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10)?,
    })
}

/// Whether `code` is a well-formed unified social credit code.
pub fn uscc_ok(code: &str) -> bool {
    code.len() == 18
        && code.is_ascii()
        && uscc_check(&code[..17]).is_some_and(|c| code.as_bytes()[17] == c as u8)
        && org_check(&code[8..16]).is_some_and(|c| code.as_bytes()[16] == c as u8)
}
