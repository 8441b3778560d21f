//! Buffers that parsing needs, reused across calls on one thread: a tape's
//! nodes return here when it is dropped, so a warm identify allocates
//! little more than the record it writes. Only small buffers are kept, so
//! one large document does not hold its memory afterwards.

use std::cell::RefCell;
use std::thread::LocalKey;

/// The largest buffer kept for reuse, in bytes.
const KEEP_BYTES: usize = 64 * 1024;
/// Buffers kept per kind: a merge has two tapes alive at once.
const KEEP_COUNT: usize = 4;

/// A pool of `Vec<T>` buffers in a thread-local.
pub(super) struct Pool<T: 'static>(pub(super) &'static LocalKey<RefCell<Vec<Vec<T>>>>);

/// The buffers of one kind.
pub(super) type Pooled<T> = RefCell<Vec<Vec<T>>>;

impl<T> Pool<T> {
    /// An empty vector with room for at least `capacity` items.
    pub(super) fn take(&self, capacity: usize) -> Vec<T> {
        let reused = self.0.with(|pool| pool.borrow_mut().pop());
        let mut items = reused.unwrap_or_default();
        items.reserve(capacity);
        items
    }

    /// Gives a vector back for reuse (dropped if large).
    pub(super) fn give(&self, mut items: Vec<T>) {
        // An empty one (its buffer moved elsewhere) is not worth a place.
        if items.capacity() == 0 || items.capacity() * std::mem::size_of::<T>() > KEEP_BYTES {
            return;
        }
        items.clear();
        self.0.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < KEEP_COUNT {
                pool.push(items);
            }
        });
    }
}
