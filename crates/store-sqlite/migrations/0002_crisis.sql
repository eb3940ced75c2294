-- Issue 4: the crisis book reads crisis events by kind; outage detection
-- reads each feed's activity per 15-minute bucket.

CREATE INDEX events_by_kind ON events (kind, seq);

CREATE TABLE feed_activity (
    feed      TEXT    NOT NULL,
    start_ms  INTEGER NOT NULL,   -- bucket start, a multiple of 15 minutes
    count     INTEGER NOT NULL,
    PRIMARY KEY (feed, start_ms)
) WITHOUT ROWID;
