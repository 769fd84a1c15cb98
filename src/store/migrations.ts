/** Schema migrations, applied in order; the index + 1 is the schema version (PRAGMA user_version). Never edit a released one: append. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE health_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);

  CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    offence INTEGER NOT NULL DEFAULT 0,
    lifted_at INTEGER
  );
  CREATE INDEX blocks_live ON blocks (lifted_at, expires_at);
  CREATE INDEX blocks_target ON blocks (target, created_at);
  CREATE INDEX blocks_created ON blocks (created_at);

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    ip TEXT,
    username TEXT,
    method TEXT,
    details TEXT NOT NULL
  );
  CREATE INDEX events_at ON events (at);
  CREATE INDEX events_ip ON events (ip, at);
  CREATE INDEX events_type ON events (type, at);
  CREATE INDEX events_username ON events (username, at);

  CREATE TABLE trusted_networks (
    cidr TEXT PRIMARY KEY,
    note TEXT,
    created_at INTEGER NOT NULL
  );
  `,
  `
  CREATE TABLE dnd_rules (id TEXT PRIMARY KEY, extension TEXT NOT NULL, data TEXT NOT NULL);
  CREATE TABLE dnd_overrides (extension TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE dnd_calendars (id TEXT PRIMARY KEY, extension TEXT NOT NULL, data TEXT NOT NULL);
  CREATE TABLE dnd_exceptions (id TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE dnd_settings (extension TEXT PRIMARY KEY, data TEXT NOT NULL);
  `,
  `
  CREATE TABLE routing_config (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
  `,
  `
  CREATE TABLE mfa_enrollment (subject TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE mfa_lockout (subject TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE admin_users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
  `,
];
