//! Golden files (tests/golden/): the one table of what produces each set, the comparison,
//! and the update switch. `UPDATE_GOLDEN=1` exactly rewrites a set and then compares it like
//! any other run; any other value (or none) only compares. A file in tests/golden/ that no
//! case produces is stale and fails `golden::every_golden_file_is_produced`.

use nsbgp::config::{self, Lab, Overrides};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The vty password rendered into the golden FRR configs.
pub const PASSWORD: &str = "golden-password";
/// The image the export goldens name (the export command picks it from the host's FRR).
pub const IMAGE: &str = "quay.io/frrouting/frr:8.4.2";
/// The BIRD routers' image (the export's default).
pub const BIRD_IMAGE: &str = "ghcr.io/srl-labs/bird:2.13";

/// Rendered-config sets: (lab file, golden directory, routers rendered).
pub const RENDER: &[(&str, &str, &[usize])] = &[
    ("configs/chain-3.toml", "chain-3", &[0, 1, 2]),
    ("configs/chain-1000.toml", "chain-1000", &[0, 500, 999]),
    ("configs/chain-100-mrai30.toml", "chain-100-mrai30", &[1]),
    ("configs/chain-100-bird.toml", "chain-100-bird", &[0, 1, 50, 99]),
    ("configs/chain-1000-bird.toml", "chain-1000-bird", &[0, 999]),
    ("configs/chain-100-mixed.toml", "chain-100-mixed", &[0, 1, 2, 99]),
    ("configs/ring-16.toml", "ring-16", &[0, 8, 15]),
    ("configs/star-20.toml", "star-20", &[0, 19]),
    ("configs/tree-63.toml", "tree-63", &[0, 1, 62]),
    ("configs/grid-10x10.toml", "grid-10x10", &[0, 55, 99]),
    ("configs/clique-8.toml", "clique-8", &[0, 7]),
    ("configs/example-graph.toml", "example-graph", &[0, 8, 11]),
    ("configs/ix-lan-5.toml", "ix-lan-5", &[0, 1, 2, 3, 4]),
    ("configs/chain-70-dual.toml", "chain-70-dual", &[0, 1, 69]),
    ("configs/chain-3-v6.toml", "chain-3-v6", &[0, 1, 2]),
    ("configs/ring-8-bird-v6.toml", "ring-8-bird-v6", &[0, 4, 7]),
    ("configs/chain-6-mixed-dual.toml", "chain-6-mixed-dual", &[0, 1, 5]),
    ("configs/internet-100.toml", "internet-100", &[0, 5, 12, 99]),
    (
        "tests/fixtures/internet-12-frr-roles-on.toml",
        "internet-12-frr-roles-on",
        INTERNET_12,
    ),
    (
        "tests/fixtures/internet-12-frr-roles-off.toml",
        "internet-12-frr-roles-off",
        INTERNET_12,
    ),
    (
        "tests/fixtures/internet-12-bird-roles-on.toml",
        "internet-12-bird-roles-on",
        INTERNET_12,
    ),
    (
        "tests/fixtures/internet-12-bird-roles-off.toml",
        "internet-12-bird-roles-off",
        INTERNET_12,
    ),
];

/// The routers of the 12-AS internet goldens: a tier-1 (two peers, one customer), the one
/// transit (a provider, eight customers) and a stub.
pub const INTERNET_12: &[usize] = &[0, 3, 11];

/// containerlab export sets (tests/clab.rs): golden directory names.
pub const EXPORT: &[&str] = &[
    "export-chain-3",
    "export-ring-6",
    "export-mixed-ring-4",
    "export-chain-6-mixed-dual",
];

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether a value of `UPDATE_GOLDEN` asks for an update: `1`, exactly.
pub fn is_update(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1")
}

/// This run's `UPDATE_GOLDEN`.
pub fn update_mode() -> bool {
    is_update(std::env::var_os("UPDATE_GOLDEN").as_deref())
}

/// The lab an export set is made from.
pub fn export_lab(golden: &str) -> Lab {
    match golden {
        "export-chain-3" => config::load(&root().join("configs/chain-3.toml"), &Overrides::default()).unwrap(),
        "export-ring-6" => {
            let text = "name = \"ring-6\"\nrouters = 6\n\n[topology]\nshape = \"ring\"\n";
            config::validate("t.toml", config::parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
        }
        "export-mixed-ring-4" => {
            config::load(&root().join("tests/fixtures/mixed-ring-4.toml"), &Overrides::default()).unwrap()
        }
        "export-chain-6-mixed-dual" => {
            config::load(&root().join("configs/chain-6-mixed-dual.toml"), &Overrides::default()).unwrap()
        }
        other => panic!("no export set {other}"),
    }
}

/// The files of a rendered-config set: `ROUTER/daemon.conf` → text.
pub fn render_files(golden: &str) -> Vec<(PathBuf, String)> {
    let &(file, _, routers) = RENDER
        .iter()
        .find(|c| c.1 == golden)
        .unwrap_or_else(|| panic!("no render set {golden}"));
    let lab = config::load(&root().join(file), &Overrides::default()).unwrap();
    let mut v = Vec::new();
    for &i in routers {
        for d in lab.daemons_of(i) {
            v.push((
                Path::new(&lab.routers[i].name).join(format!("{d}.conf")),
                nsbgp::render::render(&lab, i, d, PASSWORD),
            ));
        }
    }
    v
}

/// The files of an export set.
pub fn export_files(golden: &str) -> Vec<(PathBuf, String)> {
    nsbgp::clab::export::build(&export_lab(golden), IMAGE, BIRD_IMAGE).unwrap()
}

/// Compares `files` with tests/golden/{golden}/ byte for byte; in update mode the directory
/// is rewritten first (so files no longer produced go), and then compared all the same.
pub fn assert_golden(golden: &str, files: &[(PathBuf, String)]) {
    // One set at a time: the stale check must not list a directory being rewritten.
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = root().join("tests/golden").join(golden);
    if update_mode() {
        let _ = std::fs::remove_dir_all(&dir);
        for (rel, text) in files {
            std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
            std::fs::write(dir.join(rel), text).unwrap();
        }
    }
    let mut mismatches = Vec::new();
    for (rel, got) in files {
        let path = dir.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(want) if &want == got => {}
            Ok(want) => mismatches.push(format!("{}:\n--- want\n{want}\n+++ got\n{got}", path.display())),
            Err(e) => mismatches.push(format!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display())),
        }
    }
    assert!(
        mismatches.is_empty(),
        "output differs from golden files (UPDATE_GOLDEN=1 to accept, then review the diff):\n{}",
        mismatches.join("\n")
    );
}

static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Golden files no set produces, relative to tests/golden/. In update mode every set
/// (render and export) is rewritten first, so what is left is stale in either mode.
pub fn stale() -> Vec<PathBuf> {
    if update_mode() {
        for &(_, golden, _) in RENDER {
            assert_golden(golden, &render_files(golden));
        }
        for golden in EXPORT {
            assert_golden(golden, &export_files(golden));
        }
    }
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    on_disk().difference(&produced()).cloned().collect()
}

/// Every file every set produces, relative to tests/golden/.
pub fn produced() -> BTreeSet<PathBuf> {
    let mut v = BTreeSet::new();
    for &(_, golden, _) in RENDER {
        v.extend(render_files(golden).into_iter().map(|(p, _)| Path::new(golden).join(p)));
    }
    for golden in EXPORT {
        v.extend(export_files(golden).into_iter().map(|(p, _)| Path::new(golden).join(p)));
    }
    v
}

/// Every file under tests/golden/ but its README, relative to it.
pub fn on_disk() -> BTreeSet<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        // Tolerant: a set being rewritten by a concurrent test may vanish for a moment.
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let base = root().join("tests/golden");
    let mut v = BTreeSet::new();
    walk(&base, &base, &mut v);
    v.remove(Path::new("README.md"));
    v
}
