//! Helpers shared by the integration tests: reading the shared corpus (read-only, outside the
//! repository) and parsing its files.

use std::path::PathBuf;

use ckisa_hl7::{Message, split_messages};

/// The shared corpus directory.
pub(crate) fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
}

/// The bytes of `corpus/<folder>/<name>`.
pub(crate) fn read(folder: &str, name: &str) -> Vec<u8> {
    let path = corpus_dir().join(folder).join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

/// Every `.hl7` file of `corpus/<folder>`, sorted by name.
pub(crate) fn hl7_files(folder: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir().join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("listing {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hl7"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path).expect("readable corpus file");
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Parses a file holding exactly one message.
pub(crate) fn parse_single(bytes: &[u8]) -> Message<'_> {
    let split = split_messages(bytes);
    assert_eq!(
        split.messages.len(),
        1,
        "expected one message, got {split:?}"
    );
    Message::parse(&bytes[split.messages[0].clone()]).expect("message parses")
}

/// Wraps a bare segment fragment (edge cases) in a minimal header.
pub(crate) fn wrap_fragment(fragment: &[u8]) -> Vec<u8> {
    let mut message =
        b"MSH|^~\\&|TEST|HOSP|NODE|HOSP|20240101000000||ORU^R01^ORU_R01|T1|P|2.5\r".to_vec();
    message.extend_from_slice(fragment);
    message
}
