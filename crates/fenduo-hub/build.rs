//! Embeds the demo playbook folder (`assets/demo/playbook/`) in the hub binary, so demo seeding
//! works wherever the binary runs. It writes `$OUT_DIR/demo_playbook.rs`: a list of
//! `(relative path, include_bytes!(...))`, read by `playbook::demo_playbook`.

use std::path::{Path, PathBuf};

fn main() {
    // Read at run time, not with `env!`: a build-script binary reused from another checkout
    // (a shared target folder) would otherwise read that checkout's folder.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../../assets/demo/playbook");
    // A directory here makes cargo rerun when anything below it changes (files added or removed);
    // `include_bytes!` tracks the contents of each file.
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut out = String::from("pub static DEMO_PLAYBOOK_FILES: &[(&str, &[u8])] = &[\n");
    for (rel, path) in &files {
        out.push_str(&format!("    ({rel:?}, include_bytes!({:?})),\n", path.display().to_string()));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("demo_playbook.rs");
    std::fs::write(dest, out).expect("write demo_playbook.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path.strip_prefix(root).expect("below the root");
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            let abs = path.canonicalize().expect("canonical path");
            files.push((rel, abs));
        }
    }
}
