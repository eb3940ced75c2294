//! Conversions from SQLite and JSON failures into [`StoreError`], keeping the
//! source so that logs show the real cause.

use ckisa_store::StoreError;

/// A failed SQLite operation.
pub(crate) fn database(error: rusqlite::Error) -> StoreError {
    StoreError::Database(Box::new(error))
}

/// A value that could not be encoded to or decoded from JSON.
pub(crate) fn encoding(error: serde_json::Error) -> StoreError {
    StoreError::Encoding(Box::new(error))
}

/// A stored value that does not have the shape this code wrote.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CorruptValue {
    /// An event id that is not a 16-byte UUID.
    #[error("stored event id is not a UUID")]
    EventId(#[source] uuid::Error),
    /// A column holding a code this version does not know.
    #[error("stored {column} has the unknown value {value:?}")]
    UnknownCode { column: &'static str, value: String },
    /// A projection row whose record is neither kept nor in its event.
    #[error("stored record is missing from its row and its event")]
    MissingRecord,
    /// A negative number where only positive ones are written.
    #[error("stored {column} is negative")]
    Negative { column: &'static str },
}

/// A stored value that does not decode.
pub(crate) fn corrupt(error: CorruptValue) -> StoreError {
    StoreError::Encoding(Box::new(error))
}
