//! The planner's draft (边界草稿) in memory: the grids of one village or township as GeoJSON
//! features, the edits on them (split, merge, properties, bound gridworkers, moved vertices,
//! an imported file) and their undo and redo history. Every feature keeps a `gridworkers`
//! list (the person ids bound to the grid), which publishing makes the grid's bindings.

use std::collections::HashSet;

use serde_json::Value;
use wangge_core::wire::draft::{DraftArea, DraftRequest, GridCollection, GridFeature, GridProperties};

use super::geometry::{self, Multi};

/// A draft: the base it started from and its grids now, with the history of edits.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The generation of the published grids the draft started from.
    pub base_generation: i64,
    /// The village or township, as the service gave it.
    pub area: DraftArea,
    /// The grids as published at the start (for the old-vs-new view).
    pub base: Vec<GridFeature>,
    /// The grids now: GeoJSON features with the code as id.
    pub grids: Vec<GridFeature>,
    undo: Vec<Vec<GridFeature>>,
    redo: Vec<Vec<GridFeature>>,
}

/// The editable properties of a grid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Props {
    /// 网格编码.
    pub code: String,
    /// 网格名称.
    pub name: String,
    /// `community`, `rural` or `street_unit`.
    pub kind: String,
    /// The parent community grid of a street unit.
    pub parent_grid: String,
}

/// A text property of a feature ('' when missing).
pub fn prop(f: &GridFeature, k: impl Fn(&GridProperties) -> &Option<String>) -> String {
    f.properties.as_ref().and_then(|p| k(p).clone()).unwrap_or_default()
}

/// The grid code of a feature.
pub fn code(f: &GridFeature) -> String {
    f.code().to_owned()
}

/// The person ids bound to a grid (绑定网格员): its `gridworkers` property.
pub fn gridworkers(f: &GridFeature) -> Vec<String> {
    f.properties.as_ref().and_then(|p| p.gridworkers.clone()).unwrap_or_default()
}

fn set_gridworkers(f: &mut GridFeature, ids: &[String]) {
    if let Some(props) = f.properties.as_mut() {
        props.gridworkers = Some(ids.to_vec());
    }
}

/// The properties of a feature, to change (made when it has none).
fn props_mut(f: &mut GridFeature) -> &mut GridProperties {
    f.properties.get_or_insert_with(GridProperties::default)
}

impl Draft {
    /// A draft of `grids` at `generation` for `area`.
    pub fn new(base_generation: i64, area: DraftArea, grids: GridCollection) -> Self {
        let mut features = grids.features;
        for f in &mut features {
            let list = gridworkers(f);
            set_gridworkers(f, &list);
        }
        Self { base_generation, area, base: features.clone(), grids: features, undo: Vec::new(), redo: Vec::new() }
    }

    /// The grids as a FeatureCollection.
    pub fn collection(&self) -> GridCollection {
        GridCollection::new(self.grids.clone())
    }

    /// The base grids as a FeatureCollection.
    pub fn base_collection(&self) -> GridCollection {
        GridCollection::new(self.base.clone())
    }

    /// The body of `check` (and, with a note, of `publish`).
    pub fn body(&self) -> DraftRequest {
        DraftRequest { base_generation: self.base_generation, area: self.area.clone(), grids: self.collection(), crs: None, note: None }
    }

    /// The village of the area (or of the first grid, for a township).
    pub fn village(&self) -> String {
        self.area.village.clone()
            .or_else(|| self.grids.first().map(|f| prop(f, |p| &p.village_code)))
            .unwrap_or_default()
    }

    /// Whether there is something to undo / redo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// See [`Draft::can_undo`].
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Whether the draft differs from its base.
    pub fn changed(&self) -> bool {
        self.grids != self.base
    }

    /// Keeps the grids now for undo, before an edit.
    fn remember(&mut self) {
        self.undo.push(self.grids.clone());
        self.redo.clear();
    }

    /// 撤销.
    pub fn undo(&mut self) -> bool {
        let Some(before) = self.undo.pop() else { return false };
        self.redo.push(std::mem::replace(&mut self.grids, before));
        true
    }

    /// 重做.
    pub fn redo(&mut self) -> bool {
        let Some(after) = self.redo.pop() else { return false };
        self.undo.push(std::mem::replace(&mut self.grids, after));
        true
    }

    /// The grid with `code`.
    pub fn grid(&self, code: &str) -> Option<&GridFeature> {
        self.grids.iter().find(|f| self::code(f) == code)
    }

    fn index(&self, code: &str) -> Option<usize> {
        self.grids.iter().position(|f| self::code(f) == code)
    }

    /// The properties of a grid.
    pub fn props(&self, code: &str) -> Option<Props> {
        let f = self.grid(code)?;
        Some(Props {
            code: prop(f, |p| &p.code),
            name: prop(f, |p| &p.name),
            kind: prop(f, |p| &p.kind),
            parent_grid: prop(f, |p| &p.parent_grid),
        })
    }

    /// Sets the properties of grid `code`; street units of a renamed code follow it.
    pub fn set_props(&mut self, code: &str, p: &Props) -> Result<(), String> {
        let i = self.index(code).ok_or("网格不在草稿中")?;
        let new_code = p.code.trim().to_owned();
        if new_code.is_empty() {
            return Err("网格编码不能为空".to_owned());
        }
        if new_code != code && self.index(&new_code).is_some() {
            return Err(format!("编码 {new_code} 已被草稿中的另一网格使用"));
        }
        self.remember();
        let parent = p.parent_grid.trim();
        let f = &mut self.grids[i];
        f.id = Some(new_code.clone());
        let props = props_mut(f);
        props.code = Some(new_code.clone());
        props.name = Some(p.name.trim().to_owned());
        props.kind = Some(p.kind.clone());
        props.parent_grid = if parent.is_empty() { None } else { Some(parent.to_owned()) };
        if new_code != code {
            for g in &mut self.grids {
                if prop(g, |p| &p.parent_grid) == code {
                    props_mut(g).parent_grid = Some(new_code.clone());
                }
            }
        }
        Ok(())
    }

    /// 绑定网格员: person `id` (trimmed) is bound to grid `code` too.
    pub fn bind(&mut self, code: &str, id: &str) -> Result<(), String> {
        let i = self.index(code).ok_or("网格不在草稿中")?;
        let id = id.trim();
        if id.is_empty() {
            return Err("请输入网格员编号".to_owned());
        }
        let mut ids = gridworkers(&self.grids[i]);
        if ids.iter().any(|x| x == id) {
            return Err(format!("网格员 {id} 已绑定此网格"));
        }
        ids.push(id.to_owned());
        self.remember();
        set_gridworkers(&mut self.grids[i], &ids);
        Ok(())
    }

    /// 解除绑定: person `id` is no longer bound to grid `code`.
    pub fn unbind(&mut self, code: &str, id: &str) -> Result<(), String> {
        let i = self.index(code).ok_or("网格不在草稿中")?;
        let mut ids = gridworkers(&self.grids[i]);
        let before = ids.len();
        ids.retain(|x| x != id);
        if ids.len() == before {
            return Err(format!("网格员 {id} 未绑定此网格"));
        }
        self.remember();
        set_gridworkers(&mut self.grids[i], &ids);
        Ok(())
    }

    /// The next free code of the village: its code and a 3-digit number above every one in use
    /// (in the draft or its base).
    pub fn next_code(&self, village: &str) -> String {
        let used = self.grids.iter().chain(self.base.iter()).map(code);
        let top = used
            .filter_map(|c| c.strip_prefix(village).and_then(|n| n.parse::<u32>().ok()))
            .max()
            .unwrap_or(0);
        format!("{village}{:03}", top + 1)
    }

    /// 拆分: grid `code` keeps `parts[0]`; a new grid (next free code, "<name>（拆分）") gets
    /// `parts[1]`. The cut's new vertices are welded into the neighbours' edges. Answers the
    /// new code.
    pub fn split(&mut self, code: &str, parts: &[Value]) -> Result<String, String> {
        let i = self.index(code).ok_or("网格不在草稿中")?;
        let [first, second] = parts else { return Err(format!("拆分应得到两部分，服务返回了 {} 部分", parts.len())) };
        let (a, b) = (geometry::read(first).ok_or("拆分结果不是面")?, geometry::read(second).ok_or("拆分结果不是面")?);
        let old: Vec<_> = geometry::read(&self.grids[i].geometry).map(|m| geometry::vertices(&m).collect()).unwrap_or_default();
        let cut: Vec<_> = geometry::vertices(&a).chain(geometry::vertices(&b)).filter(|p| !old.contains(p)).collect();
        let village = match prop(&self.grids[i], |p| &p.village_code) {
            v if v.is_empty() => self.village(),
            v => v,
        };
        let new_code = self.next_code(&village);
        self.remember();
        let mut twin = self.grids[i].clone();
        self.grids[i].geometry = geometry::write(&a);
        twin.id = Some(new_code.clone());
        twin.geometry = geometry::write(&b);
        let name = format!("{}（拆分）", prop(&self.grids[i], |p| &p.name));
        let twin_props = props_mut(&mut twin);
        twin_props.code = Some(new_code.clone());
        twin_props.name = Some(name);
        set_gridworkers(&mut twin, &[]);
        self.grids.insert(i + 1, twin);
        self.weld_except(&[code, &new_code], &cut);
        Ok(new_code)
    }

    fn weld_except(&mut self, skip: &[&str], points: &[geometry::Point]) {
        for f in &mut self.grids {
            if skip.contains(&code(f).as_str()) {
                continue;
            }
            if let Some(mut m) = geometry::read(&f.geometry) {
                if geometry::weld(&mut m, points) {
                    f.geometry = geometry::write(&m);
                }
            }
        }
    }

    /// 合并: grid `b` joins grid `a` (their shared edges dissolved; a MultiPolygon of both when
    /// they share none exactly, for the check to judge). Street units of `b` move to `a`, and
    /// so do its gridworkers.
    pub fn merge(&mut self, a: &str, b: &str) -> Result<(), String> {
        if a == b {
            return Err("请选择两个不同的网格".to_owned());
        }
        let (ia, ib) = (self.index(a).ok_or("网格不在草稿中")?, self.index(b).ok_or("网格不在草稿中")?);
        let ga = geometry::read(&self.grids[ia].geometry).ok_or("网格几何无法读取")?;
        let gb = geometry::read(&self.grids[ib].geometry).ok_or("网格几何无法读取")?;
        let union: Multi = geometry::dissolve(&ga, &gb).unwrap_or_else(|| ga.iter().chain(gb.iter()).cloned().collect());
        let mut ids = gridworkers(&self.grids[ia]);
        for id in gridworkers(&self.grids[ib]) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.remember();
        self.grids[ia].geometry = geometry::write(&union);
        set_gridworkers(&mut self.grids[ia], &ids);
        self.grids.remove(ib);
        for g in &mut self.grids {
            if prop(g, |p| &p.parent_grid) == b {
                props_mut(g).parent_grid = Some(a.to_owned());
            }
        }
        Ok(())
    }

    /// 导入: the grids of an imported file replace the draft's, as one step to undo; each
    /// feature gets its code as id, like the service's, and, when the file names none, the
    /// gridworkers bound to its code now (none for a new code).
    pub fn replace(&mut self, features: Vec<GridFeature>) {
        let bound = |c: &str| self.base.iter().find(|f| f.code() == c).map(gridworkers).unwrap_or_default();
        let features: Vec<GridFeature> = features
            .into_iter()
            .map(|mut f| {
                let c = code(&f);
                if f.properties.as_ref().is_none_or(|p| p.gridworkers.is_none()) {
                    set_gridworkers(&mut f, &bound(&c));
                }
                if !c.is_empty() {
                    f.id = Some(c);
                }
                f
            })
            .collect();
        self.remember();
        self.grids = features;
    }

    /// Takes the grids after vertices were dragged on the map (repeated points removed). A
    /// vertex dropped on another grid's edge is inserted into that edge, so the boundary stays
    /// shared.
    pub fn moved(&mut self, collection: GridCollection) {
        let mut features = collection.features;
        let key = |p: &geometry::Point| (p[0].to_bits(), p[1].to_bits());
        let all = |grids: &[GridFeature]| -> Vec<geometry::Point> {
            grids.iter().filter_map(|f| geometry::read(&f.geometry)).flat_map(|m| geometry::vertices(&m).collect::<Vec<_>>()).collect()
        };
        let old: HashSet<_> = all(&self.grids).iter().map(key).collect();
        let new: Vec<_> = all(&features).into_iter().filter(|p| !old.contains(&key(p))).collect();
        for f in &mut features {
            if let Some(mut m) = geometry::read(&f.geometry) {
                geometry::weld(&mut m, &new);
                geometry::dedup(&mut m);
                f.geometry = geometry::write(&m);
            }
        }
        if features != self.grids {
            self.remember();
            self.grids = features;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn feature(code: &str, x0: f64, x1: f64) -> GridFeature {
        serde_json::from_value(json!({"type": "Feature", "id": code, "properties": {"code": code, "name": format!("网格{code}"), "kind": "rural",
            "village_code": "130730100201", "township_code": "130730100", "parent_grid": null},
            "geometry": {"type": "MultiPolygon", "coordinates": [[[[x0, 0.0], [x1, 0.0], [x1, 1.0], [x0, 1.0], [x0, 0.0]]]]}}))
        .unwrap()
    }

    fn draft() -> Draft {
        let fc = GridCollection::new(vec![feature("130730100201001", 0.0, 1.0), feature("130730100201002", 1.0, 2.0)]);
        Draft::new(3, DraftArea::village("130730100201"), fc)
    }

    #[test]
    fn split_adds_the_next_code_and_welds_the_neighbour() {
        let mut d = draft();
        let left = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [0.0, 0.5], [0.0, 0.0]]]});
        let right = json!({"type": "Polygon", "coordinates": [[[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0], [0.0, 0.5]]]});
        let new = d.split("130730100201001", &[left, right]).unwrap();
        assert_eq!(new, "130730100201003");
        assert_eq!(d.grids.len(), 3);
        assert_eq!(prop(d.grid(&new).unwrap(), |p| &p.name), "网格130730100201001（拆分）");
        let neighbour = geometry::read(&d.grid("130730100201002").unwrap().geometry).unwrap();
        assert!(geometry::vertices(&neighbour).any(|p| p == [1.0, 0.5]), "the cut's end is on the neighbour too");
        assert!(d.undo());
        assert_eq!(d.grids.len(), 2);
        assert!(d.redo());
        assert_eq!(d.grids.len(), 3);
    }

    #[test]
    fn merge_dissolves_the_shared_edge() {
        let mut d = draft();
        d.merge("130730100201001", "130730100201002").unwrap();
        assert_eq!(d.grids.len(), 1);
        let m = geometry::read(&d.grids[0].geometry).unwrap();
        assert_eq!(m.len(), 1);
        assert!(d.changed());
    }

    #[test]
    fn an_import_replaces_the_grids_in_one_undo_step() {
        let mut d = draft();
        let mut imported = feature("130730100201007", 0.0, 2.0);
        imported.id = None;
        d.replace(vec![imported]);
        assert_eq!(d.grids.len(), 1);
        assert_eq!(d.grids[0].id.as_deref(), Some("130730100201007"), "the code is the id");
        assert_eq!(d.base_generation, 3, "the base stays");
        assert!(d.changed());
        assert!(d.undo());
        assert_eq!(d.grids.len(), 2);
        assert!(!d.changed(), "undone to the draft before the import");
    }

    #[test]
    fn gridworkers_are_bound_unbound_split_and_merged_with_undo() {
        let mut d = draft();
        let (a, b) = ("130730100201001", "130730100201002");
        assert_eq!(gridworkers(d.grid(a).unwrap()), Vec::<String>::new(), "every feature has the list");
        d.bind(a, " P001 ").unwrap();
        assert!(d.bind(a, "P001").is_err(), "no duplicates");
        assert!(d.bind(a, "  ").is_err(), "no empty id");
        d.bind(b, "P002").unwrap();
        let left = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [0.0, 0.5], [0.0, 0.0]]]});
        let right = json!({"type": "Polygon", "coordinates": [[[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0], [0.0, 0.5]]]});
        let new = d.split(a, &[left, right]).unwrap();
        assert_eq!(gridworkers(d.grid(a).unwrap()), ["P001"]);
        assert!(gridworkers(d.grid(&new).unwrap()).is_empty(), "the new grid starts with none");
        d.merge(a, b).unwrap();
        assert_eq!(gridworkers(d.grid(a).unwrap()), ["P001", "P002"], "the merged grid keeps both");
        d.undo();
        d.unbind(a, "P001").unwrap();
        assert!(d.unbind(a, "P001").is_err());
        assert!(gridworkers(d.grid(a).unwrap()).is_empty());
        assert!(d.undo());
        assert_eq!(gridworkers(d.grid(a).unwrap()), ["P001"], "unbinding is undone");
    }

    #[test]
    fn a_vertex_dropped_on_a_neighbours_edge_is_inserted_there() {
        let mut d = draft();
        // The left grid's corner (1, 1) is dragged down onto the right grid's edge x = 1.
        let mut fc = d.collection();
        fc.features[0].geometry["coordinates"][0][0][2] = json!([1.0, 0.75]);
        d.moved(fc);
        let right = geometry::read(&d.grid("130730100201002").unwrap().geometry).unwrap();
        assert!(geometry::vertices(&right).any(|p| p == [1.0, 0.75]), "the neighbour holds the dropped vertex");
        assert!(d.undo());
    }

    #[test]
    fn an_imported_grid_without_gridworkers_keeps_those_of_its_code() {
        let mut base = GridCollection::new(vec![feature("130730100201001", 0.0, 1.0)]);
        props_mut(&mut base.features[0]).gridworkers = Some(vec!["P001".to_owned()]);
        let mut d = Draft::new(3, DraftArea::village("130730100201"), base);
        d.replace(vec![feature("130730100201001", 0.0, 1.0), feature("130730100201009", 1.0, 2.0)]);
        assert_eq!(gridworkers(&d.grids[0]), ["P001"]);
        assert!(gridworkers(&d.grids[1]).is_empty());
    }

    #[test]
    fn a_code_in_use_is_refused() {
        let mut d = draft();
        let mut p = d.props("130730100201001").unwrap();
        p.code = "130730100201002".into();
        assert!(d.set_props("130730100201001", &p).is_err());
        assert!(!d.can_undo());
    }
}
