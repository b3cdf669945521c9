//! The server's shape, checked from its source: which top-level module uses which, with no
//! import cycle between them, and the layers in order (plain records and codecs at the bottom,
//! the HTTP edge and the state that assembles everything at the top).
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules it names (`crate::x`, `use crate::{x, …}`).
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Modules that may use nothing else of the crate.
const LEAVES: [&str; 4] = ["records", "formats", "logging", "clock"];

/// Modules only the top may use: the HTTP edge and the state that assembles the service.
const TOP: [&str; 2] = ["http", "state"];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments (doc links are not uses) and without its unit tests.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL) would cut the line short; crate paths
            // never follow one, so nothing is lost.
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The names at the top level of a `{…}` group (nested groups skipped), and its length.
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let (mut depth, mut expect_head) = (0usize, true);
    for (i, c) in text.char_indices() {
        match c {
            '{' => {
                depth += 1;
                expect_head = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect_head = true,
            c if expect_head && depth == 1 && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(identifier(&text[i..]).to_owned());
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level modules a piece of code names through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if rest.starts_with('{') {
            found.extend(group_heads(rest));
        } else {
            found.insert(identifier(rest).to_owned());
        }
    }
    found
}

fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    source_files(src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("inside src");
        let first = relative.components().next().expect("a path").as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let used: Vec<String> = uses(&code(&text)).into_iter().filter(|m| *m != module).collect();
        graph.entry(module).or_default().extend(used);
    }
    graph
}

/// Every cycle's modules (strongly connected components of more than one module).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    // Kosaraju: order by finish time, then walk the reversed graph.
    fn visit<'a>(g: &'a Graph, at: &'a str, seen: &mut BTreeSet<&'a str>, out: &mut Vec<&'a str>) {
        if !seen.insert(at) {
            return;
        }
        for next in g.get(at).into_iter().flatten() {
            if g.contains_key(next.as_str()) {
                visit(g, next, seen, out);
            }
        }
        out.push(at);
    }
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for module in graph.keys() {
        visit(graph, module, &mut seen, &mut order);
    }
    let mut reversed = Graph::new();
    for (from, tos) in graph {
        for to in tos.iter().filter(|t| graph.contains_key(t.as_str())) {
            reversed.entry(to.clone()).or_default().insert(from.clone());
        }
        reversed.entry(from.clone()).or_default();
    }
    let mut assigned = BTreeSet::new();
    let mut found = Vec::new();
    for module in order.into_iter().rev() {
        let mut component = Vec::new();
        visit(&reversed, module, &mut assigned, &mut component);
        if component.len() > 1 {
            let mut names: Vec<String> = component.into_iter().map(str::to_owned).collect();
            names.sort();
            found.push(names);
        }
    }
    found
}

fn server_graph() -> Graph {
    graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn the_top_level_modules_form_no_import_cycle() {
    let graph = server_graph();
    assert!(graph.len() >= 10, "the module graph was not read: {graph:?}");
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles between top-level modules: {found:?}\nthe graph: {graph:#?}");
}

#[test]
fn records_and_codecs_use_nothing_of_the_server_and_only_the_top_uses_http_and_state() {
    let graph = server_graph();
    for leaf in LEAVES {
        let used = graph.get(leaf).unwrap_or_else(|| panic!("no module {leaf}"));
        assert!(used.is_empty(), "{leaf} must stand alone but uses {used:?}");
    }
    for (module, used) in &graph {
        if TOP.contains(&module.as_str()) {
            continue;
        }
        let upward: Vec<_> = used.iter().filter(|u| TOP.contains(&u.as_str())).collect();
        assert!(upward.is_empty(), "{module} reaches up into {upward:?}: take the pieces as arguments instead");
    }
}

#[test]
fn the_checks_see_a_cycle_and_grouped_imports() {
    let code = code("use crate::{a::X, b::{Y, Z}};\n// crate::c in a comment\nfn f() { crate::d::g() }\n");
    assert_eq!(uses(&code), ["a", "b", "d"].map(str::to_owned).into());
    let mut g = Graph::new();
    g.insert("a".into(), ["b".to_owned()].into());
    g.insert("b".into(), ["c".to_owned()].into());
    g.insert("c".into(), ["a".to_owned(), "d".to_owned()].into());
    g.insert("d".into(), BTreeSet::new());
    assert_eq!(cycles(&g), vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]);
    g.get_mut("c").expect("c").remove("a");
    assert!(cycles(&g).is_empty());
}
