//! `write_atomic`: whole files only, its own temporary per writer, nothing left behind.

use super::write_atomic;
use std::os::unix::fs::PermissionsExt;

#[test]
fn concurrent_writers_leave_one_whole_file_and_no_temporaries() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("state.json");
    let texts: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
    std::thread::scope(|s| {
        for text in &texts {
            let path = &path;
            s.spawn(move || {
                for _ in 0..20 {
                    write_atomic(path, text, 0o640).unwrap();
                }
            });
        }
    });
    let got = std::fs::read(&path).unwrap();
    assert!(texts.contains(&got), "a torn or mixed file: {} bytes", got.len());
    let names: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["state.json"]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn a_failed_write_leaves_the_old_file_and_no_temporary() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("secret");
    write_atomic(&path, b"old", 0o600).unwrap();
    // A directory in the file's place: the rename fails, the temporary goes.
    let dir = t.path().join("sub");
    std::fs::create_dir(&dir).unwrap();
    std::fs::create_dir(dir.join("x")).unwrap();
    std::fs::write(dir.join("x/keep"), "k").unwrap();
    assert!(write_atomic(&dir.join("x"), b"new", 0o600).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["x"]);
}
