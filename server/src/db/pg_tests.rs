// SPDX-License-Identifier: MPL-2.0
//! What only PostgreSQL has: many clinics in one database kept apart by
//! row-level security (and a database where it is off refused at start),
//! the migration from an older schema with rows in place, the append-only
//! triggers, and a writer that connects again. Run against the server named by
//! `HOUMON_TEST_DATABASE` (scripts/test.sh sets it when PostgreSQL is
//! installed, and runs them with `--ignored`); without it a plain
//! `cargo test` reports them as ignored.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use super::backend::{pg_connect, pg_migrate, Location, PgLocation};
use super::engine::Conn;
use super::patients::{self, PersonalData};
use super::{Db, DbError};
use crate::params;
use crate::secrets::{random_hex, Secrets};

// The tests that need a database are `#[ignore]`d: a plain `cargo test`
// reports them as ignored, not as passed. scripts/test.sh runs them with
// `--ignored` once it has a database; run so without one, they fail.

/// The test database's address: a test run with `--ignored` and none named
/// fails instead of passing without having looked at PostgreSQL.
fn address() -> String {
    std::env::var("HOUMON_TEST_DATABASE")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("HOUMON_TEST_DATABASE names no PostgreSQL database: these tests need one")
}

fn clinic(url: &str, id: &str) -> PgLocation {
    let password = std::env::var("HOUMON_TEST_DATABASE_PASSWORD").ok();
    PgLocation::new(url, password, id, 2).unwrap()
}

fn person(name: &str) -> PersonalData {
    PersonalData {
        name: name.into(),
        kana: String::new(),
        address: "東京都".into(),
        birth_date: NaiveDate::from_ymd_opt(1940, 1, 2).unwrap(),
        insurance: None,
        unit: None,
    }
}

fn open(loc: &PgLocation) -> Db {
    Db::open_at(&Location::Postgres(loc.clone()), Arc::new(Secrets::generate())).unwrap()
}

#[test]
#[ignore = "needs PostgreSQL: HOUMON_TEST_DATABASE (scripts/test.sh runs these with --ignored)"]
fn two_clinics_in_one_database_never_see_each_others_rows() {
    let url = address();
    let (a_id, b_id) =
        (format!("clinic-a-{}", random_hex(6)), format!("clinic-b-{}", random_hex(6)));
    let (a_loc, b_loc) = (clinic(&url, &a_id), clinic(&url, &b_id));
    let (a, b) = (open(&a_loc), open(&b_loc));
    // The same patient id in both clinics: two different rows.
    a.write(|c, s| patients::upsert(c, s, "p1", &person("山田 花子"), None, Utc::now())).unwrap();
    b.write(|c, s| patients::upsert(c, s, "p1", &person("佐藤 一郎"), None, Utc::now())).unwrap();
    b.write(|c, s| patients::upsert(c, s, "p2", &person("佐藤 二郎"), None, Utc::now())).unwrap();
    let in_a = a.read(patients::all).unwrap();
    assert_eq!(in_a.len(), 1);
    assert_eq!(in_a[0].personal.name, "山田 花子");
    assert_eq!(b.read(patients::all).unwrap().len(), 2);

    // A query that names the other clinic still sees nothing of it…
    let raw = std::cell::RefCell::new(pg_connect(&a_loc).unwrap());
    let c = Conn::Pg(&raw);
    let seen: i64 = c
        .query_one("SELECT count(*) FROM patient WHERE clinic_id = ?1", params![b_id], |r| r.get(0))
        .unwrap();
    assert_eq!(seen, 0, "row-level security hides the other clinic's rows");
    // …and cannot write a row into it.
    let err = c
        .execute(
            "INSERT INTO patient (clinic_id, patient_id, personal, updated_at) VALUES (?1, 'px', ?2, 'now')",
            params![b_id, vec![0u8]],
        )
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    // Nor change or delete one.
    let changed =
        c.execute("UPDATE patient SET facility = 'x' WHERE clinic_id = ?1", params![b_id]).unwrap();
    assert_eq!(changed, 0);
    assert_eq!(b.read(patients::all).unwrap().len(), 2);
}

#[test]
#[ignore = "needs PostgreSQL: HOUMON_TEST_DATABASE (scripts/test.sh runs these with --ignored)"]
fn a_connection_that_does_not_name_its_clinic_reads_nothing() {
    let url = address();
    let loc = clinic(&url, &format!("clinic-{}", random_hex(6)));
    let db = open(&loc);
    db.write(|c, s| patients::upsert(c, s, "p1", &person("山田 花子"), None, Utc::now())).unwrap();
    let mut config: postgres::Config = url.parse().unwrap();
    if let Some(p) = &loc.password {
        config.password(p.as_bytes());
    }
    let mut client = config.connect(postgres::NoTls).unwrap();
    let err = client.query("SELECT patient_id FROM patient", &[]).unwrap_err();
    let message = err.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default();
    assert!(message.contains("houmon.clinic_id"), "{err:?}");
}

#[test]
#[ignore = "needs PostgreSQL: HOUMON_TEST_DATABASE (scripts/test.sh runs these with --ignored)"]
fn audit_rows_cannot_be_changed_truncated_or_deleted() {
    let url = address();
    let loc = clinic(&url, &format!("clinic-{}", random_hex(6)));
    let db = open(&loc);
    db.write(|c, s| {
        super::audit::append(
            c,
            s,
            &super::audit::Entry::new(super::audit::Actor::System, "test", "ok"),
            Utc::now(),
        )
    })
    .unwrap();
    for sql in
        ["UPDATE audit_log SET outcome = 'changed'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
    {
        let err = db.write(|c, _| c.execute_batch(sql)).unwrap_err();
        assert!(matches!(err, DbError::Postgres(_)), "{sql}: {err}");
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert!(matches!(
        db.read(super::audit::verify).unwrap(),
        super::audit::Chain::Intact { entries: 1, .. }
    ));
}

#[test]
#[ignore = "needs PostgreSQL: HOUMON_TEST_DATABASE (scripts/test.sh runs these with --ignored)"]
fn the_postgres_schema_upgrades_from_version_3_with_its_rows_in_place() {
    let url = address();
    // A schema of its own, so that the shared one's version does not matter.
    let schema = format!("upgrade_{}", random_hex(6));
    let admin = clinic(&url, "setup");
    pg_connect(&admin).unwrap().client.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let scoped = format!("{url} options='-c search_path={schema}'");
    let loc = clinic(&scoped, "clinic-old");
    let conn = std::cell::RefCell::new(pg_connect(&loc).unwrap());
    pg_migrate(&conn, Some(3)).unwrap();
    let version = |conn: &std::cell::RefCell<_>| -> i64 {
        Conn::Pg(conn)
            .query_one("SELECT version FROM houmon_schema", params![], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&conn), 3);
    let secrets = Secrets::generate();
    Conn::Pg(&conn)
        .execute(
            "INSERT INTO staff (staff_id, name, role, created_at) VALUES ('s1', '看護 師', 'nurse', 'then')",
            params![],
        )
        .unwrap();
    patients::upsert(Conn::Pg(&conn), &secrets, "p1", &person("山田 花子"), None, Utc::now())
        .unwrap();

    pg_migrate(&conn, None).unwrap();
    assert_eq!(version(&conn), super::schema::PG_STEPS.len() as i64);
    let c = Conn::Pg(&conn);
    let name: String = c
        .query_one("SELECT name FROM staff WHERE staff_id = 's1'", params![], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "看護 師");
    assert_eq!(patients::all(c, &secrets).unwrap()[0].personal.name, "山田 花子");
    // Running it again changes nothing.
    pg_migrate(&conn, None).unwrap();
    drop(conn);
    pg_connect(&admin)
        .unwrap()
        .client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

#[test]
fn a_database_address_with_a_password_is_refused_before_connecting() {
    let err =
        PgLocation::new("postgres://houmon:secret@db.example/houmon", None, "c1", 2).unwrap_err();
    assert!(err.contains("password"), "{err}");
    let err = PgLocation::new("host=db user=houmon password=secret", None, "c1", 2).unwrap_err();
    assert!(err.contains("password"), "{err}");
    let err = PgLocation::new("host=db user=houmon", None, "clinic; DROP TABLE", 2).unwrap_err();
    assert!(err.contains("clinic id"), "{err}");
    assert!(PgLocation::new("host=/var/run/postgresql dbname=houmon", None, "c-1", 2).is_ok());
}

#[test]
#[ignore = "needs PostgreSQL: HOUMON_TEST_DATABASE (scripts/test.sh runs these with --ignored)"]
fn writes_go_on_after_the_database_ends_the_servers_connections() {
    let url = address();
    let loc = clinic(&url, &format!("clinic-{}", random_hex(6)));
    let db = Arc::new(open(&loc));
    let upsert = |db: &Db, id: &str| {
        db.write_grouped({
            let id = id.to_owned();
            move |c, s| patients::upsert(c, s, &id, &person("山田 花子"), None, Utc::now())
        })
    };
    upsert(&db, "p1").unwrap();
    // An administrator (or a restart) ends every connection of this clinic's server.
    let mut admin = pg_connect(&clinic(&url, "admin")).unwrap();
    let ended: i64 = admin
        .client
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1) t",
            &[&format!("houmon-server/{}", loc.clinic_id)],
        )
        .unwrap()
        .get(0);
    assert!(ended >= 2, "the writer and a pooled connection: {ended}");
    // At most one write fails on the dead connection; then they go on.
    let first = upsert(&db, "p2");
    upsert(&db, "p3").unwrap();
    let ids: Vec<String> =
        db.read(patients::all).unwrap().into_iter().map(|p| p.patient_id).collect();
    let expected: Vec<&str> = if first.is_ok() { vec!["p1", "p2", "p3"] } else { vec!["p1", "p3"] };
    assert_eq!(ids, expected);
}

#[test]
#[ignore = "needs PostgreSQL: HOUMON_TEST_DATABASE (scripts/test.sh runs these with --ignored)"]
fn a_database_where_a_table_is_not_kept_apart_by_its_policy_is_refused_at_start() {
    let url = address();
    let schema = format!("loose_{}", random_hex(6));
    let admin = clinic(&url, "setup");
    let mut setup = pg_connect(&admin).unwrap();
    setup.client.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let loc = clinic(&format!("{url} options='-c search_path={schema}'"), "clinic-loose");
    // A complete schema opens.
    drop(open(&loc));
    // Someone turns the policy's force off for the table's owner.
    let conn = std::cell::RefCell::new(pg_connect(&loc).unwrap());
    Conn::Pg(&conn).execute_batch("ALTER TABLE patient NO FORCE ROW LEVEL SECURITY").unwrap();
    drop(conn);
    let refused = Db::open_at(&Location::Postgres(loc), Arc::new(Secrets::generate()));
    match refused {
        Err(DbError::Isolation(why)) => assert!(why.contains("patient"), "{why}"),
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("a database with a loose table was opened"),
    }
    setup.client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).unwrap();
}
