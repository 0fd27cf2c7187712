//! A growable list kept in fixed-size chunks: it never copies itself into a table twice its
//! size, as a `Vec` grows, so what it holds is what the memory budget counts (a shard's
//! document records and offsets grow with its documents until the shard closes).

/// Bytes per chunk.
pub(crate) const CHUNK_BYTES: usize = 4 << 20;

/// Values of type `T` in chunks of [`CHUNK_BYTES`].
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy> Chunked<T> {
    /// An empty list (no chunk allocated yet).
    pub(crate) fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    fn per_chunk() -> usize {
        (CHUNK_BYTES / std::mem::size_of::<T>().max(1)).max(1)
    }

    /// Appends `values`, starting a chunk where the last one is full.
    pub(crate) fn extend_from_slice(&mut self, mut values: &[T]) {
        self.len += values.len();
        while !values.is_empty() {
            let per = Self::per_chunk();
            match self.chunks.last_mut() {
                Some(last) if last.len() < per => {
                    let take = (per - last.len()).min(values.len());
                    last.extend_from_slice(&values[..take]);
                    values = &values[take..];
                }
                _ => self.chunks.push(Vec::with_capacity(per)),
            }
        }
    }

    /// Appends `value`.
    pub(crate) fn push(&mut self, value: T) {
        self.extend_from_slice(std::slice::from_ref(&value));
    }

    /// Values held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes allocated, the chunks' table included.
    pub(crate) fn held_bytes(&self) -> u64 {
        let per = Self::per_chunk() * std::mem::size_of::<T>();
        (self.chunks.len() * (per + std::mem::size_of::<Vec<T>>())) as u64
    }

    /// The chunks, in order.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &[T]> {
        self.chunks.iter().map(Vec::as_slice)
    }
}

impl std::io::Write for Chunked<u8> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_in_order_across_chunks() {
        let mut c: Chunked<u64> = Chunked::new();
        let per = Chunked::<u64>::per_chunk();
        for i in 0..(2 * per as u64 + 5) {
            c.push(i);
        }
        c.extend_from_slice(&[7; 10]);
        let all: Vec<u64> = c.chunks().flatten().copied().collect();
        assert_eq!(all.len(), c.len());
        assert_eq!(all.len(), 2 * per + 15);
        assert!(all[..2 * per + 5]
            .iter()
            .enumerate()
            .all(|(i, &v)| v == i as u64));
        assert_eq!(c.chunks().count(), 3);
        assert!(c.held_bytes() >= 3 * CHUNK_BYTES as u64);
        let empty: Chunked<u8> = Chunked::new();
        assert_eq!((empty.len(), empty.held_bytes()), (0, 0));
    }
}
