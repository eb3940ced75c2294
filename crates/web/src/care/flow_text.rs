//! The clinical capsule's texts (lab, admissions and movements, clinic and kitchen lists, paper fallback, re-integration), French and
//! English; see `crate::i18n` for how catalogs work.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[];
