//! Exact points with rational coordinates in lattice units, so that every vertex of the
//! generated partition is computed once and compared exactly.

use std::cmp::Ordering;

/// A point `(x / d, y / d)` with `d > 0` and `gcd(x, y, d) == 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RPoint {
    /// Numerator of x.
    pub x: i64,
    /// Numerator of y.
    pub y: i64,
    /// Common positive denominator.
    pub d: i64,
}

impl RPoint {
    /// An integer point.
    pub fn int(x: i64, y: i64) -> Self {
        Self { x, y, d: 1 }
    }

    /// A normalised rational point.
    pub fn new(x: i64, y: i64, d: i64) -> Self {
        let (x, y, d) = if d < 0 { (-x, -y, -d) } else { (x, y, d) };
        let g = gcd(gcd(x.abs(), y.abs()), d).max(1);
        Self { x: x / g, y: y / g, d: d / g }
    }

    /// The point as floating-point lattice coordinates (same inputs, same bits).
    pub fn to_f64(self) -> (f64, f64) {
        if self.d == 1 {
            (self.x as f64, self.y as f64)
        } else {
            (self.x as f64 / self.d as f64, self.y as f64 / self.d as f64)
        }
    }

    /// `floor(x / 2^k ... )`-style cell index helper: floor of `(x/d - origin) / step`.
    pub fn floor_div_x(self, origin: i64, step: i64) -> i64 {
        floor_div(self.x - origin * self.d, step * self.d)
    }

    /// As [`Self::floor_div_x`] for y.
    pub fn floor_div_y(self, origin: i64, step: i64) -> i64 {
        floor_div(self.y - origin * self.d, step * self.d)
    }

    /// Midpoint of two points.
    pub fn mid(self, o: Self) -> Self {
        Self::new(self.x * o.d + o.x * self.d, self.y * o.d + o.y * self.d, 2 * self.d * o.d)
    }
}

/// Exact orientation of `c` relative to the line `a → b`: positive when counter-clockwise.
pub fn orient(a: RPoint, b: RPoint, c: RPoint) -> Ordering {
    let (a, b, c) = (wide(a), wide(b), wide(c));
    let abx = b.0 * a.2 - a.0 * b.2;
    let aby = b.1 * a.2 - a.1 * b.2;
    let acx = c.0 * a.2 - a.0 * c.2;
    let acy = c.1 * a.2 - a.1 * c.2;
    // Both vectors carry positive scale factors (a.d*b.d and a.d*c.d), so the sign is exact.
    (abx * acy - aby * acx).cmp(&0)
}

fn wide(p: RPoint) -> (i128, i128, i128) {
    (p.x as i128, p.y as i128, p.d as i128)
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_orients() {
        assert_eq!(RPoint::new(4, 6, 2), RPoint::int(2, 3));
        assert_eq!(RPoint::new(-1, 1, -2), RPoint::new(1, -1, 2));
        let (a, b) = (RPoint::int(0, 0), RPoint::int(4, 4));
        assert_eq!(orient(a, b, RPoint::new(1, 1, 3)), Ordering::Equal);
        assert_eq!(orient(a, b, RPoint::int(0, 1)), Ordering::Greater);
        assert_eq!(RPoint::new(3, 0, 2).floor_div_x(1, 2), 0);
        assert_eq!(RPoint::new(-1, 0, 2).floor_div_x(1, 2), -1);
    }
}
