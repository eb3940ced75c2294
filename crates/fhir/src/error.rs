//! What can go wrong while reading one FHIR entry, worded in French for the
//! operator who reads the ingestion report.
//!
//! Nothing here aborts a document: [`crate::read`] turns each error into a
//! [`crate::Problem`] located at its entry (or line) and goes on with the
//! next one. Fatal errors drop their entry; warnings (an invalid date, a
//! dangling reference) keep the entry without the faulty element.

use serde_json::error::Category;

/// Why an entry, or one element of it, could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EntryError {
    /// The text is not JSON.
    #[error("JSON invalide : {}", describe_json(.0))]
    InvalidJson(#[source] serde_json::Error),

    /// Nothing but whitespace.
    #[error("document vide")]
    EmptyDocument,

    /// The bytes are not UTF-8.
    #[error("texte non UTF-8 (octet invalide n° {})", .valid_up_to + 1)]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },

    /// A bundle entry or NDJSON line that is not a JSON object.
    #[error("l'entrée n'est pas un objet JSON")]
    NotAnObject,

    /// A resource without `resourceType`.
    #[error("resourceType absent : ce n'est pas une ressource FHIR")]
    MissingResourceType,

    /// A supported resource whose elements do not have their FHIR types.
    #[error("{resource_type} non conforme : {}", describe_json(.source))]
    InvalidResource {
        /// Its type.
        resource_type: String,
        /// What serde found.
        source: serde_json::Error,
    },

    /// A resource with no `id` and no `fullUrl` to take one from.
    #[error("ressource {resource_type} sans id ni fullUrl exploitable")]
    MissingId {
        /// Its type.
        resource_type: String,
    },

    /// A bundle entry with neither a resource nor a request ckisa handles.
    #[error("entrée sans ressource")]
    MissingResource,

    /// `Bundle.entry.request.method` is DELETE.
    #[error("suppression non prise en charge (DELETE {url}) : à traiter dans le SIH")]
    DeleteNotSupported {
        /// `Bundle.entry.request.url`.
        url: String,
    },

    /// No subject/patient element at all.
    #[error("{element} absent : la ressource ne désigne pas son patient")]
    MissingSubject {
        /// Element path, e.g. `Observation.subject`.
        element: &'static str,
    },

    /// The subject reference names nothing this document can resolve.
    #[error("{element} : la référence « {reference} » ne désigne aucun patient identifiable")]
    UnresolvedSubject {
        /// Element path.
        element: &'static str,
        /// The reference as written.
        reference: String,
    },

    /// The subject is a Group, a Device, a Location...
    #[error("{element} : « {reference} » désigne une ressource {target}, pas un patient")]
    SubjectNotPatient {
        /// Element path.
        element: &'static str,
        /// The reference as written.
        reference: String,
        /// The type it resolved to.
        target: String,
    },

    /// A conditional subject ckisa cannot key: no identifier system, or a
    /// search by something else than an identifier.
    #[error(
        "{element} : référence conditionnelle « {reference} » vers un patient non prise en charge"
    )]
    ConditionalSubject {
        /// Element path.
        element: &'static str,
        /// The reference as written.
        reference: String,
    },

    /// An element the fact cannot do without (an appointment's start).
    #[error("{element} absent : {consequence}")]
    MissingElement {
        /// Element path, e.g. `Appointment.start`.
        element: &'static str,
        /// What it means for the entry, in French.
        consequence: &'static str,
    },

    /// A required date, dateTime or instant that does not parse.
    #[error("{element} : date invalide « {value} », ressource non reprise")]
    InvalidRequiredDate {
        /// Element path.
        element: &'static str,
        /// The text as written.
        value: String,
    },

    /// Warning: a status code outside the element's value set.
    #[error("{element} : code « {value} » inconnu, lu comme « {read_as} »")]
    UnknownCode {
        /// Element path, e.g. `Appointment.status`.
        element: &'static str,
        /// The code as written.
        value: String,
        /// The code it was read as.
        read_as: &'static str,
    },

    /// Warning: a required status code that is missing.
    #[error("{element} absent, lu comme « {read_as} »")]
    MissingCode {
        /// Element path.
        element: &'static str,
        /// The code it was read as.
        read_as: &'static str,
    },

    /// A status or kind that makes the resource meaningless for ckisa (an
    /// administration entered in error).
    #[error("{element} « {value} » : {consequence}")]
    NotRecorded {
        /// Element path.
        element: &'static str,
        /// The code as written.
        value: String,
        /// What it means for the entry, in French.
        consequence: &'static str,
    },

    /// Warning: a date, dateTime or instant that does not parse.
    #[error("{element} : date invalide « {value} », élément ignoré")]
    InvalidDate {
        /// Element path, e.g. `Patient.birthDate`.
        element: &'static str,
        /// The text as written.
        value: String,
    },

    /// Warning: a `urn:uuid:` reference to nothing in the bundle.
    #[error("{element} : la référence « {reference} » ne désigne aucune entrée du bundle")]
    DanglingReference {
        /// Element path.
        element: &'static str,
        /// The reference as written.
        reference: String,
    },
}

/// A serde_json error in French, keeping serde's own detail for precision.
fn describe_json(err: &serde_json::Error) -> String {
    let what = match err.classify() {
        Category::Syntax => "erreur de syntaxe",
        Category::Eof => "fin de texte prématurée",
        Category::Data => "élément de type inattendu",
        Category::Io => "erreur de lecture",
    };
    let full = err.to_string();
    let detail = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(d, _)| d);
    format!(
        "{what} ligne {}, colonne {} ({detail})",
        err.line(),
        err.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_are_located_and_in_french() {
        let err = serde_json::from_str::<serde_json::Value>("{\n  \"a\": tru }").unwrap_err();
        let text = EntryError::InvalidJson(err).to_string();
        assert!(
            text.starts_with("JSON invalide : erreur de syntaxe ligne 2, colonne"),
            "{text}"
        );
        assert!(!text.contains(" at line "), "{text}");
    }
}
