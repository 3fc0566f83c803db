// SPDX-License-Identifier: MPL-2.0
//! The clinic server's schema: numbered steps run by the shared runner
//! (`houmon-migrate`), which refuses a database from a newer server. Never
//! edit a step that has shipped; add one. The upgrade test (below) builds
//! every older version with rows in it and upgrades it.
//!
//! Step 3 moved personal data out of clear text: the old tables are renamed
//! `legacy_*`, and the first open with the server key seals their rows into
//! the new tables and drops them (`Db::seal_legacy`, in Rust: SQL cannot
//! seal). Columns are marked: *sealed* (XChaCha20-Poly1305 under the
//! server key, the row id as associated data), *hashed*, or in clear
//! (ids, times, states — what the worker and the console filter on).

use houmon_migrate::Schema;

pub const SCHEMA: Schema = Schema { name: "clinic server", steps: STEPS };

const STEPS: &[&str] = &[
    // 1 (shipped 2026-11-25): the first server.
    "CREATE TABLE devices (device_id TEXT PRIMARY KEY, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
                           registered_at TEXT NOT NULL);
     CREATE TABLE patients (patient_id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL,
                            birth_date TEXT NOT NULL, insurer_number TEXT, symbol TEXT, number TEXT, branch TEXT,
                            round_day TEXT, consent_until TEXT, enrolled_cert TEXT);
     CREATE TABLE visits (id TEXT PRIMARY KEY, device_id TEXT NOT NULL, patient_id TEXT, received_at TEXT NOT NULL,
                          record_sha256 TEXT NOT NULL, record_json TEXT NOT NULL, warnings TEXT NOT NULL);
     CREATE TABLE nonces (nonce TEXT PRIMARY KEY, visit_id TEXT NOT NULL);
     CREATE TABLE checks (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, visit_id TEXT, state TEXT NOT NULL,
                          requested_at TEXT NOT NULL, sent_at TEXT, answered_at TEXT, raw_result BLOB);
     CREATE TABLE results (cursor INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, visit_id TEXT,
                           checked_at TEXT NOT NULL, outcome_json TEXT NOT NULL);",
    // 2: the facility a patient lives in (rounds are grouped by it).
    "ALTER TABLE patients ADD COLUMN facility TEXT;",
    // 3: per-device enrolment, hashed expiring tokens, rounds (least
    //    privilege), personal data sealed, an append-only audit trail.
    "ALTER TABLE devices RENAME TO legacy_devices;
     ALTER TABLE patients RENAME TO legacy_patients;
     ALTER TABLE visits RENAME TO legacy_visits;
     ALTER TABLE checks RENAME TO legacy_checks;
     ALTER TABLE results RENAME TO legacy_results;

     CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE staff (
         staff_id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         role TEXT NOT NULL CHECK (role IN ('doctor', 'nurse', 'clerk', 'admin')),
         created_at TEXT NOT NULL,
         disabled_at TEXT
     );
     CREATE TABLE enrolment_code (
         code_hash TEXT PRIMARY KEY,         -- hashed: HMAC of the code under the server key
         staff_id TEXT NOT NULL,             -- who will carry the device
         issued_by TEXT NOT NULL,
         issued_at TEXT NOT NULL,
         expires_at TEXT NOT NULL,
         used_at TEXT,
         device_id TEXT
     );
     CREATE TABLE device (
         device_id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         staff_id TEXT NOT NULL,
         registered_at TEXT NOT NULL,
         token_hash TEXT UNIQUE,             -- hashed: SHA-256 of the bearer token
         token_expires_at TEXT,
         previous_token_hash TEXT UNIQUE,    -- the token before the last rotation, briefly
         previous_token_expires_at TEXT,
         revoked_at TEXT,
         revoked_by TEXT,
         last_seen_at TEXT
     );
     CREATE TABLE patient (
         patient_id TEXT PRIMARY KEY,
         personal BLOB NOT NULL,             -- sealed JSON: name, kana, address, birth date, insurance numbers
         facility TEXT,
         first_visit_on TEXT,
         consent_until TEXT,
         enrolled_cert TEXT,                 -- SHA-256 of the enrolled card certificate (pseudonymous)
         enrolled_at TEXT,
         enrolled_by_visit TEXT,
         updated_at TEXT NOT NULL
     );
     CREATE INDEX patient_by_card ON patient (enrolled_cert);
     CREATE TABLE round_stop (
         day TEXT NOT NULL,
         device_id TEXT NOT NULL,
         staff_id TEXT NOT NULL,
         patient_id TEXT NOT NULL,
         position INTEGER NOT NULL DEFAULT 0,
         PRIMARY KEY (day, device_id, patient_id)
     );
     CREATE INDEX round_stop_by_patient ON round_stop (patient_id, day);
     CREATE INDEX round_stop_by_device ON round_stop (device_id, day);
     CREATE TABLE visit (
         id TEXT PRIMARY KEY,
         device_id TEXT NOT NULL,
         staff_id TEXT NOT NULL,
         patient_id TEXT,
         received_at TEXT NOT NULL,
         visited_at TEXT NOT NULL,           -- the visit's time as the server accepted it (bounded by its clock)
         mode TEXT NOT NULL CHECK (mode IN ('pin', 'visual')),
         status TEXT NOT NULL CHECK (status IN ('accepted', 'held')),
         held_reason TEXT,
         card_fingerprint TEXT NOT NULL,
         record_sha256 TEXT NOT NULL,
         record BLOB NOT NULL,               -- sealed canonical JSON
         warnings TEXT NOT NULL
     );
     CREATE INDEX visit_by_time ON visit (visited_at);
     CREATE INDEX visit_by_patient ON visit (patient_id, visited_at);
     CREATE TABLE eligibility_check (
         id TEXT PRIMARY KEY,
         patient_id TEXT NOT NULL,
         visit_id TEXT,
         state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'answered', 'error')),
         requested_at TEXT NOT NULL,
         sent_at TEXT,
         answered_at TEXT,
         raw_result BLOB                     -- sealed: the terminal's file as received
     );
     CREATE INDEX eligibility_check_by_state ON eligibility_check (state, requested_at);
     CREATE TABLE eligibility_result (
         cursor INTEGER PRIMARY KEY AUTOINCREMENT,
         patient_id TEXT NOT NULL,
         visit_id TEXT,
         checked_at TEXT NOT NULL,
         outcome BLOB NOT NULL               -- sealed JSON
     );
     CREATE INDEX eligibility_result_by_patient ON eligibility_result (patient_id, cursor);
     CREATE TABLE audit_log (
         seq INTEGER PRIMARY KEY,
         at TEXT NOT NULL,
         actor TEXT NOT NULL,                -- device:<id>, staff:<id>, system, anonymous
         device_id TEXT,
         staff_id TEXT,
         action TEXT NOT NULL,
         target TEXT,
         outcome TEXT NOT NULL,
         detail TEXT NOT NULL,
         prev_hash TEXT NOT NULL,
         hash TEXT NOT NULL                  -- SHA-256 over prev_hash and this entry: an edit breaks the chain
     );
     CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
     CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 4: the clinic console — staff passwords (argon2id) and lockout,
    //    sessions (hashed tokens, a CSRF token each), resolved follow-ups,
    //    records phones could not deliver, each phone's pending count.
    //    A round stop's device '*' means every device of that staff member.
    "ALTER TABLE staff ADD COLUMN password_hash TEXT;       -- hashed: argon2id PHC string
     ALTER TABLE staff ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE staff ADD COLUMN locked_until TEXT;
     ALTER TABLE device ADD COLUMN pending_count INTEGER;
     ALTER TABLE device ADD COLUMN reported_at TEXT;
     CREATE TABLE console_session (
         token_hash TEXT PRIMARY KEY,                        -- hashed: SHA-256 of the cookie's token
         staff_id TEXT NOT NULL,
         csrf TEXT NOT NULL,                                 -- the token every form carries
         created_at TEXT NOT NULL,
         expires_at TEXT NOT NULL,
         last_seen_at TEXT NOT NULL,
         ended_at TEXT
     );
     CREATE TABLE follow_up_resolution (
         kind TEXT NOT NULL,
         item TEXT NOT NULL,
         outcome TEXT NOT NULL,
         note TEXT NOT NULL,
         resolved_by TEXT NOT NULL,
         resolved_at TEXT NOT NULL,
         PRIMARY KEY (kind, item)
     );
     CREATE TABLE undelivered (
         device_id TEXT NOT NULL,
         record_id TEXT NOT NULL,
         reason TEXT NOT NULL,
         reported_at TEXT NOT NULL,
         PRIMARY KEY (device_id, record_id)
     );",
];
