//! Token widths: an index stores tokens as `u8` (raw bytes), `u16` or `u32`.
//!
//! Every algorithm is written once, generic over [`Token`]; [`TokenWidth`] picks the width at
//! run time from the index header. The largest value of each width is reserved as the
//! document separator, so a query (whose ids are all below the vocabulary size) never matches
//! across a document boundary.
//!
//! The token type also fixes the order of the suffix array: verbatim sorts suffixes by token
//! id, infini-gram by the bytes of the little-endian stream. [`BytewiseU16`] and
//! [`BytewiseU32`] are the same ids in infini-gram's order ([`Token::key`]); `u8` is the same
//! in both.

use serde::{Deserialize, Serialize};

/// A token id as stored in the token stream.
pub trait Token: bytemuck::Pod + Ord + Copy + Send + Sync + std::fmt::Debug + 'static {
    /// Bytes per token.
    const WIDTH: TokenWidth;
    /// The reserved separator written before every document.
    const SEPARATOR: Self;
    /// Widens to `u32`.
    fn to_u32(self) -> u32;
    /// Narrows from `u32`; the caller guarantees the value fits.
    fn from_u32(v: u32) -> Self;
    /// The key suffixes are ordered by: comparing two suffixes compares the keys of their
    /// tokens one by one. The id itself for verbatim's token types; the token's bytes read
    /// big-endian for [`BytewiseU16`] and [`BytewiseU32`] (infini-gram's order).
    #[inline]
    fn key(self) -> u32 {
        self.to_u32()
    }
    /// [`Token::key`] of a token id (of a query). An id that no token of this type can hold
    /// gets a key above every token's, so it sorts after every suffix.
    #[inline]
    fn key_of(id: u32) -> u32 {
        id
    }
}

impl Token for u8 {
    const WIDTH: TokenWidth = TokenWidth::U8;
    const SEPARATOR: u8 = u8::MAX;
    fn to_u32(self) -> u32 {
        self as u32
    }
    fn from_u32(v: u32) -> u8 {
        v as u8
    }
}

impl Token for u16 {
    const WIDTH: TokenWidth = TokenWidth::U16;
    const SEPARATOR: u16 = u16::MAX;
    fn to_u32(self) -> u32 {
        self as u32
    }
    fn from_u32(v: u32) -> u16 {
        v as u16
    }
}

impl Token for u32 {
    const WIDTH: TokenWidth = TokenWidth::U32;
    const SEPARATOR: u32 = u32::MAX;
    fn to_u32(self) -> u32 {
        self
    }
    fn from_u32(v: u32) -> u32 {
        v
    }
}

/// A 16-bit token of an infini-gram index: the same little-endian id as `u16`, but suffixes
/// are ordered by the bytes of that encoding (`memcmp`), low byte first, so the order key is
/// the id with its bytes swapped. The type carries the order, so every search written for
/// [`Token`] reads infini-gram's suffix arrays in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct BytewiseU16(pub u16);

/// A 32-bit token of an infini-gram index, ordered by its little-endian bytes (see
/// [`BytewiseU16`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct BytewiseU32(pub u32);

impl Ord for BytewiseU16 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.swap_bytes().cmp(&other.0.swap_bytes())
    }
}

impl PartialOrd for BytewiseU16 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BytewiseU32 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.swap_bytes().cmp(&other.0.swap_bytes())
    }
}

impl PartialOrd for BytewiseU32 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Token for BytewiseU16 {
    const WIDTH: TokenWidth = TokenWidth::U16;
    const SEPARATOR: BytewiseU16 = BytewiseU16(u16::MAX);
    #[inline]
    fn to_u32(self) -> u32 {
        self.0 as u32
    }
    fn from_u32(v: u32) -> BytewiseU16 {
        BytewiseU16(v as u16)
    }
    #[inline]
    fn key(self) -> u32 {
        self.0.swap_bytes() as u32
    }
    #[inline]
    fn key_of(id: u32) -> u32 {
        match u16::try_from(id) {
            Ok(v) => v.swap_bytes() as u32,
            Err(_) => id,
        }
    }
}

impl Token for BytewiseU32 {
    const WIDTH: TokenWidth = TokenWidth::U32;
    const SEPARATOR: BytewiseU32 = BytewiseU32(u32::MAX);
    #[inline]
    fn to_u32(self) -> u32 {
        self.0
    }
    fn from_u32(v: u32) -> BytewiseU32 {
        BytewiseU32(v)
    }
    #[inline]
    fn key(self) -> u32 {
        self.0.swap_bytes()
    }
    #[inline]
    fn key_of(id: u32) -> u32 {
        id.swap_bytes()
    }
}

/// The width of the tokens of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenWidth {
    /// One byte per token: raw UTF-8 bytes (`--tokenizer bytes`). Separator 0xFF, which never
    /// occurs in valid UTF-8.
    U8,
    /// Two bytes per token: vocabularies of at most 65,535 ids. Separator 0xFFFF.
    U16,
    /// Four bytes per token: larger vocabularies. Separator 0xFFFF_FFFF.
    U32,
}

impl TokenWidth {
    /// Bytes per token.
    pub fn bytes(self) -> u32 {
        match self {
            TokenWidth::U8 => 1,
            TokenWidth::U16 => 2,
            TokenWidth::U32 => 4,
        }
    }

    /// The width for a byte count, if valid.
    pub fn from_bytes(b: u32) -> Option<TokenWidth> {
        match b {
            1 => Some(TokenWidth::U8),
            2 => Some(TokenWidth::U16),
            4 => Some(TokenWidth::U32),
            _ => None,
        }
    }

    /// The separator id of this width.
    pub fn separator(self) -> u32 {
        match self {
            TokenWidth::U8 => u8::SEPARATOR as u32,
            TokenWidth::U16 => u16::SEPARATOR as u32,
            TokenWidth::U32 => u32::SEPARATOR,
        }
    }

    /// The narrowest width whose ids `0..vocab_size` all stay below the separator.
    pub fn for_vocab(vocab_size: u32) -> TokenWidth {
        if vocab_size <= u16::MAX as u32 {
            TokenWidth::U16
        } else {
            TokenWidth::U32
        }
    }
}
