//! Identity numbers with their check characters: resident identity numbers
//! (GB 11643-1999) for officers, unified social credit codes (GB 32100-2015,
//! with the GB 11714 organization code inside) for the parties inspected.
use rand::Rng;

/// The city's administrative division code (尚志市).
pub const CITY_DIVISION: &str = "230183";

/// Where officers were born: the city itself mostly, Harbin's districts and
/// counties around it otherwise.
const BIRTH_DIVISIONS: &[(&str, u32)] = &[
    (CITY_DIVISION, 67),
    ("230102", 4), // 道里区
    ("230103", 4), // 南岗区
    ("230104", 3), // 道外区
    ("230108", 3), // 平房区
    ("230123", 5), // 依兰县
    ("230124", 4), // 方正县
    ("230125", 4), // 宾县
    ("230184", 6), // 五常市
];

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character of the first 17 digits.
pub fn id_check(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    ID_CHECK[(sum % 11) as usize] as char
}

/// A resident identity number born in `birth_year`: division, birth date,
/// a sequence (odd for men, even for women) and the check character.
pub fn national_id(rng: &mut impl Rng, birth_year: i32) -> String {
    let total: u32 = BIRTH_DIVISIONS.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    let mut division = CITY_DIVISION;
    for (d, w) in BIRTH_DIVISIONS {
        if pick < *w {
            division = d;
            break;
        }
        pick -= w;
    }
    let month = rng.gen_range(1..=12u32);
    let day = rng.gen_range(1..=28u32);
    let seq = rng.gen_range(1..=999u32);
    let first17 = format!("{division}{birth_year:04}{month:02}{day:02}{seq:03}");
    format!("{first17}{}", id_check(&first17))
}

pub use probity_rules::uscc::{org_check, uscc_check, uscc_ok};

/// A unified social credit code registered in the city: a company (91), a
/// sole trader (92) or a farmers' cooperative (93), with a valid
/// organization code inside.
pub fn uscc(rng: &mut impl Rng) -> String {
    let category = match rng.gen_range(0..100) {
        0..=59 => "91",
        60..=89 => "92",
        _ => "93",
    };
    loop {
        // Digits mostly; a letter now and then, as real codes have.
        let body: String = (0..8)
            .map(|i| {
                if i == 0 && rng.gen_bool(0.3) {
                    *b"MLGHJKNPQR".get(rng.gen_range(0..10)).unwrap_or(&b'M') as char
                } else {
                    char::from(b'0' + rng.gen_range(0..10u8))
                }
            })
            .collect();
        let Some(oc) = org_check(&body) else { continue };
        // The organization code's check may be X, which the credit code's
        // alphabet has; it never gives I, O, S, V or Z.
        let first17 = format!("{category}{CITY_DIVISION}{body}{oc}");
        if let Some(c) = uscc_check(&first17) {
            return format!("{first17}{c}");
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn published_examples_check() {
        // GB 32100's own example and a registered company's code.
        assert!(uscc_ok("91350100M000100Y43"));
        assert!(uscc_ok("91110108551385082Q"));
        assert!(!uscc_ok("91350100M000100Y44"));
        // GB 11643's own example.
        assert_eq!(id_check("11010519491231002"), 'X');
    }

    #[test]
    fn generated_codes_are_valid() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..1000 {
            let c = uscc(&mut rng);
            assert!(uscc_ok(&c), "{c}");
            assert_eq!(&c[2..8], CITY_DIVISION);
            let id = national_id(&mut rng, 1985);
            assert_eq!(id.len(), 18);
            assert_eq!(id_check(&id[..17]), id.as_bytes()[17] as char);
            assert_eq!(&id[6..10], "1985");
        }
    }
}
