//! Repository rules as tests (rust-analyzer's `tidy`): imports run one way in every crate.
//!
//! Each source file is a node; a file imports another when its code names an item of the
//! other's module: `crate::a::b::Item`, grouped (`use crate::{a, b::{c, d}}`), or relative
//! (`super::x`). A module's `mod child;` is a declaration, not an import. Test code
//! (`#[cfg(test)]` onwards) and comments do not count. No two files may import each other,
//! directly or round a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path (`["commands", "batch"]`), the crate root being empty.
type ModulePath = Vec<String>;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `commands/audit/mod.rs` → `commands::audit`; `lib.rs`, `main.rs` → the root.
fn module_of(src: &Path, file: &Path) -> ModulePath {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut path: ModulePath = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        path.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        path.pop();
    }
    path
}

/// The code that counts: before `#[cfg(test)]`, without comment lines.
fn code_of(text: &str) -> String {
    text.split("#[cfg(test)]")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a use tree starting at `text` names, braces expanded: `{a, b::{c, d}}` →
/// `a`, `b::c`, `b::d`. Returns the paths and how much of `text` the tree took.
fn use_tree(text: &str) -> (Vec<ModulePath>, usize) {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut prefix: ModulePath = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            i += 1;
            let mut all = Vec::new();
            loop {
                let (paths, used) = use_tree(&text[i..]);
                i += used;
                all.extend(paths.into_iter().map(|p| [prefix.clone(), p].concat()));
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => break,
                }
                // A trailing comma before the brace.
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'}') {
                    i += 1;
                    break;
                }
            }
            return (all, i);
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == start {
            return (vec![prefix], i);
        }
        prefix.push(text[start..i].to_string());
        if text[i..].starts_with("::") {
            i += 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// The modules a file declares (`mod a;`, `pub mod b;`), which it may name as `a::…`.
fn children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

/// The module paths `code` (in module `here`) names items of: from the crate root, from a
/// parent (`super::`), or from a module it declares (`child::`, `self::child::`).
fn referenced(code: &str, here: &ModulePath) -> Vec<ModulePath> {
    let children = children(code);
    let mut found = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        // Only at the start of a path: not `foo_crate::`, `x.super::` or `a::child::`.
        let before = code[..i].trim_end_matches("self::");
        let at_start = before.is_empty()
            || !before.ends_with("::")
                && !before
                    .as_bytes()
                    .last()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let child = children
            .iter()
            .find(|c| rest.starts_with(&format!("{c}::")) || rest.starts_with(&format!("{c}::{{")));
        if at_start && child.is_some() {
            let (paths, used) = use_tree(rest);
            found.extend(paths.into_iter().map(|p| [here.clone(), p].concat()));
            i += used.max(1);
        } else if at_start && rest.starts_with("crate::") {
            let (paths, used) = use_tree(&rest["crate::".len()..]);
            found.extend(paths);
            i += "crate::".len() + used.max(1);
        } else if at_start && rest.starts_with("super::") {
            let mut base = here.clone();
            let mut j = 0;
            while rest[j..].starts_with("super::") {
                base.pop();
                j += "super::".len();
            }
            let (paths, used) = use_tree(&rest[j..]);
            found.extend(paths.into_iter().map(|p| [base.clone(), p].concat()));
            i += j + used.max(1);
        } else {
            i += rest.chars().next().unwrap().len_utf8();
        }
    }
    found
}

/// The file-level import graph of the crate whose sources are in `src`.
fn graph(src: &Path) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let modules: BTreeSet<ModulePath> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for file in &files {
        let from = module_of(src, file);
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for path in referenced(&code, &from) {
            // The file that holds the item: the longest prefix that is a module of its own.
            let to = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p))
                .unwrap_or_default();
            if to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// The circles of the graph: each group of files that reach one another (Tarjan's strongly
/// connected components of more than one file), named in order.
fn circles(edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<String> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        index: BTreeMap<&'a ModulePath, usize>,
        low: BTreeMap<&'a ModulePath, usize>,
        stack: Vec<&'a ModulePath>,
        found: Vec<String>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, node: &'a ModulePath) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[next].min(self.low[node]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.index[next].min(self.low[node]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut group = Vec::new();
                while let Some(member) = self.stack.pop() {
                    group.push(format!("crate::{}", member.join("::")));
                    if member == node {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group.join(" <-> "));
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !t.index.contains_key(node) {
            t.visit(node);
        }
    }
    t.found
}

fn crate_src(name: &str) -> PathBuf {
    crate::workspace::root().join(name).join("src")
}

#[test]
fn no_crate_has_an_import_circle() {
    let mut found = Vec::new();
    for krate in ["runbook", "cli", "xtask"] {
        for circle in circles(&graph(&crate_src(krate))) {
            found.push(format!("{krate}: {circle}"));
        }
    }
    assert!(
        found.is_empty(),
        "files that import each other, round a circle:\n{}",
        found.join("\n")
    );
}

#[test]
fn operator_commands_never_import_each_other() {
    let edges = graph(&crate_src("cli"));
    for (from, tos) in &edges {
        if from.first().map(String::as_str) != Some("commands") || from.len() < 2 {
            continue;
        }
        for to in tos {
            let other_command =
                to.first().map(String::as_str) == Some("commands") && to.get(1) != from.get(1);
            assert!(
                !other_command,
                "crate::{} imports crate::{}: what commands share goes below them",
                from.join("::"),
                to.join("::")
            );
        }
    }
}

/// The checker itself: grouped and relative imports are edges, and a circle is found.
#[test]
fn the_checker_sees_grouped_and_relative_imports() {
    let here: ModulePath = vec!["a".into(), "b".into()];
    let code = "mod kid;\nuse crate::{x, y::{z, w::Q}};\nlet v = super::c::f() + kid::g() + other::kid::h();";
    let found = referenced(code, &here);
    let found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(found, ["x", "y::z", "y::w::Q", "a::c::f", "a::b::kid::g"]);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(dir.path().join("a.rs"), "use crate::{b::Thing, c};\n").unwrap();
    std::fs::write(dir.path().join("b.rs"), "use crate::a;\n").unwrap();
    assert_eq!(circles(&graph(dir.path())), ["crate::a <-> crate::b"]);
}

/// What an operator installs links nothing of the workshop: no test kit (moto, seeding), no
/// insta. (Dev-dependencies are for its unit tests only and never reach the binary.)
#[test]
fn the_operator_crate_depends_on_no_test_kit() {
    let manifest =
        std::fs::read_to_string(crate::workspace::root().join("cli/Cargo.toml")).unwrap();
    let normal: String = manifest
        .split("\n[")
        .filter(|section| section.starts_with("dependencies]"))
        .collect();
    assert!(normal.contains("runbook"), "{normal}");
    for forbidden in ["testkit", "insta", "boon", "moto"] {
        assert!(
            !normal.contains(forbidden),
            "cli/Cargo.toml's [dependencies] name `{forbidden}`:\n{normal}"
        );
    }
}

/// Whether `c` is Japanese: hiragana, katakana (with their punctuation), or a CJK ideograph.
fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// One catalogue: every sentence the operator reads in Japanese (and so its English twin) is in
/// `cli/src/messages/`. Code elsewhere names the catalogue's words; test code and comments may
/// quote Japanese.
#[test]
fn japanese_words_live_only_in_the_message_catalogue() {
    let src = crate_src("cli");
    let catalogue = src.join("messages");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&catalogue)) {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for line in code.lines().filter(|l| l.chars().any(is_japanese)) {
            let rel = file.strip_prefix(&src).unwrap().display();
            found.push(format!("cli/src/{rel}: {}", line.trim()));
        }
    }
    assert!(
        found.is_empty(),
        "Japanese outside cli/src/messages/ (move the words into the catalogue):\n{}",
        found.join("\n")
    );
}
