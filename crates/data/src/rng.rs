//! The few sampling primitives every generator shares, so that "uniform over a list" means the
//! same draws everywhere and a seed fixes every byte of the output.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The generator of every seeded dataset. `StdRng` is stable for a given `rand` version, which
/// `Cargo.lock` pins, so the same seed gives the same bytes on every machine.
pub(crate) fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A uniform element of a non-empty list.
///
/// # Panics
/// If `items` is empty; the grammar's lists never are.
pub(crate) fn pick<T: Copy, R: Rng + ?Sized>(rng: &mut R, items: &[T]) -> T {
    items[rng.random_range(..items.len())]
}

/// True with probability `p` (in `[0, 1]`): `p = 0` never, `p = 1` always.
pub(crate) fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A uniform ordered pair of different indices below `n`.
///
/// # Panics
/// If `n < 2`.
pub(crate) fn two_distinct<R: Rng + ?Sized>(rng: &mut R, n: usize) -> (usize, usize) {
    let first = rng.random_range(..n);
    (first, other_than(rng, n, first))
}

/// A uniform index below `n` other than `excluded`.
///
/// # Panics
/// If `n < 2`.
pub(crate) fn other_than<R: Rng + ?Sized>(rng: &mut R, n: usize, excluded: usize) -> usize {
    let index = rng.random_range(..n - 1);
    if index >= excluded {
        index + 1
    } else {
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_distinct_covers_every_ordered_pair_uniformly() {
        let mut rng = seeded(0);
        let mut counts = [[0u32; 3]; 3];
        for _ in 0..6000 {
            let (a, b) = two_distinct(&mut rng, 3);
            counts[a][b] += 1;
        }
        for (a, row) in counts.iter().enumerate() {
            for (b, &count) in row.iter().enumerate() {
                if a == b {
                    assert_eq!(count, 0);
                } else {
                    assert!((850..1150).contains(&count), "{a},{b}: {count}");
                }
            }
        }
    }
}
