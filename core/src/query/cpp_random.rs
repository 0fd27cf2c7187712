//! The two pieces of C++'s `<random>` that infini-gram's CNF search samples with:
//! `std::mt19937` (fully specified by the standard) and libstdc++'s
//! `std::uniform_int_distribution<uint64_t>` over it as GCC 10 and earlier compute it
//! (rejection, then division, for ranges below 2^32; the upscaling loop above). GCC 11
//! switched small ranges to Lemire's method, which draws nearby but different values: checked
//! against infini-gram 2.6.0's wheel, whose sampled CNF windows are the older method's. Reproducing them draws the same
//! sample of occurrences as infini-gram from the same suffix array, so an approximate CNF
//! count on an infini-gram index equals infini-gram's.

/// The 32-bit Mersenne Twister, `std::mt19937`.
pub struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    /// A generator seeded like `std::mt19937 gen(seed)`.
    pub fn new(seed: u32) -> Mt19937 {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            state[i] = 1_812_433_253u32
                .wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: 624 }
    }

    fn twist(&mut self) {
        for i in 0..624 {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % 624] & 0x7fff_ffff);
            let mut v = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.index = 0;
    }

    /// The next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `std::uniform_int_distribution<uint64_t>(a, b)(gen)` as libstdc++ computes it.
    pub fn uniform_u64(&mut self, a: u64, b: u64) -> u64 {
        a + self.below_inclusive(b.wrapping_sub(a))
    }

    /// A value in `0..=range`.
    fn below_inclusive(&mut self, range: u64) -> u64 {
        const URNG_RANGE: u64 = u32::MAX as u64;
        if range < URNG_RANGE {
            // Downscaling, as libstdc++ did it before GCC 11 (infini-gram 2.6.0's wheel was
            // built with it): outputs at or above the largest multiple of the range are
            // redrawn, the rest divided down.
            let erange = range + 1;
            let scaling = URNG_RANGE / erange;
            let past = erange * scaling;
            loop {
                let ret = self.next_u32() as u64;
                if ret < past {
                    return ret / scaling;
                }
            }
        } else if range > URNG_RANGE {
            // Upscaling: a high part drawn recursively, a low part from one output.
            const ERNG: u64 = URNG_RANGE + 1;
            loop {
                let high = self.below_inclusive(range / ERNG);
                let tmp = ERNG.wrapping_mul(high);
                let ret = tmp.wrapping_add(self.next_u32() as u64);
                if !(ret > range || ret < tmp) {
                    return ret;
                }
            }
        } else {
            self.next_u32() as u64
        }
    }
}

/// `(uint64_t)x` for a non-negative `double` as GCC compiles it for x86-64, where infini-gram
/// runs: exact below 2^64 (truncated), and 0 from 2^64 on (`cvttsd2si` gives its "integer
/// indefinite" `1 << 63`, which the conversion's sign flip makes 0). Rust's `as u64`
/// saturates there instead, so an approximate CNF count that overflowed was 2^64 - 1 where
/// infini-gram reports 0.
pub(crate) fn x86_64_double_to_u64(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x < TWO_63 {
        x as u64
    } else if x < 2.0 * TWO_63 {
        ((x - TWO_63) as u64) ^ (1 << 63)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_convert_as_on_x86_64() {
        assert_eq!(x86_64_double_to_u64(0.0), 0);
        assert_eq!(x86_64_double_to_u64(12.9), 12);
        assert_eq!(x86_64_double_to_u64(9.3e18), 9_300_000_000_000_000_000);
        // From 2^64 on, 0 (infini-gram's answer to a count past 2^64; a review measured it).
        assert_eq!(x86_64_double_to_u64(18_446_744_073_709_551_616.0), 0);
        assert_eq!(x86_64_double_to_u64(1e30), 0);
    }

    #[test]
    fn mt19937_matches_the_standard() {
        // C++11 [rand.predef]: the 10000th output of a default-seeded mt19937 is 4123659995.
        let mut g = Mt19937::new(5489);
        let mut x = 0;
        for _ in 0..10_000 {
            x = g.next_u32();
        }
        assert_eq!(x, 4_123_659_995);
    }

    #[test]
    fn uniform_draws_what_infini_grams_wheel_draws() {
        // infini-gram 2.6.0 sampling a 50,000-rank window out of the 8,904,819 occurrences
        // of "\n" in the medium corpus (OLMo tokenizer): offset 3,957,024, the pre-GCC-11
        // draw (Lemire's method would give 3,956,674); raw first output 1919156834.
        let mut g = Mt19937::new(19_260_817);
        assert_eq!(g.next_u32(), 1_919_156_834);
        let mut g = Mt19937::new(19_260_817);
        assert_eq!(g.uniform_u64(0, 8_904_819 - 50_000), 3_957_024);
    }

    #[test]
    fn uniform_stays_in_range_and_draws_once_for_a_point() {
        let mut g = Mt19937::new(19_260_817);
        for b in [0u64, 1, 7, 1000, u32::MAX as u64, 1 << 40] {
            for _ in 0..100 {
                assert!(g.uniform_u64(3, 3 + b) <= 3 + b);
            }
        }
        let (mut a, mut b) = (Mt19937::new(1), Mt19937::new(1));
        a.uniform_u64(0, 0);
        b.next_u32();
        assert_eq!(a.next_u32(), b.next_u32());
    }
}
