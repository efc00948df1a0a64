//! The crates depend downwards only: nothing under `libs/` may depend on a crate under
//! `services/` or `dev/` (the test kit and the local stack start every service, so a library
//! that used them would pull every service into whatever uses the library).
#![allow(clippy::expect_used)]

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// The Cargo.toml of every crate directly under `dir`.
fn manifests(dir: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("directory entry").path().join("Cargo.toml"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
}

fn package_name(manifest: &Path) -> String {
    let text = fs::read_to_string(manifest).expect("manifest");
    text.lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{}: no package name", manifest.display()))
        .to_owned()
}

/// Every `secal-*` crate a manifest names, in any dependency table.
fn our_dependencies(manifest: &Path) -> BTreeSet<String> {
    fs::read_to_string(manifest)
        .expect("manifest")
        .lines()
        .filter_map(|l| {
            let name = l.split(['.', ' ', '=']).next()?;
            name.starts_with("secal-").then(|| name.to_owned())
        })
        .collect()
}

#[test]
fn libs_depend_on_no_service_and_no_dev_crate() {
    let above: BTreeSet<String> = manifests("services")
        .iter()
        .chain(manifests("dev").iter())
        .map(|m| package_name(m))
        .collect();
    assert!(above.contains("secal-intake") && above.contains("secal-testkit"));
    let libs = manifests("libs");
    assert!(libs.len() >= 5, "the libs were found: {libs:?}");
    for manifest in libs {
        let wrong: Vec<_> = our_dependencies(&manifest)
            .intersection(&above)
            .cloned()
            .collect();
        assert!(
            wrong.is_empty(),
            "{} depends on {wrong:?}, which sit above libs/",
            manifest.display()
        );
    }
}

#[test]
fn the_dependency_reader_sees_a_service_dependency() {
    // The check above must be able to fail: the test kit does depend on the services.
    let testkit = root().join("dev/testkit/Cargo.toml");
    assert!(our_dependencies(&testkit).contains("secal-payments"));
}
