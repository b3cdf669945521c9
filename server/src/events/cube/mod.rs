//! The county's events held in memory for the figures, the heatmap and the choropleth: one
//! compact fact per event (when, where, what, which divisions, closed or not, and each stint
//! reduced to what the 1-3-5 rates need), so that a province-year of events is answered by a
//! scan of memory instead of a read and a timeline replay of every event. Pure: [`live`] keeps
//! it exact as events arrive, from the store's log of changes.
//!
//! Every answer is the one the store path gives on the same events: the same filters, the same
//! order (event id) where the order shows, and [`wangge_core::stats::figures`]' rules.

pub mod live;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use wangge_core::calendar::WorkingCalendar;
use wangge_core::event::{Category, Tier};
use wangge_core::stats::{Counts, Figures, OnTime};

use wangge_core::dispute::SamplingRule;
use wangge_core::wire::HeatMap;

use crate::events::stats::facts;
use crate::grids::heat::{Extent, Heat};
use crate::records::{FactRow, PointFilter, StatsFilter};

/// One stint as the on-time rates count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    /// Its finish deadline, nanoseconds since the epoch: an unfinished stint counts (late)
    /// once it has passed.
    done_by: i64,
    /// Its tier's place in [`TIERS`].
    tier: u8,
    /// Verified by its 1-day deadline.
    verified_on_time: bool,
    /// Finished (whenever).
    finished: bool,
    /// Finished by its 3- or 5-day deadline.
    finished_on_time: bool,
}

/// One event.
#[derive(Debug, Clone)]
struct Fact {
    id: Box<str>,
    /// Reported at, milliseconds since the epoch (as stored).
    reported_ms: i64,
    lon: f64,
    lat: f64,
    category: Category,
    grid: u32,
    village: u32,
    township: u32,
    closed: bool,
    /// Counted: stored and not marked a duplicate.
    counted: bool,
    /// The id's call-back sampling bucket ([`SamplingRule::bucket`]).
    bucket: u8,
    /// Its stints: `marks[first..first + count]` of the cube.
    first_mark: u32,
    marks: u32,
    /// Open: from when it is past a deadline (ms; `i64::MAX` when closed or removed).
    overdue_from: i64,
}

/// Division codes as small numbers.
#[derive(Debug, Default, Clone)]
struct Codes {
    by_code: HashMap<Box<str>, u32>,
    codes: Vec<Box<str>>,
}

impl Codes {
    fn intern(&mut self, code: &str) -> u32 {
        if let Some(&n) = self.by_code.get(code) {
            return n;
        }
        let n = u32::try_from(self.codes.len()).unwrap_or(u32::MAX);
        self.codes.push(code.into());
        self.by_code.insert(code.into(), n);
        n
    }

    fn get(&self, code: &str) -> Option<u32> {
        self.by_code.get(code).copied()
    }

    fn code(&self, n: u32) -> &str {
        self.codes.get(n as usize).map_or("", |c| c)
    }

    fn len(&self) -> usize {
        self.codes.len()
    }
}

/// The events in memory.
#[derive(Debug, Default, Clone)]
pub struct Cube {
    slots: HashMap<Box<str>, u32>,
    facts: Vec<Fact>,
    /// Every fact's stints, side by side in the order the facts were put (in event id order
    /// after [`Self::settle`]), so that a scan reads them in sequence.
    marks: Vec<Mark>,
    /// Marks no fact refers to any more (replaced): dropped by [`Self::settle`] once they are
    /// half of all.
    stale_marks: usize,
    /// The open events (those with a deadline to miss): slot → done-by deadline (ms;
    /// `i64::MIN` without one, first as in the store's order).
    open: BTreeMap<u32, i64>,
    /// Slots in event id order (rebuilt when an event arrives out of order).
    order: Vec<u32>,
    ordered: bool,
    grids: Codes,
    villages: Codes,
    townships: Codes,
    /// Where the events are.
    extent: Extent,
    /// Per block of [`ZONE`] slots of `order`: the earliest and latest report in it (ms), so
    /// that a period skips the blocks outside it (ids begin with the day, so blocks are days).
    zones: Vec<(i64, i64)>,
}

/// Slots per zone.
const ZONE: usize = 1024;

/// Which division a filter narrows to, as interned numbers (`Some(None)`: a code no event has).
type Narrow = Option<Option<u32>>;

impl Cube {
    /// An empty cube.
    pub fn new() -> Self {
        Self { ordered: true, extent: Extent { bounds: None }, ..Self::default() }
    }

    /// Events held (duplicates and removed events included).
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Whether it holds no event.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Bytes held, roughly (facts, stints, ids and the slot map).
    pub fn bytes(&self) -> usize {
        // Each fact, its slot in the order, its entry in the slot map (key, slot, control
        // byte), its id twice (the fact's and the map's key) and its stints.
        let per_fact = std::mem::size_of::<Fact>() + 4 + std::mem::size_of::<(Box<str>, u32)>() + 1;
        let ids: usize = self.facts.iter().map(|f| 2 * f.id.len()).sum();
        self.facts.len() * per_fact + ids + self.marks.len() * std::mem::size_of::<Mark>()
    }

    /// Adds an event or replaces what is held of it; its stints are replayed with `cal`.
    pub fn put(&mut self, row: &FactRow, cal: &WorkingCalendar) {
        let h = &row.history;
        let f = facts(h, cal);
        let first_mark = u32::try_from(self.marks.len()).unwrap_or(u32::MAX);
        self.marks.extend(f.stints.iter().map(|s| Mark {
            done_by: nanos(s.done_by),
            tier: tier_slot(s.tier),
            verified_on_time: s.verified_at.is_some_and(|v| v <= s.verify_by),
            finished: s.finished_at.is_some(),
            finished_on_time: s.finished_at.is_some_and(|v| v <= s.done_by),
        }));
        let fact = Fact {
            id: h.event_id.as_str().into(),
            reported_ms: row.reported_at.timestamp_millis(),
            lon: row.lon,
            lat: row.lat,
            category: h.category,
            grid: self.grids.intern(&h.place.grid),
            village: self.villages.intern(&h.place.village),
            township: self.townships.intern(&h.place.township),
            closed: f.closed,
            counted: !row.duplicate,
            bucket: SamplingRule::bucket(&h.event_id),
            first_mark,
            marks: u32::try_from(f.stints.len()).unwrap_or(u32::MAX),
            overdue_from: row.overdue_from.map_or(i64::MAX, |t| t.timestamp_millis()),
        };
        let open = (fact.overdue_from != i64::MAX).then(|| row.done_by.map_or(i64::MIN, |t| t.timestamp_millis()));
        self.extent.include(row.lon, row.lat);
        match self.slots.get(h.event_id.as_str()) {
            Some(&slot) => {
                let was = self.facts[slot as usize].reported_ms;
                if was != fact.reported_ms {
                    // Not something a report does; the zones are made again.
                    self.ordered = false;
                }
                self.stale_marks += self.facts[slot as usize].marks as usize;
                self.facts[slot as usize] = fact;
                self.mark_open(slot, open);
            }
            None => {
                let slot = u32::try_from(self.facts.len()).unwrap_or(u32::MAX);
                let in_order = self.order.last().is_none_or(|&last| self.facts[last as usize].id < fact.id);
                self.ordered &= in_order;
                let ms = fact.reported_ms;
                self.slots.insert(fact.id.clone(), slot);
                self.facts.push(fact);
                self.mark_open(slot, open);
                self.order.push(slot);
                if in_order {
                    let zone = (self.order.len() - 1) / ZONE;
                    match self.zones.get_mut(zone) {
                        Some(z) => *z = (z.0.min(ms), z.1.max(ms)),
                        None => self.zones.push((ms, ms)),
                    }
                }
            }
        }
    }

    /// Stops counting an event the store no longer holds.
    pub fn remove(&mut self, event_id: &str) {
        if let Some(&slot) = self.slots.get(event_id) {
            self.facts[slot as usize].counted = false;
            self.facts[slot as usize].overdue_from = i64::MAX;
            self.mark_open(slot, None);
        }
    }

    /// Keeps `slot` among the open events with its done-by deadline, or not.
    fn mark_open(&mut self, slot: u32, done_by: Option<i64>) {
        match done_by {
            Some(ms) => self.open.insert(slot, ms),
            None => self.open.remove(&slot),
        };
    }

    /// The open events of the filter's division past a deadline at `now` (ms), with their
    /// done-by deadlines.
    fn overdue_facts<'a>(&'a self, f: &StatsFilter, now: i64) -> impl Iterator<Item = (&'a Fact, i64)> + 'a {
        let township = Self::narrow(&self.townships, f.township.as_ref());
        let village = Self::narrow(&self.villages, f.village.as_ref());
        let grid = Self::narrow(&self.grids, f.grid.as_ref());
        self.open.iter().map(|(&s, &done_by)| (&self.facts[s as usize], done_by)).filter(move |(e, _)| {
            e.overdue_from < now
                && Self::within(township, e.township)
                && Self::within(village, e.village)
                && Self::within(grid, e.grid)
        })
    }

    /// The ids of the first `n` events [`Self::overdue`] counts, in the store's order for
    /// them: soonest done-by first (none before any), then by id.
    pub fn overdue_first(&self, f: &StatsFilter, now: DateTime<Utc>, n: usize) -> Vec<String> {
        if n == 0 {
            return Vec::new();
        }
        let mut found: Vec<(i64, &str)> =
            self.overdue_facts(f, now.timestamp_millis()).map(|(e, done_by)| (done_by, &*e.id)).collect();
        if found.len() > n {
            found.select_nth_unstable(n);
            found.truncate(n);
        }
        found.sort_unstable();
        found.into_iter().map(|(_, id)| id.to_owned()).collect()
    }

    /// How many events of the filter's division are open past a deadline at `now`, whenever
    /// reported, marked duplicates included: what the store's `overdue` filter counts.
    pub fn overdue(&self, f: &StatsFilter, now: DateTime<Utc>) -> u64 {
        self.overdue_facts(f, now.timestamp_millis()).count() as u64
    }

    /// Puts the slots back in event id order if an event arrived out of it, and the stints in
    /// the same order once replaced ones are half of them.
    pub fn settle(&mut self) {
        let reorder = !self.ordered;
        if reorder {
            let facts = &self.facts;
            self.order.sort_unstable_by(|&a, &b| facts[a as usize].id.cmp(&facts[b as usize].id));
            self.zones = self
                .order
                .chunks(ZONE)
                .map(|block| {
                    let times = block.iter().map(|&s| facts[s as usize].reported_ms);
                    times.fold((i64::MAX, i64::MIN), |z, t| (z.0.min(t), z.1.max(t)))
                })
                .collect();
            self.ordered = true;
        }
        if reorder || self.stale_marks * 2 > self.marks.len() {
            let mut marks = Vec::with_capacity(self.marks.len() - self.stale_marks);
            for &slot in &self.order {
                let fact = &mut self.facts[slot as usize];
                let first = u32::try_from(marks.len()).unwrap_or(u32::MAX);
                marks.extend_from_slice(Self::stints_in(&self.marks, fact));
                fact.first_mark = first;
            }
            self.marks = marks;
            self.stale_marks = 0;
        }
    }

    /// A fact's stints.
    fn stints_in<'a>(marks: &'a [Mark], fact: &Fact) -> &'a [Mark] {
        let first = fact.first_mark as usize;
        marks.get(first..first + fact.marks as usize).unwrap_or_default()
    }

    /// The counted events reported in `[from, to)` (ms; either end open), in event id order:
    /// the blocks of slots wholly outside the period are skipped.
    fn counted(&self, from: Option<i64>, to: Option<i64>) -> impl Iterator<Item = &Fact> {
        debug_assert!(self.ordered, "settle() before reading");
        self.order
            .chunks(ZONE)
            .zip(&self.zones)
            .filter(move |(_, &(earliest, latest))| from.is_none_or(|f| latest >= f) && to.is_none_or(|t| earliest < t))
            .flat_map(|(block, _)| block.iter())
            .map(|&s| &self.facts[s as usize])
            .filter(|f| f.counted)
    }

    fn narrow(codes: &Codes, code: Option<&String>) -> Narrow {
        code.map(|c| codes.get(c))
    }

    fn within(n: Narrow, value: u32) -> bool {
        match n {
            None => true,
            Some(Some(v)) => v == value,
            Some(None) => false,
        }
    }

    /// The events a heatmap or choropleth counts, in event id order.
    fn matching_points<'a>(&'a self, f: &'a PointFilter) -> impl Iterator<Item = &'a Fact> + 'a {
        let township = Self::narrow(&self.townships, f.township.as_ref());
        let village = Self::narrow(&self.villages, f.village.as_ref());
        let from = f.from.map(|t| t.timestamp_millis());
        let to = f.to.map(|t| t.timestamp_millis());
        self.counted(from, to).filter(move |e| {
            (f.categories.is_empty() || f.categories.contains(&e.category))
                && from.is_none_or(|t| e.reported_ms >= t)
                && to.is_none_or(|t| e.reported_ms < t)
                && Self::within(township, e.township)
                && Self::within(village, e.village)
        })
    }

    /// The heatmap of the events matching `f`: [`crate::grids::heat::heat`] of their positions.
    pub fn heat(&self, f: &PointFilter, cell_deg: f64, max_points: usize) -> HeatMap {
        let mut heat = Heat::new(cell_deg, max_points, self.extent);
        for e in self.matching_points(f) {
            heat.add(e.lon, e.lat);
        }
        heat.finish()
    }

    /// The events matching `f` with the grid each was reported in, in event id order.
    pub fn points<'a>(&'a self, f: &'a PointFilter) -> impl Iterator<Item = (f64, f64, &'a str)> + 'a {
        self.matching_points(f).map(|e| (e.lon, e.lat, self.grids.code(e.grid)))
    }

    /// Events matching `f` per grid code they were reported in.
    pub fn grid_counts(&self, f: &PointFilter) -> HashMap<&str, u64> {
        let mut counts = vec![0u64; self.grids.len()];
        for e in self.matching_points(f) {
            counts[e.grid as usize] += 1;
        }
        counts.iter().enumerate().filter(|(_, &n)| n > 0).map(|(g, &n)| (self.grids.code(g as u32), n)).collect()
    }

    /// The events of the figures' period and division.
    fn matching_period<'a>(&'a self, f: &'a StatsFilter) -> impl Iterator<Item = &'a Fact> + 'a {
        let township = Self::narrow(&self.townships, f.township.as_ref());
        let village = Self::narrow(&self.villages, f.village.as_ref());
        let grid = Self::narrow(&self.grids, f.grid.as_ref());
        let (from, to) = (f.from.timestamp_millis(), f.to.timestamp_millis());
        self.counted(Some(from), Some(to)).filter(move |e| {
            e.reported_ms >= from
                && e.reported_ms < to
                && Self::within(township, e.township)
                && Self::within(village, e.village)
                && Self::within(grid, e.grid)
        })
    }

    /// The figures of the period and division as of `now` (what
    /// [`wangge_core::stats::figures`] gives for the same events), and how many of its closed
    /// events `rule` calls back.
    pub fn figures(&self, f: &StatsFilter, now: DateTime<Utc>, rule: &SamplingRule) -> (Figures, u64) {
        let always = Category::ALL.map(|c| rule.always.iter().any(|a| a == c.as_str()));
        let share = rule.share_percent.min(100);
        let mut callbacks = 0u64;
        let mut total = Tally::default();
        let mut categories = [Tally::default(); 4];
        let mut townships = vec![Tally::default(); self.townships.len()];
        let mut villages = vec![Tally::default(); self.villages.len()];
        let mut grids = vec![Tally::default(); self.grids.len()];
        let mut tiers: [Option<Rates>; 5] = [None; 5];
        let now = nanos(now);
        for e in self.matching_period(f) {
            callbacks += u64::from(e.closed && (always[category_slot(e.category)] || e.bucket < share));
            total.add(e.closed);
            categories[category_slot(e.category)].add(e.closed);
            townships[e.township as usize].add(e.closed);
            villages[e.village as usize].add(e.closed);
            grids[e.grid as usize].add(e.closed);
            for s in Self::stints_in(&self.marks, e).iter().filter(|s| s.finished || now > s.done_by) {
                let t = tiers[usize::from(s.tier)].get_or_insert_default();
                t.stints += 1;
                t.verified += usize::from(s.verified_on_time);
                t.finished += usize::from(s.finished_on_time);
            }
        }
        let by = |tallies: &[Tally], codes: &Codes| -> BTreeMap<String, Counts> {
            tallies
                .iter()
                .enumerate()
                .filter(|(_, t)| t.reported > 0)
                .map(|(n, t)| (codes.code(n as u32).to_owned(), t.counts()))
                .collect()
        };
        let figures = Figures {
            total: total.counts(),
            by_category: Category::ALL.iter().map(|&c| (c.as_str(), categories[category_slot(c)].counts())).collect(),
            by_township: by(&townships, &self.townships),
            by_village: by(&villages, &self.villages),
            by_grid: by(&grids, &self.grids),
            on_time: TIERS
                .iter()
                .zip(tiers)
                .filter_map(|(tier, rates)| rates.map(|r| (tier.as_str(), r.on_time())))
                .collect(),
        };
        (figures, callbacks)
    }
}

const TIERS: [Tier; 5] = Tier::ALL;

fn tier_slot(t: Tier) -> u8 {
    TIERS.iter().position(|&x| x == t).and_then(|n| u8::try_from(n).ok()).unwrap_or(0)
}

/// An instant as nanoseconds since the epoch: ordered as the instants are (an instant beyond
/// 2262 as the last one).
fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

fn category_slot(c: Category) -> usize {
    Category::ALL.iter().position(|&x| x == c).unwrap_or(0)
}

/// Reported and closed, counted.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    reported: usize,
    closed: usize,
}

impl Tally {
    fn add(&mut self, closed: bool) {
        self.reported += 1;
        self.closed += usize::from(closed);
    }

    fn counts(self) -> Counts {
        Counts::of(self.reported, self.closed)
    }
}

/// A tier's decided stints, counted.
#[derive(Debug, Default, Clone, Copy)]
struct Rates {
    stints: usize,
    verified: usize,
    finished: usize,
}

impl Rates {
    fn on_time(self) -> OnTime {
        OnTime::of(self.stints, self.verified, self.finished)
    }
}

#[cfg(test)]
mod tests;
