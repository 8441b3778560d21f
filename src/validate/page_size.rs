//! The `page_size` query parameter of the list routes (contract §9).

use crate::error::Problem;
use crate::limits::MAX_PAGE_SIZE;
use crate::model::FieldError;
use crate::quote::quoted;

/// A list route's `page_size`: absent, [`MAX_PAGE_SIZE`] (50, the
/// default); else a whole number from 1 to 50 in ASCII digits, with no
/// sign, space or leading zero, as the query string carries it
/// (percent-decoded). Anything else, `51` included, is one `format`
/// problem on the field `page_size` naming the range: the range is the
/// value's form, and `too_large` is kept for groups of values past a size.
///
/// ```
/// use knock_identify::check_page_size;
/// assert_eq!(check_page_size(None), Ok(50));
/// assert_eq!(check_page_size(Some("20")), Ok(20));
/// assert_eq!(check_page_size(Some("51")).unwrap_err().field, "page_size");
/// ```
pub fn check_page_size(value: Option<&str>) -> Result<u8, Problem> {
    let Some(text) = value else { return Ok(MAX_PAGE_SIZE) };
    // A page size has one or two digits: a longer text is past the range.
    let size = match *text.as_bytes() {
        [ones @ b'1'..=b'9'] => ones - b'0',
        [tens @ b'1'..=b'9', ones @ b'0'..=b'9'] => (tens - b'0') * 10 + (ones - b'0'),
        _ => 0,
    };
    match size {
        1..=MAX_PAGE_SIZE => Ok(size),
        _ => Err(FieldError::format(format!(
            "expected a page size from 1 to {MAX_PAGE_SIZE}, in digits without a sign, space or leading zero, got {}",
            quoted(text)
        ))
        .at("page_size")),
    }
}
