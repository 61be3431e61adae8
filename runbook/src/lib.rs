//! `runbook`: typed, audited, resumable AWS runbooks. The one runbook today reverts the
//! CloudTrail "secure setting" of an AWS account (trail SSE-KMS off, bucket back to SSE-S3).
//!
//! The crate never reads argv, the environment or the terminal: the CLI (`xtask`) builds the
//! AWS configuration and supplies an [`steps::Operator`] for progress and confirmation.

pub mod aws;
pub mod batch;
pub mod credentials;
pub mod error;
pub mod files;
pub mod finding;
pub mod http;
pub mod journal;
pub mod lock;
pub mod model;
pub mod problem;
pub mod recheck;
pub mod run;
pub mod runbooks;
pub mod runs;
pub mod secrets;
pub mod steps;

pub use error::{Error, Result};
#[cfg(feature = "testkit")]
pub mod testkit;

/// The module graph has no cycle: no two modules import each other, directly or round a
/// circle (checked on the source, so a new `use crate::…` that closes one fails here).
#[cfg(test)]
mod module_graph {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn top_level_modules_form_no_cycle() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let module_of = |path: &Path| {
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            first.trim_end_matches(".rs").to_string()
        };
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in &files {
            let from = module_of(file);
            let text = std::fs::read_to_string(file).unwrap();
            // Test code may reach anywhere; only the library's own code counts.
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let to: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if to != from && !to.is_empty() && to.chars().next().unwrap().is_lowercase() {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        // Depth-first search for a back edge.
        fn visit(
            node: &str,
            edges: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) {
            if done.contains(node) {
                return;
            }
            if let Some(at) = path.iter().position(|n| n == node) {
                panic!("import cycle: {} -> {node}", path[at..].join(" -> "));
            }
            path.push(node.to_string());
            for next in edges.get(node).into_iter().flatten() {
                visit(next, edges, path, done);
            }
            path.pop();
            done.insert(node.to_string());
        }
        let mut done = BTreeSet::new();
        for node in edges.keys() {
            visit(node, &edges, &mut Vec::new(), &mut done);
        }
        assert!(edges.contains_key("steps") && edges["steps"].contains("run"));
    }
}
