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

use crate::events::stats::facts;
use crate::records::{FactRow, PointFilter, StatsFilter};

/// One stint as the on-time rates count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    tier: Tier,
    /// Verified by its 1-day deadline.
    verified_on_time: bool,
    /// Finished (whenever).
    finished: bool,
    /// Finished by its 3- or 5-day deadline.
    finished_on_time: bool,
    /// Its finish deadline: an unfinished stint counts (late) once it has passed.
    done_by: DateTime<Utc>,
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
    stints: Box<[Mark]>,
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
    /// Slots in event id order (rebuilt when an event arrives out of order).
    order: Vec<u32>,
    ordered: bool,
    grids: Codes,
    villages: Codes,
    townships: Codes,
}

/// Which division a filter narrows to, as interned numbers (`Some(None)`: a code no event has).
type Narrow = Option<Option<u32>>;

impl Cube {
    /// An empty cube.
    pub fn new() -> Self {
        Self { ordered: true, ..Self::default() }
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
        let stints: usize = self.facts.iter().map(|f| f.stints.len() * std::mem::size_of::<Mark>() + f.id.len()).sum();
        self.facts.len() * (std::mem::size_of::<Fact>() + 4 + 48) + stints * 2
    }

    /// Adds an event or replaces what is held of it; its stints are replayed with `cal`.
    pub fn put(&mut self, row: &FactRow, cal: &WorkingCalendar) {
        let h = &row.history;
        let f = facts(h, cal);
        let stints = f
            .stints
            .iter()
            .map(|s| Mark {
                tier: s.tier,
                verified_on_time: s.verified_at.is_some_and(|v| v <= s.verify_by),
                finished: s.finished_at.is_some(),
                finished_on_time: s.finished_at.is_some_and(|v| v <= s.done_by),
                done_by: s.done_by,
            })
            .collect();
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
            stints,
        };
        match self.slots.get(h.event_id.as_str()) {
            Some(&slot) => self.facts[slot as usize] = fact,
            None => {
                let slot = u32::try_from(self.facts.len()).unwrap_or(u32::MAX);
                let in_order = self.order.last().is_none_or(|&last| self.facts[last as usize].id < fact.id);
                self.ordered &= in_order;
                self.slots.insert(fact.id.clone(), slot);
                self.facts.push(fact);
                self.order.push(slot);
            }
        }
    }

    /// Stops counting an event the store no longer holds.
    pub fn remove(&mut self, event_id: &str) {
        if let Some(&slot) = self.slots.get(event_id) {
            self.facts[slot as usize].counted = false;
        }
    }

    /// Puts the slots back in event id order if an event arrived out of it.
    pub fn settle(&mut self) {
        if !self.ordered {
            let facts = &self.facts;
            self.order.sort_unstable_by(|&a, &b| facts[a as usize].id.cmp(&facts[b as usize].id));
            self.ordered = true;
        }
    }

    /// The counted events, in event id order.
    fn counted(&self) -> impl Iterator<Item = &Fact> {
        debug_assert!(self.ordered, "settle() before reading");
        self.order.iter().map(|&s| &self.facts[s as usize]).filter(|f| f.counted)
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
        self.counted().filter(move |e| {
            (f.categories.is_empty() || f.categories.contains(&e.category))
                && from.is_none_or(|t| e.reported_ms >= t)
                && to.is_none_or(|t| e.reported_ms < t)
                && Self::within(township, e.township)
                && Self::within(village, e.village)
        })
    }

    /// Where the events matching `f` are, in event id order (what the heatmap draws).
    pub fn positions(&self, f: &PointFilter) -> Vec<(f64, f64)> {
        self.matching_points(f).map(|e| (e.lon, e.lat)).collect()
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
        self.counted().filter(move |e| {
            e.reported_ms >= from
                && e.reported_ms < to
                && Self::within(township, e.township)
                && Self::within(village, e.village)
                && Self::within(grid, e.grid)
        })
    }

    /// Closed events of the period and division for which `due` holds (given id and category).
    pub fn count_closed(&self, f: &StatsFilter, mut due: impl FnMut(&str, Category) -> bool) -> u64 {
        self.matching_period(f).filter(|e| e.closed && due(&e.id, e.category)).count() as u64
    }

    /// The figures of the period and division as of `now`: what
    /// [`wangge_core::stats::figures`] gives for the same events.
    pub fn figures(&self, f: &StatsFilter, now: DateTime<Utc>) -> Figures {
        let mut total = Tally::default();
        let mut categories = [Tally::default(); 4];
        let mut townships = vec![Tally::default(); self.townships.len()];
        let mut villages = vec![Tally::default(); self.villages.len()];
        let mut grids = vec![Tally::default(); self.grids.len()];
        let mut tiers: [Option<Rates>; 5] = [None; 5];
        for e in self.matching_period(f) {
            total.add(e.closed);
            categories[category_slot(e.category)].add(e.closed);
            townships[e.township as usize].add(e.closed);
            villages[e.village as usize].add(e.closed);
            grids[e.grid as usize].add(e.closed);
            for s in e.stints.iter().filter(|s| s.finished || now > s.done_by) {
                let t = tiers[tier_slot(s.tier)].get_or_insert_default();
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
        Figures {
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
        }
    }
}

const TIERS: [Tier; 5] = Tier::ALL;

fn tier_slot(t: Tier) -> usize {
    TIERS.iter().position(|&x| x == t).unwrap_or(0)
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
