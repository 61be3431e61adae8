//! `cargo xtask dist`: the operator's binary, built for x86_64 Linux and packed for AWS
//! CloudShell. Cargo builds it (`cargo build --release`, the size-tuned `[profile.release]` of
//! the workspace's Cargo.toml) and says where it put it (`--message-format=json`); cargo's
//! metadata gives the version and the target folder. The binary is refused if it needs a glibc
//! newer than Amazon Linux 2023's 2.34 (CloudShell's), naming the symbols that need it (read with
//! `object` from the ELF's version-needed table and dynamic symbols). Then
//! `target/dist/cloudtrail-revert-<version>-x86_64-linux.tar.gz` (`tar` + `flate2`) holds the
//! binary, the README's operator part and the licences, and a `.sha256` beside it is in
//! `sha256sum -c` format.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use object::read::elf::ElfFile64;
use object::{Endianness, Object};
use sha2::{Digest, Sha256};

/// The package and binary that `dist` builds and packs.
pub const PACKAGE: &str = "cloudtrail-revert";
pub const BINARY: &str = "cloudtrail-revert";

/// The platform part of the archive's name.
const PLATFORM: &str = "x86_64-linux";

/// Amazon Linux 2023, which AWS CloudShell runs, has glibc 2.34.
pub const GLIBC_LIMIT: GlibcVersion = GlibcVersion([2, 34, 0]);

/// Files packed beside the binary, from the workspace root. The README is cut to its operator
/// part (`operator_part`).
const README: &str = "README.md";
const LICENCES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];

/// The README's developer-only parts (the fixtures, the benchmarks) lie between these two lines;
/// the rest is the operator part, packed with the binary.
const DEVELOPER_BEGIN: &str = "<!-- dist: developer part begins -->";
const DEVELOPER_END: &str = "<!-- dist: developer part ends -->";

/// `cargo xtask dist` takes no flags: the version is the package's, the output folder
/// `<target-dir>/dist/`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  cargo xtask dist    # target/dist/cloudtrail-revert-<version>-x86_64-linux.tar.gz and its .sha256
  CARGO_TARGET_DIR=/tmp/t cargo xtask dist    # the same, built and written under /tmp/t")]
pub struct DistFlags {}

pub fn run(_flags: DistFlags) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let meta = metadata(&cargo)?;

    eprintln!(
        "building {BINARY} {} (release, for x86_64 Linux)",
        meta.version
    );
    let started = Instant::now();
    let machine = MachinePaths::here(&meta);
    let binary_path = build(&cargo, &meta.workspace_root, &machine)?;
    let build_time = started.elapsed();
    let binary = std::fs::read(&binary_path)
        .with_context(|| format!("reading the built binary {}", binary_path.display()))?;

    let arch = object::File::parse(binary.as_slice())
        .with_context(|| format!("reading {} as an executable", binary_path.display()))?
        .architecture();
    ensure!(
        arch == object::Architecture::X86_64,
        "{} is built for {arch:?}, not x86_64: run `cargo xtask dist` on an x86_64 Linux machine",
        binary_path.display()
    );
    let needs = glibc_needs(&binary)
        .with_context(|| format!("reading the glibc versions {} needs", binary_path.display()))?;
    check_glibc(&needs, GLIBC_LIMIT)?;
    machine.check_absent(&binary)?;

    let readme_path = meta.workspace_root.join(README);
    let readme = std::fs::read_to_string(&readme_path)
        .with_context(|| format!("reading {}", readme_path.display()))?;
    let readme = operator_part(&readme).with_context(|| format!("in {}", readme_path.display()))?;

    let mut files = vec![
        Packed::new(BINARY, binary.clone(), 0o755),
        Packed::new(README, readme.into_bytes(), 0o644),
    ];
    for licence in LICENCES {
        let path = meta.workspace_root.join(licence);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        files.push(Packed::new(licence, bytes, 0o644));
    }

    let name = format!("{BINARY}-{}-{PLATFORM}", meta.version);
    let out_dir = meta.target_directory.join("dist");
    let written = write_archive(&out_dir, &name, &files)?;

    let highest = needs
        .highest
        .as_ref()
        .map_or("none (static)".to_string(), |h| {
            format!("GLIBC_{}", h.version)
        });
    println!(
        "binary   {} ({})",
        binary_path.display(),
        size(binary.len() as u64)
    );
    println!("glibc    needs {highest} at most (limit: {GLIBC_LIMIT}, Amazon Linux 2023)");
    println!(
        "archive  {} ({})",
        written.archive.display(),
        size(std::fs::metadata(&written.archive)?.len())
    );
    println!("checksum {}", written.checksum.display());
    println!("built in {:.0} s", build_time.as_secs_f64());
    Ok(())
}

/// What `cargo metadata` says about the workspace and the package.
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    version: String,
}

fn metadata(cargo: &str) -> Result<Metadata> {
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo metadata")?;
    ensure!(output.status.success(), "cargo metadata failed");
    let doc: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading cargo metadata's answer")?;
    let text = |key: &str| {
        doc[key]
            .as_str()
            .map(PathBuf::from)
            .with_context(|| format!("cargo metadata gave no {key}"))
    };
    let version = doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == PACKAGE)
        .and_then(|p| p["version"].as_str())
        .with_context(|| format!("the workspace has no package {PACKAGE}"))?
        .to_string();
    Ok(Metadata {
        workspace_root: text("workspace_root")?,
        target_directory: text("target_directory")?,
        version,
    })
}

/// Builds the binary with cargo and returns the path cargo reports for it.
/// The build machine's own folders, which the binary must not name: source paths reach a
/// binary through panic locations (`file!()`), so they are remapped while compiling, then
/// looked for in what was built.
struct MachinePaths {
    /// (path, what it is remapped to), in rustc's order: the last match wins.
    remaps: Vec<(PathBuf, &'static str)>,
}

impl MachinePaths {
    fn here(meta: &Metadata) -> MachinePaths {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".cargo")));
        let mut remaps = Vec::new();
        remaps.extend(home.map(|h| (h, "/home")));
        remaps.push((meta.workspace_root.clone(), "/build"));
        remaps.extend(cargo_home.map(|c| (c, "/cargo")));
        remaps.push((meta.target_directory.clone(), "/target"));
        MachinePaths { remaps }
    }

    /// `--config build.rustflags=[…]`: every machine path remapped.
    fn rustflags(&self) -> String {
        let flags: Vec<String> = self
            .remaps
            .iter()
            .map(|(from, to)| format!("\"--remap-path-prefix={}={to}\"", from.display()))
            .collect();
        format!("build.rustflags=[{}]", flags.join(", "))
    }

    /// Refuses a binary that still names one of the machine's folders.
    fn check_absent(&self, binary: &[u8]) -> Result<()> {
        for (path, _) in &self.remaps {
            let needle = path.as_os_str().as_encoded_bytes();
            if needle.len() > 1 && binary.windows(needle.len()).any(|w| w == needle) {
                bail!(
                    "the binary names {}, a folder of the machine it was built on; is \
                     RUSTFLAGS set (it replaces the path remapping `dist` gives cargo)?",
                    path.display()
                );
            }
        }
        Ok(())
    }
}

fn build(cargo: &str, workspace_root: &Path, machine: &MachinePaths) -> Result<PathBuf> {
    let mut child = Command::new(cargo)
        .current_dir(workspace_root)
        .args(["build", "--release", "-p", PACKAGE, "--bin", BINARY])
        .args(["--config", &machine.rustflags()])
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("running cargo build")?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut executable = None;
    for line in BufReader::new(stdout).lines() {
        let message: serde_json::Value = match serde_json::from_str(&line?) {
            Ok(message) => message,
            Err(_) => continue,
        };
        if message["reason"] == "compiler-artifact" && message["target"]["name"] == BINARY {
            if let Some(path) = message["executable"].as_str() {
                executable = Some(PathBuf::from(path));
            }
        }
    }
    let status = child.wait().context("waiting for cargo build")?;
    ensure!(status.success(), "cargo build --release failed");
    executable.with_context(|| format!("cargo build reported no executable {BINARY}"))
}

/// A glibc symbol version, `GLIBC_2.2.5` as `[2, 2, 5]` and `GLIBC_2.34` as `[2, 34, 0]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(pub [u32; 3]);

impl GlibcVersion {
    /// The number in a version name: `GLIBC_2.34` → 2.34; `None` for another library's version
    /// or a glibc name without a number (`GLIBC_PRIVATE`).
    fn parse(name: &str) -> Option<Self> {
        let number = name.strip_prefix("GLIBC_")?;
        let mut parts = [0; 3];
        let mut count = 0;
        for part in number.split('.') {
            *parts.get_mut(count)? = part.parse().ok()?;
            count += 1;
        }
        (count >= 2).then_some(GlibcVersion(parts))
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch] = self.0;
        write!(f, "{major}.{minor}")?;
        if patch != 0 {
            write!(f, ".{patch}")?;
        }
        Ok(())
    }
}

/// One glibc version the binary needs, and the dynamic symbols bound to it (sorted; empty when
/// only the version-needed table names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlibcNeed {
    pub version: GlibcVersion,
    pub library: String,
    pub symbols: Vec<String>,
}

/// The glibc versions an ELF file needs: the highest numbered one, and any `GLIBC_` name without a
/// number (such as `GLIBC_ABI_DT_RELR`), which no version limit can vouch for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlibcNeeds {
    pub highest: Option<GlibcNeed>,
    pub unnumbered: Vec<(String, Vec<String>)>,
}

/// Reads the glibc versions a 64-bit ELF file needs: every `GLIBC_*` entry of its version-needed
/// table (`.gnu.version_r`, what the dynamic loader checks), with the dynamic symbols whose
/// version (`.gnu.version`) is that entry.
pub fn glibc_needs(elf: &[u8]) -> Result<GlibcNeeds> {
    let file = ElfFile64::<Endianness>::parse(elf).context("not a 64-bit ELF file")?;
    let endian = file.endian();
    let sections = file.elf_section_table();

    // Version name → (library, symbols), from the version-needed table.
    let mut needed: Vec<(String, String, Vec<String>)> = Vec::new();
    if let Some((mut files, strings_index)) = sections.gnu_verneed(endian, elf)? {
        let strings = sections.strings(endian, elf, strings_index)?;
        while let Some((verneed, mut entries)) = files.next()? {
            let library = String::from_utf8_lossy(verneed.file(endian, strings)?).into_owned();
            while let Some(entry) = entries.next()? {
                let name = String::from_utf8_lossy(entry.name(endian, strings)?).into_owned();
                if name.starts_with("GLIBC_") {
                    needed.push((name, library.clone(), Vec::new()));
                }
            }
        }
    }
    if let Some(versions) = sections.versions(endian, elf)? {
        let symbols = file.elf_dynamic_symbol_table();
        for (index, symbol) in symbols.enumerate() {
            let Some(version) = versions.version(versions.version_index(endian, index))? else {
                continue;
            };
            if version.file().is_none() {
                continue; // a version this file defines, not one it needs
            }
            let version = String::from_utf8_lossy(version.name());
            if let Some(need) = needed.iter_mut().find(|(name, ..)| *name == version) {
                let name = symbols.symbol_name(endian, symbol)?;
                need.2.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }

    let mut needs = GlibcNeeds::default();
    for (name, library, mut symbols) in needed {
        symbols.sort();
        symbols.dedup();
        match GlibcVersion::parse(&name) {
            Some(version) => {
                if needs.highest.as_ref().is_none_or(|h| version > h.version) {
                    needs.highest = Some(GlibcNeed {
                        version,
                        library,
                        symbols,
                    });
                }
            }
            // glibc's private interface is for its own libraries; a program never needs it.
            None if name == "GLIBC_PRIVATE" => {}
            None => needs.unnumbered.push((name, symbols)),
        }
    }
    Ok(needs)
}

/// Refuses a binary that needs a glibc newer than `limit`, naming the version and its symbols.
pub fn check_glibc(needs: &GlibcNeeds, limit: GlibcVersion) -> Result<()> {
    let advice = format!(
        "build on a machine whose glibc is {limit} or older (such as Amazon Linux 2023 itself), \
         or drop what calls it"
    );
    if let Some(need) = &needs.highest {
        if need.version > limit {
            bail!(
                "the binary needs GLIBC_{} ({}, from {}), newer than the glibc {limit} of Amazon \
                 Linux 2023 (AWS CloudShell), where it would not start: {advice}",
                need.version,
                named(&need.symbols),
                need.library,
            );
        }
    }
    if let Some((name, symbols)) = needs.unnumbered.first() {
        bail!(
            "the binary needs {name} ({}), which has no version number, so glibc {limit} may \
             lack it: {advice}",
            named(symbols)
        );
    }
    Ok(())
}

/// The symbols that need a version, for a message: the first few by name.
fn named(symbols: &[String]) -> String {
    const SHOWN: usize = 5;
    match symbols {
        [] => "no symbol names it; the version-needed table does".to_string(),
        [one] => format!("symbol {one}"),
        _ if symbols.len() <= SHOWN => format!("symbols {}", symbols.join(", ")),
        _ => format!(
            "symbols {}, and {} more",
            symbols[..SHOWN].join(", "),
            symbols.len() - SHOWN
        ),
    }
}

/// The README without its developer-only parts: every line from a `DEVELOPER_BEGIN` line through
/// its `DEVELOPER_END` line is cut. Markers out of pairs are an error, so a part is never cut or
/// kept by mistake.
pub fn operator_part(readme: &str) -> Result<String> {
    let mut kept = String::with_capacity(readme.len());
    let mut inside = None;
    for (index, line) in readme.split_inclusive('\n').enumerate() {
        let number = index + 1;
        match (line.trim(), inside) {
            (DEVELOPER_BEGIN, Some(open)) => bail!(
                "line {number}: `{DEVELOPER_BEGIN}` again, after line {open}'s; close it with \
                 `{DEVELOPER_END}` first"
            ),
            (DEVELOPER_BEGIN, None) => inside = Some(number),
            (DEVELOPER_END, None) => {
                bail!("line {number}: `{DEVELOPER_END}` without a `{DEVELOPER_BEGIN}` before it")
            }
            (DEVELOPER_END, Some(_)) => inside = None,
            (_, None) => kept.push_str(line),
            (_, Some(_)) => {}
        }
    }
    if let Some(open) = inside {
        bail!("line {open}: `{DEVELOPER_BEGIN}` is never closed by `{DEVELOPER_END}`");
    }
    Ok(kept)
}

/// A file to pack: its name in the archive's folder, its bytes, its mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    pub name: String,
    pub bytes: Vec<u8>,
    pub mode: u32,
}

impl Packed {
    pub fn new(name: &str, bytes: Vec<u8>, mode: u32) -> Self {
        Packed {
            name: name.to_string(),
            bytes,
            mode,
        }
    }
}

/// The archive and its checksum file, as written.
#[derive(Debug)]
pub struct Written {
    pub archive: PathBuf,
    pub checksum: PathBuf,
}

/// Writes `<out_dir>/<name>.tar.gz`, whose one folder `<name>/` holds `files`, and beside it
/// `<name>.tar.gz.sha256`, one `sha256sum` line (`<hex>  <name>.tar.gz`) for `sha256sum -c`
/// in that folder. Each file is written whole to a temporary file and renamed into place.
pub fn write_archive(out_dir: &Path, name: &str, files: &[Packed]) -> Result<Written> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());

    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::best(),
    ));
    let mut folder = tar::Header::new_gnu();
    folder.set_entry_type(tar::EntryType::Directory);
    folder.set_mode(0o755);
    folder.set_size(0);
    folder.set_mtime(mtime);
    tar.append_data(&mut folder, format!("{name}/"), std::io::empty())?;
    for file in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(file.mode);
        header.set_size(file.bytes.len() as u64);
        header.set_mtime(mtime);
        tar.append_data(
            &mut header,
            format!("{name}/{}", file.name),
            file.bytes.as_slice(),
        )?;
    }
    let archive_bytes = tar.into_inner()?.finish()?;

    let archive_name = format!("{name}.tar.gz");
    let archive = out_dir.join(&archive_name);
    let checksum = out_dir.join(format!("{archive_name}.sha256"));
    let line = format!(
        "{}  {archive_name}\n",
        hex::encode(Sha256::digest(&archive_bytes))
    );
    write_whole(&archive, &archive_bytes)?;
    write_whole(&checksum, line.as_bytes())?;
    Ok(Written { archive, checksum })
}

/// Writes `bytes` to a temporary file beside `path`, then renames it to `path`.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("an output file has a folder");
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    file.write_all(bytes)
        .and_then(|_| file.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    let file = file.into_temp_path();
    // Readable by everyone: the archive is for sharing, not a secret (tempfile makes 0600).
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    file.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A size for people: `4.2 MiB (4404019 bytes)`.
fn size(bytes: u64) -> String {
    format!("{:.1} MiB, {bytes} bytes", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn need(version: [u32; 3], symbols: &[&str]) -> GlibcNeeds {
        GlibcNeeds {
            highest: Some(GlibcNeed {
                version: GlibcVersion(version),
                library: "libc.so.6".into(),
                symbols: symbols.iter().map(|s| s.to_string()).collect(),
            }),
            unnumbered: Vec::new(),
        }
    }

    #[test]
    fn versions_are_read_and_ordered_by_number() {
        assert_eq!(
            GlibcVersion::parse("GLIBC_2.34"),
            Some(GlibcVersion([2, 34, 0]))
        );
        assert_eq!(
            GlibcVersion::parse("GLIBC_2.2.5"),
            Some(GlibcVersion([2, 2, 5]))
        );
        assert_eq!(GlibcVersion::parse("GLIBC_PRIVATE"), None);
        assert_eq!(GlibcVersion::parse("GCC_3.0"), None);
        assert_eq!(GlibcVersion::parse("GLIBC_2"), None);
        assert!(GlibcVersion([2, 9, 0]) < GlibcVersion([2, 10, 0]));
        assert!(GlibcVersion([2, 2, 5]) < GlibcVersion([2, 3, 0]));
        assert_eq!(GlibcVersion([2, 2, 5]).to_string(), "2.2.5");
        assert_eq!(GLIBC_LIMIT.to_string(), "2.34");
    }

    /// The test binary itself links glibc: its needs are read from a real ELF file.
    #[test]
    fn reads_the_glibc_versions_of_a_real_binary() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let needs = glibc_needs(&exe).unwrap();
        let highest = needs.highest.expect("the test binary links glibc");
        assert_eq!(highest.version.0[0], 2, "{highest:?}");
        assert!(highest.version >= GlibcVersion([2, 2, 5]), "{highest:?}");
        assert!(highest.library.starts_with("libc.so") || highest.library.starts_with("ld-linux"));
        assert!(!highest.symbols.is_empty(), "{highest:?}");
        assert!(highest.symbols.iter().all(|s| !s.is_empty()));
    }

    #[test]
    fn the_limit_passes_2_34_and_refuses_2_35_naming_the_symbol() {
        check_glibc(&need([2, 34, 0], &["__libc_start_main"]), GLIBC_LIMIT).unwrap();
        check_glibc(&need([2, 17, 0], &[]), GLIBC_LIMIT).unwrap();
        check_glibc(&GlibcNeeds::default(), GLIBC_LIMIT).unwrap();

        let err = check_glibc(&need([2, 35, 0], &["pidfd_getpid"]), GLIBC_LIMIT).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GLIBC_2.35"), "{text}");
        assert!(text.contains("symbol pidfd_getpid"), "{text}");
        assert!(text.contains("2.34"), "{text}");

        let unnumbered = GlibcNeeds {
            highest: None,
            unnumbered: vec![("GLIBC_ABI_DT_RELR".into(), Vec::new())],
        };
        let text = check_glibc(&unnumbered, GLIBC_LIMIT)
            .unwrap_err()
            .to_string();
        assert!(text.contains("GLIBC_ABI_DT_RELR"), "{text}");
    }

    /// A tiny ELF file built here, whose one dynamic symbol needs glibc 2.99: the reader and the
    /// limit together refuse it, naming the symbol.
    #[test]
    fn refuses_an_elf_file_that_needs_a_newer_glibc() {
        use object::elf;
        use object::write::elf::{FileHeader, Sym, Vernaux, Verneed, Writer};

        let mut bytes = Vec::new();
        let mut w = Writer::new(Endianness::Little, true, &mut bytes);
        // Version indices 2 and 3 (0 and 1 are local and global).
        let versions = [
            (b"GLIBC_2.2.5".as_slice(), 2),
            (b"GLIBC_2.99".as_slice(), 3),
        ];
        let symbols = [(b"malloc".as_slice(), 2), (b"future_call", 3), (b"free", 2)];
        let libc = w.add_dynamic_string(b"libc.so.6");
        let version_names: Vec<_> = versions
            .iter()
            .map(|(name, _)| w.add_dynamic_string(name))
            .collect();
        let symbol_names: Vec<_> = symbols
            .iter()
            .map(|(name, _)| w.add_dynamic_string(name))
            .collect();
        w.reserve_file_header();
        w.reserve_null_section_index();
        w.reserve_dynsym_section_index();
        w.reserve_dynstr_section_index();
        w.reserve_gnu_versym_section_index();
        w.reserve_gnu_verneed_section_index();
        w.reserve_shstrtab_section_index();
        w.reserve_null_dynamic_symbol_index();
        for _ in symbols {
            w.reserve_dynamic_symbol_index();
        }
        w.reserve_dynsym();
        w.reserve_dynstr();
        w.reserve_gnu_versym();
        w.reserve_gnu_verneed(1, versions.len());
        w.reserve_shstrtab();
        w.reserve_section_headers();

        w.write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_DYN,
            e_machine: elf::EM_X86_64,
            e_entry: 0,
            e_flags: 0,
        })
        .unwrap();
        w.write_null_dynamic_symbol();
        for name in &symbol_names {
            w.write_dynamic_symbol(&Sym {
                name: Some(*name),
                section: None,
                st_info: (elf::STB_GLOBAL << 4) | elf::STT_FUNC,
                st_other: 0,
                st_shndx: elf::SHN_UNDEF,
                st_value: 0,
                st_size: 0,
            });
        }
        w.write_dynstr();
        w.write_null_gnu_versym();
        for (_, version) in symbols {
            w.write_gnu_versym(version);
        }
        w.write_align_gnu_verneed();
        w.write_gnu_verneed(&Verneed {
            version: elf::VER_NEED_CURRENT,
            aux_count: versions.len() as u16,
            file: libc,
        });
        for ((_, index), name) in versions.iter().zip(&version_names) {
            w.write_gnu_vernaux(&Vernaux {
                flags: 0,
                index: *index,
                name: *name,
            });
        }
        w.write_shstrtab();
        w.write_null_section_header();
        w.write_dynsym_section_header(0, 1);
        w.write_dynstr_section_header(0);
        w.write_gnu_versym_section_header(0);
        w.write_gnu_verneed_section_header(0);
        w.write_shstrtab_section_header();
        drop(w);

        let needs = glibc_needs(&bytes).unwrap();
        assert_eq!(
            needs.highest,
            Some(GlibcNeed {
                version: GlibcVersion([2, 99, 0]),
                library: "libc.so.6".into(),
                symbols: vec!["future_call".into()],
            })
        );
        let text = check_glibc(&needs, GLIBC_LIMIT).unwrap_err().to_string();
        assert!(
            text.contains("GLIBC_2.99 (symbol future_call, from libc.so.6)"),
            "{text}"
        );
    }

    #[test]
    fn a_binary_that_names_a_build_folder_is_refused() {
        let machine = MachinePaths {
            remaps: vec![
                (PathBuf::from("/home/dev"), "/home"),
                (PathBuf::from("/home/dev/src/tool"), "/build"),
            ],
        };
        let flags = machine.rustflags();
        assert!(
            flags.contains("\"--remap-path-prefix=/home/dev/src/tool=/build\""),
            "{flags}"
        );
        machine
            .check_absent(b"panicked at /build/cli/src/lib.rs:1:1")
            .unwrap();
        let err = machine
            .check_absent(b"panicked at /home/dev/src/tool/cli/src/lib.rs:1:1")
            .unwrap_err();
        assert!(err.to_string().contains("names /home/dev,"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_elf_is_an_error() {
        assert!(glibc_needs(b"#!/bin/sh\necho hi\n").is_err());
    }

    #[test]
    fn the_operator_part_cuts_the_developer_parts() {
        let readme = format!(
            "# Tool\nuse it\n{DEVELOPER_BEGIN}\n## Fixtures\ndev\n{DEVELOPER_END}\n## 日本語\nja\n\
             {DEVELOPER_BEGIN}\nmore dev\n{DEVELOPER_END}\nend\n"
        );
        assert_eq!(
            operator_part(&readme).unwrap(),
            "# Tool\nuse it\n## 日本語\nja\nend\n"
        );
        assert_eq!(operator_part("no markers\n").unwrap(), "no markers\n");

        let unclosed = format!("a\n{DEVELOPER_BEGIN}\nb\n");
        let text = operator_part(&unclosed).unwrap_err().to_string();
        assert!(
            text.contains("line 2") && text.contains("never closed"),
            "{text}"
        );
        let stray = format!("a\n{DEVELOPER_END}\n");
        let text = operator_part(&stray).unwrap_err().to_string();
        assert!(text.contains("line 2"), "{text}");
        let nested = format!("{DEVELOPER_BEGIN}\n{DEVELOPER_BEGIN}\n{DEVELOPER_END}\n");
        let text = operator_part(&nested).unwrap_err().to_string();
        assert!(text.contains("line 2") && text.contains("line 1"), "{text}");
    }

    /// The real README: the operator part keeps the CloudShell section and both quick starts,
    /// and leaves out the fixtures and benchmarks.
    #[test]
    fn the_readme_operator_part_is_the_operators() {
        let readme = include_str!("../../README.md");
        let part = operator_part(readme).unwrap();
        for kept in [
            "## Set up",
            "## Against a real account",
            "## In AWS CloudShell",
            "## 日本語クイックスタート",
        ] {
            assert!(part.contains(kept), "{kept} missing from the operator part");
        }
        for cut in ["## Fixtures", "## Benchmarks"] {
            assert!(readme.contains(cut), "{cut} missing from README.md");
            assert!(!part.contains(cut), "{cut} left in the operator part");
        }
    }

    #[test]
    fn the_archive_unpacks_to_the_files_and_its_checksum_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let files = vec![
            Packed::new(BINARY, b"\x7fELF binary bytes \x00\xff".to_vec(), 0o755),
            Packed::new("README.md", "# 読んで\n".as_bytes().to_vec(), 0o644),
            Packed::new("LICENSE-MIT", b"MIT\n".to_vec(), 0o644),
        ];
        let name = "cloudtrail-revert-9.9.9-x86_64-linux";
        let written = write_archive(&out, name, &files).unwrap();
        assert_eq!(written.archive, out.join(format!("{name}.tar.gz")));
        assert_eq!(written.checksum, out.join(format!("{name}.tar.gz.sha256")));

        let gz = std::fs::read(&written.archive).unwrap();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz.as_slice()));
        let mut unpacked = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            if path == format!("{name}/") {
                assert_eq!(entry.header().entry_type(), tar::EntryType::Directory);
                continue;
            }
            let file = path
                .strip_prefix(&format!("{name}/"))
                .unwrap_or_else(|| panic!("{path} is outside the archive's folder"))
                .to_string();
            let mode = entry.header().mode().unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            unpacked.push(Packed {
                name: file,
                bytes,
                mode,
            });
        }
        assert_eq!(unpacked, files);

        let line = std::fs::read_to_string(&written.checksum).unwrap();
        assert_eq!(
            line,
            format!("{}  {name}.tar.gz\n", hex::encode(Sha256::digest(&gz)))
        );
        // And the tool the README tells operators to use agrees.
        let check = Command::new("sha256sum")
            .args(["-c", &format!("{name}.tar.gz.sha256")])
            .current_dir(&out)
            .output()
            .expect("sha256sum (coreutils) runs");
        assert!(check.status.success(), "{check:?}");

        // Written again: replaced whole, the folder holding only the two files.
        write_archive(&out, name, &files[..1]).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [format!("{name}.tar.gz"), format!("{name}.tar.gz.sha256")]
        );
    }
}
