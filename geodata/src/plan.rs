//! Decisions of the demo county that are not geometry: seeds, how many grids each village
//! gets, cell budgets for communities. All from one fixed seed.

/// SplitMix64: small, fast and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// Splits `total` into integers proportional to `weights`, each at least 1 (largest remainder).
pub fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let spare = total.saturating_sub(n) as f64;
    let sum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let exact: Vec<f64> = weights.iter().map(|w| spare * w / sum).collect();
    let mut out: Vec<usize> = exact.iter().map(|e| 1 + e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    let mut left = total.saturating_sub(out.iter().sum());
    for &i in order.iter().cycle().take(left.min(n * 4)) {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// Mitchell's best-candidate sampling: picks `n` cells of `cells`, each the farthest of `k`
/// random candidates from those already chosen (and from `avoid`, weighted by `avoid_scale`).
pub fn spread_seeds(
    rng: &mut Rng,
    cells: &[(f64, f64, usize)],
    n: usize,
    avoid: &[(f64, f64)],
    avoid_scale: f64,
) -> Vec<usize> {
    let mut chosen: Vec<(f64, f64, usize)> = Vec::with_capacity(n);
    while chosen.len() < n.min(cells.len()) {
        let mut best: Option<((f64, f64, usize), f64)> = None;
        for _ in 0..12 {
            let c = cells[rng.below(cells.len())];
            if chosen.iter().any(|s| s.2 == c.2) {
                continue;
            }
            let d_own = chosen.iter().map(|s| d2(c, (s.0, s.1))).fold(f64::INFINITY, f64::min);
            let d_avoid = avoid.iter().map(|&a| d2(c, a) * avoid_scale).fold(f64::INFINITY, f64::min);
            let score = d_own.min(d_avoid);
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((c, score));
            }
        }
        if let Some((c, _)) = best {
            chosen.push(c);
        }
    }
    chosen.into_iter().map(|c| c.2).collect()
}

fn d2(c: (f64, f64, usize), p: (f64, f64)) -> f64 {
    (c.0 - p.0).powi(2) + (c.1 - p.1).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_sums_and_floors() {
        let v = apportion(972, &[1.0, 2.0, 3.0, 0.0]);
        assert_eq!(v.iter().sum::<usize>(), 972);
        assert!(v.iter().all(|&x| x >= 1));
        assert_eq!(apportion(3, &[5.0, 1.0, 1.0]), vec![1, 1, 1]);
    }
}
