-- Issue 6, secure messaging: the files attached to messages (photos of paper
-- forms, PDFs), each kept once under the SHA-256 of its bytes.
--
-- Not a projection: messages name their attachments by hash, and the rows
-- are written by put_attachment and removed by the retention purge
-- (delete_attachments), never rebuilt from the log.

CREATE TABLE attachments (
    sha256     TEXT    PRIMARY KEY,       -- lowercase hex of the bytes' SHA-256
    mime       TEXT    NOT NULL,          -- as given when first stored
    stored_ms  INTEGER NOT NULL,          -- first stored, node wall clock
    bytes      BLOB    NOT NULL           -- last, so that reading the other
                                          -- columns skips the overflow pages
);
