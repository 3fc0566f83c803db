// SPDX-License-Identifier: MPL-2.0
//! The FFI surface from Rust: what the shells see, without a JVM.

use std::sync::Arc;

use houmon_core::transport::CardTransport as _;
use houmon_ffi::*;
use houmon_vcard::VirtualCard;

struct Keys([u8; 32]);
impl KeyProvider for Keys {
    fn database_key(&self) -> Result<Vec<u8>, KeyProviderFailure> {
        Ok(self.0.to_vec())
    }
}

struct Card(VirtualCard);
impl CardTransport for Card {
    fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        self.0.transceive(&apdu).map_err(|_| TransportFailure::TagLost)
    }
    fn supports_extended_length(&self) -> bool {
        true
    }
}

fn db(name: &str) -> String {
    let p = std::env::temp_dir().join(format!("houmon-ffi-{}-{name}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p.to_string_lossy().into_owned()
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    // The foreign executor: any will do (here, a minimal one from tokio).
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn consent_on_a_full_disk_is_an_error_and_the_visit_stays_open_until_it_is_saved() {
    // In memory: SQLite honours the size cap there (WAL files grow apart from it).
    let core = block(HoumonCore::open(":memory:".into(), Arc::new(Keys([3; 32])), false)).unwrap();
    let s = core
        .start_visit(VisitStart {
            patient_id: None,
            kind: VisitKind::HomeCare,
            staff_id: "n".into(),
            device_id: "d".into(),
            first_visit_on: None,
        })
        .unwrap();
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234".into()).unwrap();
    let step = block(s.clone().read_card(Arc::new(Card(VirtualCard::standard())), None)).unwrap();
    assert!(matches!(step, VisitStep::IdentityConfirmed { .. }), "{step:?}");
    // Fill the table's page, then allow no growth: the record has no room.
    let store = core.store_for_tests();
    store.enqueue("filler", &[0u8; 3500], chrono::Utc::now()).unwrap();
    store.cap_growth_for_tests(0).unwrap();
    let consent =
        ConsentInput { comprehensive: true, categories: vec![], prescription: Prescription::Paper };
    let err = block(s.clone().give_consent(consent.clone())).unwrap_err();
    match &err {
        HoumonError::Storage { staff_message } => {
            assert!(staff_message.contains("空き容量"), "{staff_message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.step(), VisitStep::IdentityConfirmed { .. }), "not Done: nothing was saved");
    core.store_for_tests().cap_growth_for_tests(1_000_000).unwrap();
    assert_eq!(
        block(s.clone().give_consent(consent)).unwrap(),
        VisitStep::Done { record_id: s.visit_id() }
    );
    let pending = block(core.queue(QueueState::Pending)).unwrap();
    assert!(pending.iter().any(|q| q.id == s.visit_id()));
}

#[test]
fn the_wrong_key_and_a_key_of_the_wrong_length_are_wrong_key_errors() {
    let path = db("keys");
    drop(block(HoumonCore::open(path.clone(), Arc::new(Keys([1; 32])), false)).unwrap());
    assert!(matches!(
        block(HoumonCore::open(path, Arc::new(Keys([2; 32])), false)),
        Err(HoumonError::WrongKey { .. })
    ));
}
