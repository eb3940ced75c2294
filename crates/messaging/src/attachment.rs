//! The checks a file passes before it is attached to a message: not empty,
//! not too large, a type the establishment allows, recognised from its
//! first bytes (never from what the browser or the name claims), and a
//! clean name.
//!
//! Only JPEG, PNG and PDF can ever be allowed: an SVG or HTML file can carry
//! script that would run in a reader's browser.

use ckisa_domain::Attachment;

use crate::settings::{KIB, MediaType, Settings};

/// Longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// A file that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// The name, without any folder, control character or leading dot, at
    /// most [`MAX_NAME_CHARS`] characters, ending with the extension of its
    /// type.
    pub name: String,
    /// The media type read from the first bytes.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex: the key the store keeps them under.
    pub sha256: String,
}

impl CheckedFile {
    /// The attachment of a message carrying this file.
    pub fn attachment(&self) -> Attachment {
        Attachment {
            sha256: self.sha256.clone(),
            name: self.name.clone(),
            mime: self.mime.clone(),
            size: self.size,
        }
    }
}

/// Checks a file sent as `name`, declared by the browser as `declared_mime`
/// (empty or `application/octet-stream` when it did not know), against
/// `settings`; why it is refused otherwise (French, without final period).
pub fn check(
    name: &str,
    declared_mime: &str,
    bytes: &[u8],
    settings: &Settings,
) -> Result<CheckedFile, String> {
    if settings.attachment_types.is_empty() {
        return Err("les pièces jointes sont désactivées sur ce nœud".to_owned());
    }
    if bytes.is_empty() {
        return Err("le fichier est vide".to_owned());
    }
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > settings.attachment_max_bytes {
        return Err(format!(
            "le fichier fait {} ; {} au plus",
            size_text(size),
            size_text(settings.attachment_max_bytes)
        ));
    }
    let media = match sniff(bytes) {
        Sniffed::Media(media) => media,
        Sniffed::Other(what) => {
            return Err(format!(
                "le contenu du fichier est {what} ; seuls {} sont acceptés",
                allowed_text(settings)
            ));
        }
        Sniffed::Unknown => {
            return Err(format!(
                "le type du fichier n'est pas reconnu ; seuls {} sont acceptés",
                allowed_text(settings)
            ));
        }
    };
    check_declared(declared_mime, media)?;
    if !settings.attachment_types.contains(&media) {
        return Err(format!(
            "le fichier est {} : ce type n'est pas accepté ici ; seuls {} le sont",
            media.label(),
            allowed_text(settings)
        ));
    }
    Ok(CheckedFile {
        name: clean_name(name, media)?,
        mime: media.mime().to_owned(),
        size,
        sha256: crate::recall::sha256_hex(bytes),
    })
}

/// What the first bytes say a file is.
enum Sniffed {
    /// A type an attachment may have.
    Media(MediaType),
    /// Something recognised that is never accepted, described (French).
    Other(&'static str),
    /// Nothing recognised.
    Unknown,
}

fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Media(MediaType::Jpeg);
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Sniffed::Media(MediaType::Png);
    }
    if bytes.starts_with(b"%PDF-") {
        return Sniffed::Media(MediaType::Pdf);
    }
    let binary: [(&[u8], &'static str); 9] = [
        (b"GIF87a", "une image GIF"),
        (b"GIF89a", "une image GIF"),
        (b"BM", "une image BMP"),
        (b"II*\0", "une image TIFF"),
        (b"MM\0*", "une image TIFF"),
        (b"PK\x03\x04", "une archive ZIP (ou un document Office)"),
        (b"MZ", "un programme Windows"),
        (b"\x7fELF", "un programme"),
        (b"\xD0\xCF\x11\xE0", "un document Office ancien format"),
    ];
    if let Some((_, what)) = binary.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Sniffed::Other(what);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Sniffed::Other("une image WebP");
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        return Sniffed::Other(if brand.starts_with(b"hei") || brand.starts_with(b"mif1") {
            "une image HEIC (réglez l'appareil photo sur JPEG)"
        } else {
            "une vidéo ou une image MP4/HEIF"
        });
    }
    sniff_text(bytes)
}

/// Markup and text: what a renamed web page or script looks like.
fn sniff_text(bytes: &[u8]) -> Sniffed {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_lowercase();
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if start.starts_with('<') {
        if text.contains("<svg") {
            return Sniffed::Other("une image SVG, qui peut contenir du script");
        }
        let html_tags = [
            "<!doctype html",
            "<html",
            "<head",
            "<body",
            "<script",
            "<iframe",
        ];
        if html_tags.iter().any(|tag| text.contains(tag)) {
            return Sniffed::Other("une page HTML, qui peut contenir du script");
        }
        return Sniffed::Other("un document XML ou HTML");
    }
    let printable = head
        .iter()
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\r' | b'\n'));
    if printable && std::str::from_utf8(head).is_ok() {
        return Sniffed::Other("du texte");
    }
    Sniffed::Unknown
}

/// Refuses a file whose declared type is not the one read from its bytes.
fn check_declared(declared: &str, media: MediaType) -> Result<(), String> {
    let essence = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence.is_empty() || essence == "application/octet-stream" {
        return Ok(());
    }
    if essence.contains("svg") || essence.contains("html") || essence.contains("javascript") {
        return Err(format!(
            "les fichiers {essence} ne sont jamais acceptés : ils peuvent contenir du script"
        ));
    }
    match MediaType::from_mime(&essence) {
        Some(claimed) if claimed == media => Ok(()),
        Some(claimed) => Err(format!(
            "le fichier se présente comme {} mais son contenu est {}",
            claimed.label(),
            media.label()
        )),
        None => Err(format!(
            "le fichier se présente comme {essence:?} mais son contenu est {}",
            media.label()
        )),
    }
}

/// The name of a file without its folder, control characters and leading
/// dots, cut to [`MAX_NAME_CHARS`], with the extension of `media`: added
/// when it has none, refused when it has another type's.
fn clean_name(name: &str, media: MediaType) -> Result<String, String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && looks_like_extension(ext) => {
            (stem.trim_end(), Some(ext.to_lowercase()))
        }
        _ => (cleaned, None),
    };
    let extension = match extension {
        Some(ext) if extensions(media).contains(&ext.as_str()) => ext,
        Some(ext) => {
            return Err(format!(
                "le nom se termine par .{ext} mais le fichier est {}",
                media.label()
            ));
        }
        None => extensions(media)[0].to_owned(),
    };
    let stem = if stem.is_empty() {
        "piece-jointe"
    } else {
        stem
    };
    let room = MAX_NAME_CHARS - extension.chars().count() - 1;
    let stem: String = stem.chars().take(room).collect();
    Ok(format!("{}.{extension}", stem.trim_end()))
}

/// Whether what follows the last dot of a name is an extension (`pdf`,
/// `jpeg`), not part of the name (`12.03.2024`, `v2 final`).
fn looks_like_extension(text: &str) -> bool {
    (1..=5).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric())
        && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// The extensions of a media type, the usual one first.
fn extensions(media: MediaType) -> &'static [&'static str] {
    match media {
        MediaType::Jpeg => &["jpg", "jpeg", "jpe"],
        MediaType::Png => &["png"],
        MediaType::Pdf => &["pdf"],
    }
}

/// The allowed types as a phrase: « les images JPEG, les images PNG et les
/// documents PDF ».
fn allowed_text(settings: &Settings) -> String {
    let names: Vec<&str> = settings
        .attachment_types
        .iter()
        .map(|media| match media {
            MediaType::Jpeg => "les images JPEG",
            MediaType::Png => "les images PNG",
            MediaType::Pdf => "les documents PDF",
        })
        .collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} et {last}", rest.join(", ")),
    }
}

/// A size for people: `350 Ko`, `5 Mo`, `7,2 Mo` (1 Ko = 1024 octets).
pub fn size_text(bytes: u64) -> String {
    let mib = KIB * KIB;
    if bytes < mib {
        return format!("{} Ko", bytes.div_ceil(KIB));
    }
    let tenths = (bytes * 10).div_ceil(mib);
    if tenths.is_multiple_of(10) {
        format!("{} Mo", tenths / 10)
    } else {
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
    ];
    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj";

    fn settings() -> Settings {
        Settings::default()
    }

    #[test]
    fn allowed_files_pass_with_their_sniffed_type_and_hash() {
        let file = check("fiche.JPG", "image/jpeg", JPEG, &settings()).unwrap();
        assert_eq!(file.mime, "image/jpeg");
        assert_eq!(file.name, "fiche.jpg");
        assert_eq!(file.size, JPEG.len() as u64);
        assert_eq!(file.sha256, crate::recall::sha256_hex(JPEG));
        assert_eq!(file.attachment().sha256, file.sha256);

        let file = check("capture.png", "", PNG, &settings()).unwrap();
        assert_eq!(file.mime, "image/png");
        let file = check(
            "protocole.pdf",
            "application/octet-stream",
            PDF,
            &settings(),
        )
        .unwrap();
        assert_eq!(file.mime, "application/pdf");
        let file = check("photo", "image/jpg", JPEG, &settings()).unwrap();
        assert_eq!(file.name, "photo.jpg");
    }

    #[test]
    fn empty_and_oversized_files_are_refused_with_both_sizes() {
        assert_eq!(
            check("a.pdf", "application/pdf", b"", &settings()).unwrap_err(),
            "le fichier est vide"
        );
        let mut big = PDF.to_vec();
        big.resize(7 * 1024 * 1024 + 200 * 1024, b' ');
        let err = check("a.pdf", "application/pdf", &big, &settings()).unwrap_err();
        assert_eq!(err, "le fichier fait 7,2 Mo ; 5 Mo au plus");

        let mut small_limit = settings();
        small_limit.attachment_max_bytes = 300 * KIB;
        let mut medium = JPEG.to_vec();
        medium.resize(300 * 1024 + 1, 0);
        let err = check("a.jpg", "image/jpeg", &medium, &small_limit).unwrap_err();
        assert_eq!(err, "le fichier fait 301 Ko ; 300 Ko au plus");
        medium.truncate(300 * 1024);
        assert!(check("a.jpg", "image/jpeg", &medium, &small_limit).is_ok());
    }

    #[test]
    fn renamed_web_pages_and_svg_are_refused_saying_what_they_are() {
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        let err = check("photo.png", "image/png", html, &settings()).unwrap_err();
        assert!(err.contains("une page HTML"), "{err}");
        let svg =
            b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"x()\"/>";
        let err = check("logo.png", "image/png", svg, &settings()).unwrap_err();
        assert!(err.contains("une image SVG"), "{err}");
        let err = check("a.jpg", "image/jpeg", b"GIF89a\x01\x00", &settings()).unwrap_err();
        assert!(err.contains("une image GIF"), "{err}");
        let err = check("a.jpg", "image/jpeg", b"MZ\x90\x00\x03", &settings()).unwrap_err();
        assert!(err.contains("un programme Windows"), "{err}");
        let err = check("notes.pdf", "", b"juste du texte", &settings()).unwrap_err();
        assert!(err.contains("du texte"), "{err}");
        let err = check("x.bin", "", &[0x00, 0x01, 0x02, 0xFE], &settings()).unwrap_err();
        assert!(err.contains("pas reconnu"), "{err}");
        assert!(
            err.contains("les images JPEG, les images PNG et les documents PDF"),
            "{err}"
        );
    }

    #[test]
    fn the_declared_type_and_the_name_must_agree_with_the_content() {
        let err = check("a.png", "image/png", JPEG, &settings()).unwrap_err();
        assert_eq!(
            err,
            "le fichier se présente comme une image PNG mais son contenu est une image JPEG"
        );
        let err = check("a.jpg", "image/svg+xml", JPEG, &settings()).unwrap_err();
        assert!(err.contains("jamais acceptés"), "{err}");
        let err = check("a.jpg", "text/html; charset=utf-8", JPEG, &settings()).unwrap_err();
        assert!(err.contains("jamais acceptés"), "{err}");
        let err = check("a.jpg", "image/gif", JPEG, &settings()).unwrap_err();
        assert!(err.contains("\"image/gif\""), "{err}");
        let err = check("page.html", "", PNG, &settings()).unwrap_err();
        assert_eq!(
            err,
            "le nom se termine par .html mais le fichier est une image PNG"
        );
    }

    #[test]
    fn types_not_allowed_here_are_refused() {
        let mut pdf_only = settings();
        pdf_only.attachment_types = vec![MediaType::Pdf];
        let err = check("a.jpg", "image/jpeg", JPEG, &pdf_only).unwrap_err();
        assert_eq!(
            err,
            "le fichier est une image JPEG : ce type n'est pas accepté ici ; seuls les \
             documents PDF le sont"
        );
        assert!(check("a.pdf", "application/pdf", PDF, &pdf_only).is_ok());
        let mut none = settings();
        none.attachment_types.clear();
        let err = check("a.pdf", "application/pdf", PDF, &none).unwrap_err();
        assert!(err.contains("désactivées"), "{err}");
    }

    #[test]
    fn names_are_cleaned() {
        let name = |raw: &str| check(raw, "", PDF, &settings()).unwrap().name;
        assert_eq!(name("C:\\Users\\x\\Bilan.PDF"), "Bilan.pdf");
        assert_eq!(name("../../etc/passwd.pdf"), "passwd.pdf");
        assert_eq!(name("  ..cache\u{0}\u{7}.pdf "), "cache.pdf");
        assert_eq!(name("dossier/"), "piece-jointe.pdf");
        assert_eq!(name(".pdf"), "pdf.pdf");
        assert_eq!(name("Bilan 12.03.2024"), "Bilan 12.03.2024.pdf");
        let long = format!("{}.pdf", "é".repeat(300));
        let cleaned = name(&long);
        assert_eq!(cleaned.chars().count(), MAX_NAME_CHARS);
        assert!(cleaned.ends_with("éé.pdf"));
    }

    #[test]
    fn sizes_read_in_ko_and_mo() {
        assert_eq!(size_text(1), "1 Ko");
        assert_eq!(size_text(1024), "1 Ko");
        assert_eq!(size_text(1025), "2 Ko");
        assert_eq!(size_text(5 * 1024 * 1024), "5 Mo");
        assert_eq!(size_text(20 * 1024 * 1024), "20 Mo");
    }
}
