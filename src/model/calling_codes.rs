//! Country calling codes assigned by the ITU-T (Recommendation E.164 and its
//! "List of ITU-T Recommendation E.164 assigned country codes", as amended
//! by the ITU Operational Bulletins up to No. 1300), including the shared
//! global codes (800, 808, 870, 878, 881, 882, 883, 888, 979, 991).
//! Spare and reserved codes are absent. The codes form a prefix code: no
//! code is a prefix of another, so a number begins with at most one.

const ONE_DIGIT: &[u16] = &[1, 7];

const TWO_DIGITS: &[u16] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62,
    63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

const THREE_DIGITS: &[u16] = &[
    211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237,
    238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261,
    262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359,
    370, 371, 372, 373, 374, 375, 376, 377, 378, 379, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501,
    502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675,
    676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852, 853, 855, 856,
    870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975,
    976, 977, 979, 991, 992, 993, 994, 995, 996, 998,
];

/// Whether a string of ASCII digits begins with an assigned country calling code.
pub(crate) fn is_assigned_calling_code(digits: &str) -> bool {
    let prefix = |len: usize| {
        let digits = digits.as_bytes().get(..len)?;
        Some(digits.iter().fold(0u16, |number, &digit| number * 10 + u16::from(digit.wrapping_sub(b'0'))))
    };
    let starts_with_one_of =
        |codes: &[u16], len: usize| prefix(len).is_some_and(|code| codes.binary_search(&code).is_ok());
    starts_with_one_of(ONE_DIGIT, 1) || starts_with_one_of(TWO_DIGITS, 2) || starts_with_one_of(THREE_DIGITS, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_prefix_free() {
        let all: Vec<String> = ONE_DIGIT.iter().chain(TWO_DIGITS).chain(THREE_DIGITS).map(u16::to_string).collect();
        for (digits, table) in [(1, ONE_DIGIT), (2, TWO_DIGITS), (3, THREE_DIGITS)] {
            assert!(table.windows(2).all(|pair| pair[0] < pair[1]), "table not sorted: {table:?}");
            assert!(table.iter().all(|code| code.to_string().len() == digits), "{table:?}");
        }
        for code in &all {
            for other in &all {
                assert!(code == other || !other.starts_with(code), "{code} is a prefix of {other}");
            }
        }
    }

    #[test]
    fn known_codes() {
        for assigned in ["14155552671", "442071838750", "33142685300", "8613800138000", "3545511234", "88216"] {
            assert!(is_assigned_calling_code(assigned), "{assigned}");
        }
        for spare in ["2101234567", "2801234567", "4221234567", "6931234567", "9991234567", "8011234567"] {
            assert!(!is_assigned_calling_code(spare), "{spare}");
        }
    }
}
