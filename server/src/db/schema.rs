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
    // 5: shared phones and facilities — each staff member's sign-in key
    //    (sealed) and the verifier phones check it with; the cards of a
    //    facility's residents taken from and put back into its
    //    safekeeping; how each visit's card read went on its phone.
    "ALTER TABLE staff ADD COLUMN signin_key BLOB;         -- sealed: the key derived from the sign-in code
     ALTER TABLE staff ADD COLUMN signin_verifier TEXT;    -- what phones check a typed code with (no secret)
     CREATE TABLE custody_event (
         id TEXT PRIMARY KEY,
         device_id TEXT NOT NULL,
         staff_id TEXT NOT NULL,
         patient_id TEXT NOT NULL,
         facility TEXT,
         action TEXT NOT NULL CHECK (action IN ('taken', 'returned')),
         at TEXT NOT NULL,                   -- bounded by the server's clock and the phone's server-time token
         received_at TEXT NOT NULL,
         digest TEXT NOT NULL
     );
     CREATE INDEX custody_by_time ON custody_event (at);
     CREATE TABLE read_timing (
         visit_id TEXT PRIMARY KEY,
         device_id TEXT NOT NULL,
         visited_at TEXT NOT NULL,
         phone_model TEXT NOT NULL,
         os TEXT NOT NULL,
         extended_length INTEGER NOT NULL,
         max_response INTEGER NOT NULL,
         reads INTEGER NOT NULL,
         tag_losses INTEGER NOT NULL,
         apdus INTEGER NOT NULL,
         total_ms INTEGER NOT NULL,
         phases TEXT NOT NULL                -- JSON [{phase, ms}]
     );
     CREATE INDEX read_timing_by_time ON read_timing (visited_at);",
    // 6 (issue 22): the patients the clinic gave each staff member (a
    //    nurse plans rounds only from hers, and sees only theirs); the
    //    revoked device an administrator issued a code to enrol again; the
    //    address a console session was opened from (its owner's own
    //    address is not held back by guessing from elsewhere).
    "CREATE TABLE care_team (
         patient_id TEXT NOT NULL,
         staff_id TEXT NOT NULL,
         assigned_by TEXT NOT NULL,
         assigned_at TEXT NOT NULL,
         PRIMARY KEY (patient_id, staff_id)
     );
     CREATE INDEX care_team_by_staff ON care_team (staff_id, patient_id);
     ALTER TABLE enrolment_code ADD COLUMN for_device TEXT;
     ALTER TABLE console_session ADD COLUMN address TEXT;",
];

/// The same schema on PostgreSQL, where one database holds many clinics
/// (`docs/adr/0008-postgresql.md`). Version numbers match [`STEPS`]: no
/// PostgreSQL database was ever at versions 1–2 (they are empty steps), and
/// step 3 creates what SQLite's steps 1–3 left. Every table carries its
/// clinic: `clinic_id` defaults to the connection's `houmon.clinic_id`
/// (set by the server at connect), starts every key, and row-level
/// security — forced, so that the tables' owner is held to it too — lets a
/// connection see and write only its own clinic's rows (a connection that
/// names no clinic gets an error, not rows). Text compares byte-wise
/// (`COLLATE "C"`), as in SQLite: times are RFC 3339 text that sorts.
pub const PG_STEPS: &[&str] = &[
    // 1, 2: nothing (SQLite's first two versions).
    "SELECT 1",
    "SELECT 1",
    // 3: the tables of SQLite's version 3, each with its clinic.
    "     CREATE TABLE meta (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         key TEXT COLLATE \"C\" NOT NULL,
         value BYTEA NOT NULL,
         PRIMARY KEY (clinic_id, key)
     );
     CREATE TABLE staff (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         staff_id TEXT COLLATE \"C\" NOT NULL,
         name TEXT COLLATE \"C\" NOT NULL,
         role TEXT COLLATE \"C\" NOT NULL CHECK (role IN ('doctor', 'nurse', 'clerk', 'admin')),
         created_at TEXT COLLATE \"C\" NOT NULL,
         disabled_at TEXT COLLATE \"C\",
         PRIMARY KEY (clinic_id, staff_id)
     );
     CREATE TABLE enrolment_code (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         code_hash TEXT COLLATE \"C\" NOT NULL,             -- hashed: HMAC of the code under the clinic's server key
         staff_id TEXT COLLATE \"C\" NOT NULL,
         issued_by TEXT COLLATE \"C\" NOT NULL,
         issued_at TEXT COLLATE \"C\" NOT NULL,
         expires_at TEXT COLLATE \"C\" NOT NULL,
         used_at TEXT COLLATE \"C\",
         device_id TEXT COLLATE \"C\",
         PRIMARY KEY (clinic_id, code_hash)
     );
     CREATE TABLE device (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         device_id TEXT COLLATE \"C\" NOT NULL,
         name TEXT COLLATE \"C\" NOT NULL,
         staff_id TEXT COLLATE \"C\" NOT NULL,
         registered_at TEXT COLLATE \"C\" NOT NULL,
         token_hash TEXT COLLATE \"C\",                     -- hashed: SHA-256 of the bearer token
         token_expires_at TEXT COLLATE \"C\",
         previous_token_hash TEXT COLLATE \"C\",
         previous_token_expires_at TEXT COLLATE \"C\",
         revoked_at TEXT COLLATE \"C\",
         revoked_by TEXT COLLATE \"C\",
         last_seen_at TEXT COLLATE \"C\",
         PRIMARY KEY (clinic_id, device_id),
         UNIQUE (clinic_id, token_hash),
         UNIQUE (clinic_id, previous_token_hash)
     );
     CREATE TABLE patient (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         patient_id TEXT COLLATE \"C\" NOT NULL,
         personal BYTEA NOT NULL,            -- sealed JSON
         facility TEXT COLLATE \"C\",
         first_visit_on TEXT COLLATE \"C\",
         consent_until TEXT COLLATE \"C\",
         enrolled_cert TEXT COLLATE \"C\",
         enrolled_at TEXT COLLATE \"C\",
         enrolled_by_visit TEXT COLLATE \"C\",
         updated_at TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, patient_id)
     );
     CREATE INDEX patient_by_card ON patient (clinic_id, enrolled_cert);
     CREATE TABLE round_stop (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         day TEXT COLLATE \"C\" NOT NULL,
         device_id TEXT COLLATE \"C\" NOT NULL,
         staff_id TEXT COLLATE \"C\" NOT NULL,
         patient_id TEXT COLLATE \"C\" NOT NULL,
         position BIGINT NOT NULL DEFAULT 0,
         PRIMARY KEY (clinic_id, day, device_id, patient_id)
     );
     CREATE INDEX round_stop_by_patient ON round_stop (clinic_id, patient_id, day);
     CREATE INDEX round_stop_by_device ON round_stop (clinic_id, device_id, day);
     CREATE TABLE visit (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         id TEXT COLLATE \"C\" NOT NULL,
         device_id TEXT COLLATE \"C\" NOT NULL,
         staff_id TEXT COLLATE \"C\" NOT NULL,
         patient_id TEXT COLLATE \"C\",
         received_at TEXT COLLATE \"C\" NOT NULL,
         visited_at TEXT COLLATE \"C\" NOT NULL,
         mode TEXT COLLATE \"C\" NOT NULL CHECK (mode IN ('pin', 'visual')),
         status TEXT COLLATE \"C\" NOT NULL CHECK (status IN ('accepted', 'held')),
         held_reason TEXT COLLATE \"C\",
         card_fingerprint TEXT COLLATE \"C\" NOT NULL,
         record_sha256 TEXT COLLATE \"C\" NOT NULL,
         record BYTEA NOT NULL,              -- sealed canonical JSON
         warnings TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, id)
     );
     CREATE INDEX visit_by_time ON visit (clinic_id, visited_at);
     CREATE INDEX visit_by_patient ON visit (clinic_id, patient_id, visited_at);
     CREATE TABLE nonces (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         nonce TEXT COLLATE \"C\" NOT NULL,
         visit_id TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, nonce)
     );
     CREATE TABLE eligibility_check (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         id TEXT COLLATE \"C\" NOT NULL,
         patient_id TEXT COLLATE \"C\" NOT NULL,
         visit_id TEXT COLLATE \"C\",
         state TEXT COLLATE \"C\" NOT NULL CHECK (state IN ('queued', 'sent', 'answered', 'error')),
         requested_at TEXT COLLATE \"C\" NOT NULL,
         sent_at TEXT COLLATE \"C\",
         answered_at TEXT COLLATE \"C\",
         raw_result BYTEA,                   -- sealed
         PRIMARY KEY (clinic_id, id)
     );
     CREATE INDEX eligibility_check_by_state ON eligibility_check (clinic_id, state, requested_at);
     CREATE INDEX eligibility_check_by_visit ON eligibility_check (clinic_id, visit_id);
     CREATE TABLE eligibility_result (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         cursor BIGINT GENERATED ALWAYS AS IDENTITY,
         patient_id TEXT COLLATE \"C\" NOT NULL,
         visit_id TEXT COLLATE \"C\",
         checked_at TEXT COLLATE \"C\" NOT NULL,
         outcome BYTEA NOT NULL,             -- sealed JSON
         PRIMARY KEY (clinic_id, cursor)
     );
     CREATE INDEX eligibility_result_by_patient ON eligibility_result (clinic_id, patient_id, cursor);
     CREATE INDEX eligibility_result_by_visit ON eligibility_result (clinic_id, visit_id, cursor);
     CREATE TABLE audit_log (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         seq BIGINT NOT NULL,
         at TEXT COLLATE \"C\" NOT NULL,
         actor TEXT COLLATE \"C\" NOT NULL,
         device_id TEXT COLLATE \"C\",
         staff_id TEXT COLLATE \"C\",
         action TEXT COLLATE \"C\" NOT NULL,
         target TEXT COLLATE \"C\",
         outcome TEXT COLLATE \"C\" NOT NULL,
         detail TEXT COLLATE \"C\" NOT NULL,
         prev_hash TEXT COLLATE \"C\" NOT NULL,
         hash TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, seq)
     );
     CREATE FUNCTION houmon_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
     CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
         FOR EACH ROW EXECUTE FUNCTION houmon_append_only();
     CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
         FOR EACH STATEMENT EXECUTE FUNCTION houmon_append_only();
     ALTER TABLE meta ENABLE ROW LEVEL SECURITY;
     ALTER TABLE meta FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON meta
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE staff ENABLE ROW LEVEL SECURITY;
     ALTER TABLE staff FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON staff
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE enrolment_code ENABLE ROW LEVEL SECURITY;
     ALTER TABLE enrolment_code FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON enrolment_code
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE device ENABLE ROW LEVEL SECURITY;
     ALTER TABLE device FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON device
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE patient ENABLE ROW LEVEL SECURITY;
     ALTER TABLE patient FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON patient
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE round_stop ENABLE ROW LEVEL SECURITY;
     ALTER TABLE round_stop FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON round_stop
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE visit ENABLE ROW LEVEL SECURITY;
     ALTER TABLE visit FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON visit
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE nonces ENABLE ROW LEVEL SECURITY;
     ALTER TABLE nonces FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON nonces
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE eligibility_check ENABLE ROW LEVEL SECURITY;
     ALTER TABLE eligibility_check FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON eligibility_check
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE eligibility_result ENABLE ROW LEVEL SECURITY;
     ALTER TABLE eligibility_result FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON eligibility_result
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
     ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON audit_log
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));",
    // 4: the clinic console (as SQLite's step 4).
    "     ALTER TABLE staff ADD COLUMN password_hash TEXT COLLATE \"C\";       -- hashed: argon2id PHC string
     ALTER TABLE staff ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
     ALTER TABLE staff ADD COLUMN locked_until TEXT COLLATE \"C\";
     ALTER TABLE device ADD COLUMN pending_count BIGINT;
     ALTER TABLE device ADD COLUMN reported_at TEXT COLLATE \"C\";
     CREATE TABLE console_session (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         token_hash TEXT COLLATE \"C\" NOT NULL,            -- hashed: SHA-256 of the cookie's token
         staff_id TEXT COLLATE \"C\" NOT NULL,
         csrf TEXT COLLATE \"C\" NOT NULL,
         created_at TEXT COLLATE \"C\" NOT NULL,
         expires_at TEXT COLLATE \"C\" NOT NULL,
         last_seen_at TEXT COLLATE \"C\" NOT NULL,
         ended_at TEXT COLLATE \"C\",
         PRIMARY KEY (clinic_id, token_hash)
     );
     CREATE TABLE follow_up_resolution (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         kind TEXT COLLATE \"C\" NOT NULL,
         item TEXT COLLATE \"C\" NOT NULL,
         outcome TEXT COLLATE \"C\" NOT NULL,
         note TEXT COLLATE \"C\" NOT NULL,
         resolved_by TEXT COLLATE \"C\" NOT NULL,
         resolved_at TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, kind, item)
     );
     CREATE TABLE undelivered (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         device_id TEXT COLLATE \"C\" NOT NULL,
         record_id TEXT COLLATE \"C\" NOT NULL,
         reason TEXT COLLATE \"C\" NOT NULL,
         reported_at TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, device_id, record_id)
     );
     ALTER TABLE console_session ENABLE ROW LEVEL SECURITY;
     ALTER TABLE console_session FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON console_session
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE follow_up_resolution ENABLE ROW LEVEL SECURITY;
     ALTER TABLE follow_up_resolution FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON follow_up_resolution
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE undelivered ENABLE ROW LEVEL SECURITY;
     ALTER TABLE undelivered FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON undelivered
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));",
    // 5: as SQLite's step 5.
    "     ALTER TABLE staff ADD COLUMN signin_key BYTEA;
     ALTER TABLE staff ADD COLUMN signin_verifier TEXT COLLATE \"C\";
     CREATE TABLE custody_event (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         id TEXT COLLATE \"C\" NOT NULL,
         device_id TEXT COLLATE \"C\" NOT NULL,
         staff_id TEXT COLLATE \"C\" NOT NULL,
         patient_id TEXT COLLATE \"C\" NOT NULL,
         facility TEXT COLLATE \"C\",
         action TEXT COLLATE \"C\" NOT NULL CHECK (action IN ('taken', 'returned')),
         at TEXT COLLATE \"C\" NOT NULL,
         received_at TEXT COLLATE \"C\" NOT NULL,
         digest TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, id)
     );
     CREATE INDEX custody_by_time ON custody_event (clinic_id, at);
     CREATE TABLE read_timing (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         visit_id TEXT COLLATE \"C\" NOT NULL,
         device_id TEXT COLLATE \"C\" NOT NULL,
         visited_at TEXT COLLATE \"C\" NOT NULL,
         phone_model TEXT COLLATE \"C\" NOT NULL,
         os TEXT COLLATE \"C\" NOT NULL,
         extended_length BIGINT NOT NULL,
         max_response BIGINT NOT NULL,
         reads BIGINT NOT NULL,
         tag_losses BIGINT NOT NULL,
         apdus BIGINT NOT NULL,
         total_ms BIGINT NOT NULL,
         phases TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, visit_id)
     );
     CREATE INDEX read_timing_by_time ON read_timing (clinic_id, visited_at);
     ALTER TABLE custody_event ENABLE ROW LEVEL SECURITY;
     ALTER TABLE custody_event FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON custody_event
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));
     ALTER TABLE read_timing ENABLE ROW LEVEL SECURITY;
     ALTER TABLE read_timing FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON read_timing
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));",
    // 6 (as SQLite's step 6).
    "     CREATE TABLE care_team (
         clinic_id TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('houmon.clinic_id'),
         patient_id TEXT COLLATE \"C\" NOT NULL,
         staff_id TEXT COLLATE \"C\" NOT NULL,
         assigned_by TEXT COLLATE \"C\" NOT NULL,
         assigned_at TEXT COLLATE \"C\" NOT NULL,
         PRIMARY KEY (clinic_id, patient_id, staff_id)
     );
     CREATE INDEX care_team_by_staff ON care_team (clinic_id, staff_id, patient_id);
     ALTER TABLE enrolment_code ADD COLUMN for_device TEXT COLLATE \"C\";
     ALTER TABLE console_session ADD COLUMN address TEXT COLLATE \"C\";
     ALTER TABLE care_team ENABLE ROW LEVEL SECURITY;
     ALTER TABLE care_team FORCE ROW LEVEL SECURITY;
     CREATE POLICY clinic_only ON care_team
         USING (clinic_id = current_setting('houmon.clinic_id'))
         WITH CHECK (clinic_id = current_setting('houmon.clinic_id'));",
];
