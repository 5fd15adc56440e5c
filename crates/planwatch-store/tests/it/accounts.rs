//! Accounts, tokens, sessions and the audit log, on both backends.

use chrono::{DateTime, Duration, Utc};
use planwatch_access::{Role, Unit, hash_secret};
use planwatch_store::{
    AuditFilter, AuditProblem, Event, NewUser, SessionLimits, Store, StoreError, Who,
};
use serde_json::json;

use crate::stores;

fn admin() -> Who {
    Who {
        actor: "cli:ops".into(),
        role: "admin".into(),
        client: None,
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap()
}

async fn add(store: &Store, name: &str, role: Role, units: &[Unit]) {
    store
        .add_user(
            &admin(),
            &NewUser {
                name,
                display_name: Some("张伟"),
                role,
                units,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$not-a-real-hash",
                email: None,
            },
        )
        .await
        .unwrap();
}

async fn actions(store: &Store) -> Vec<(String, String, String)> {
    store
        .audit_log(&AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.object))
        .collect()
}

#[tokio::test]
async fn users_and_tokens_are_stored_and_every_change_audited() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let jinjiang = [Unit::Region("510104".into())];
        add(store, "alice", Role::Reporter, &jinjiang).await;
        let again = store
            .add_user(
                &admin(),
                &NewUser {
                    name: "alice",
                    display_name: None,
                    role: Role::Viewer,
                    units: &[],
                    password_hash: "x",
                    email: None,
                },
            )
            .await;
        assert!(
            matches!(again, Err(StoreError::UserExists(_))),
            "{backend}: {again:?}"
        );
        let alice = store.user("alice").await.unwrap().unwrap();
        assert_eq!(
            (alice.role, &alice.units[..], alice.active),
            (Role::Reporter, &jinjiang[..], true)
        );
        assert_eq!(alice.display_name.as_deref(), Some("张伟"));
        let (_, hash) = store.credentials("alice").await.unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{backend}");

        let statistics = [Unit::Department("statistics".into())];
        store
            .set_role(&admin(), "alice", Role::Reporter, &statistics)
            .await
            .unwrap();
        store
            .set_user_active(&admin(), "alice", false)
            .await
            .unwrap();
        assert!(!store.user("alice").await.unwrap().unwrap().active);
        store
            .set_user_active(&admin(), "alice", true)
            .await
            .unwrap();
        store
            .set_password(&admin(), "alice", "$argon2id$new")
            .await
            .unwrap();
        assert_eq!(
            store.credentials("alice").await.unwrap().unwrap().1,
            "$argon2id$new"
        );
        assert!(matches!(
            store.set_user_active(&admin(), "nobody", false).await,
            Err(StoreError::UnknownUser(_))
        ));

        // Tokens: found by hash until revoked or expired; a revoked name can be used again.
        let expires = t0() + Duration::days(30);
        store
            .create_token(
                &admin(),
                "etl",
                "alice",
                &hash_secret("pwt_a"),
                Some(expires),
                t0(),
            )
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_token(&admin(), "etl", "alice", &hash_secret("pwt_b"), None, t0())
                .await,
            Err(StoreError::TokenExists(_))
        ));
        let (token, user) = store
            .token_by_hash(&hash_secret("pwt_a"), t0() + Duration::days(29))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (token.name.as_str(), user.name.as_str()),
            ("etl", "alice"),
            "{backend}"
        );
        assert_eq!(
            store
                .token_by_hash(&hash_secret("pwt_a"), expires)
                .await
                .unwrap(),
            None,
            "{backend}: an expired token"
        );
        store
            .set_user_active(&admin(), "alice", false)
            .await
            .unwrap();
        assert_eq!(
            store
                .token_by_hash(&hash_secret("pwt_a"), t0())
                .await
                .unwrap(),
            None,
            "{backend}: the token of a disabled user"
        );
        store
            .set_user_active(&admin(), "alice", true)
            .await
            .unwrap();
        store.revoke_token(&admin(), "etl", t0()).await.unwrap();
        assert_eq!(
            store
                .token_by_hash(&hash_secret("pwt_a"), t0())
                .await
                .unwrap(),
            None
        );
        assert!(matches!(
            store.revoke_token(&admin(), "etl", t0()).await,
            Err(StoreError::UnknownToken(_))
        ));
        store
            .create_token(&admin(), "etl", "alice", &hash_secret("pwt_c"), None, t0())
            .await
            .unwrap();
        let tokens = store.tokens().await.unwrap();
        assert_eq!(tokens.len(), 2, "{backend}");
        assert_eq!(tokens.iter().filter(|t| t.revoked_at.is_none()).count(), 1);

        let log = actions(store).await;
        let expected = [
            "user.add",
            "user.set_role",
            "user.disable",
            "user.enable",
            "user.passwd",
            "token.create",
            "user.disable",
            "user.enable",
            "token.revoke",
            "token.create",
        ];
        assert_eq!(
            log.iter()
                .map(|(_, action, _)| action.as_str())
                .collect::<Vec<_>>(),
            expected,
            "{backend}: refused changes leave no entry"
        );
        assert!(log.iter().all(|(actor, ..)| actor == "cli:ops"));
        let entries = store.audit_log(&AuditFilter::default()).await.unwrap();
        let set_role: serde_json::Value = serde_json::from_str(&entries[1].details).unwrap();
        assert_eq!(
            set_role,
            json!({
                "before": { "role": "reporter", "units": [{ "kind": "region", "code": "510104" }] },
                "after": { "role": "reporter", "units": [{ "kind": "department", "code": "statistics" }] },
            }),
            "{backend}"
        );
        assert!(
            entries.iter().all(|e| !e.details.contains("argon2")),
            "{backend}: a password hash reached the audit log"
        );
        let filtered = store
            .audit_log(&AuditFilter {
                action: Some("token.create".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(filtered.len(), 2, "{backend}");
        assert_eq!(
            store.verify_audit().await.unwrap().problem,
            None,
            "{backend}"
        );
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn sessions_are_new_at_each_sign_in_expire_and_end_with_role_changes() {
    let stores = stores().await;
    let limits = SessionLimits::default();
    for (backend, store) in &stores.stores {
        add(store, "bob", Role::Planner, &[]).await;
        let first = store
            .create_session("bob", Some("10.0.0.1"), t0())
            .await
            .unwrap();
        let second = store.create_session("bob", None, t0()).await.unwrap();
        assert_ne!(first.id, second.id, "{backend}: a new id at every sign-in");
        assert_ne!(first.csrf_token, second.csrf_token);
        let found = store
            .session(&first.id, limits, t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.user.name.as_str(), found.csrf_token),
            ("bob", first.csrf_token.clone())
        );

        // Idle: used every 29 minutes it lives on, until the 12 hours are up.
        let mut now = t0();
        while now + Duration::minutes(29) <= t0() + Duration::hours(12) {
            now += Duration::minutes(29);
            assert!(
                in_force(store, &first.id, now).await,
                "{backend}: idle 29 min at {now}"
            );
        }
        now += Duration::minutes(29);
        assert!(
            !in_force(store, &first.id, now).await,
            "{backend}: past the absolute lifetime"
        );
        // The second session was never used: 31 minutes idle end it, and for good.
        let late = t0() + Duration::minutes(31);
        assert!(!in_force(store, &second.id, late).await, "{backend}");
        assert!(!in_force(store, &second.id, t0()).await, "{backend}");

        // Sign-out ends a session on the server.
        let third = store.create_session("bob", None, t0()).await.unwrap();
        assert!(store.end_session(&third.id, None).await.unwrap());
        assert!(!in_force(store, &third.id, t0()).await);
        assert!(!store.end_session(&third.id, None).await.unwrap());

        // A change of role, a disabled account and a new password each end every session.
        type Change = fn(&Store) -> std::pin::Pin<Box<dyn Future<Output = ()> + '_>>;
        let changes: [(&str, Change); 3] = [
            ("role", |s| {
                Box::pin(async {
                    s.set_role(&admin(), "bob", Role::Viewer, &[])
                        .await
                        .unwrap()
                })
            }),
            ("disable", |s| {
                Box::pin(async { s.set_user_active(&admin(), "bob", false).await.unwrap() })
            }),
            ("password", |s| {
                Box::pin(async {
                    s.set_password(&admin(), "bob", "$argon2id$x")
                        .await
                        .unwrap()
                })
            }),
        ];
        for (what, change) in changes {
            store.set_user_active(&admin(), "bob", true).await.unwrap();
            let session = store.create_session("bob", None, t0()).await.unwrap();
            change(store).await;
            store.set_user_active(&admin(), "bob", true).await.unwrap();
            assert!(
                !in_force(store, &session.id, t0()).await,
                "{backend}: {what} left the session in force"
            );
        }
        store.set_user_active(&admin(), "bob", false).await.unwrap();
        assert!(
            matches!(
                store.create_session("bob", None, t0()).await,
                Err(StoreError::UnknownUser(_))
            ),
            "{backend}: a disabled user signed in"
        );

        let log = actions(store).await;
        let sign_ins = log
            .iter()
            .filter(|(actor, action, _)| actor == "bob" && action == "session.sign_in");
        assert_eq!(sign_ins.count(), 6, "{backend}");
        assert_eq!(
            log.iter()
                .filter(|(_, action, _)| action == "session.sign_out")
                .count(),
            1,
            "{backend}"
        );
        let entries = store.audit_log(&AuditFilter::default()).await.unwrap();
        assert_eq!(entries[1].client.as_deref(), Some("10.0.0.1"), "{backend}");
        // The last entry's id, which servers poll to know that sessions may have changed,
        // moves with every sign-in and sign-out.
        assert_eq!(
            store.audit_seq().await.unwrap(),
            entries.last().unwrap().id,
            "{backend}"
        );
        add(store, "carol", Role::Viewer, &[]).await;
        let seq = store.audit_seq().await.unwrap();
        let third = store.create_session("carol", None, t0()).await.unwrap();
        assert_eq!(store.audit_seq().await.unwrap(), seq + 1, "{backend}");
        store.end_session(&third.id, None).await.unwrap();
        assert_eq!(store.audit_seq().await.unwrap(), seq + 2, "{backend}");
    }
    stores.drop_databases().await;
}

/// Whether the session `id` is in force at `now` (default limits).
async fn in_force(store: &Store, id: &str, now: DateTime<Utc>) -> bool {
    store
        .session(id, SessionLimits::default(), now)
        .await
        .unwrap()
        .is_some()
}

/// Appends `n` entries.
async fn log_events(store: &Store, n: usize) {
    for i in 0..n {
        store
            .audit(
                &admin(),
                &Event::new("test.event", format!("thing:{i}"), json!({ "i": i })),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn audit_verify_names_the_first_entry_altered_or_removed_by_hand() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        log_events(store, 5).await;
        let clean = store.verify_audit().await.unwrap();
        assert_eq!((clean.entries, clean.problem), (5, None), "{backend}");

        // Whoever can write to the database can first lift the triggers.
        let (lift, restore) = if *backend == "sqlite" {
            (
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
                "",
            )
        } else {
            (
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;",
                "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;",
            )
        };
        stores.execute_raw(backend, lift).await.unwrap();
        let tamper = async |sql: &str| {
            stores.execute_raw(backend, sql).await.unwrap();
            store.verify_audit().await.unwrap().problem
        };
        assert_eq!(
            tamper("UPDATE audit_log SET details = '{\"i\":7}' WHERE id = 2").await,
            Some(AuditProblem::Altered(2)),
            "{backend}"
        );
        assert_eq!(
            tamper("UPDATE audit_log SET details = '{\"i\":1}' WHERE id = 2").await,
            None,
            "{backend}: put back as it was"
        );
        // A rewritten hash does not hide the change: the next entry was chained to the old one.
        assert_eq!(
            tamper("UPDATE audit_log SET actor = 'someone', hash = 'ab' WHERE id = 3").await,
            Some(AuditProblem::Altered(3)),
            "{backend}"
        );
        tamper("UPDATE audit_log SET actor = 'cli:ops', hash = prev_hash WHERE id = 3").await;
        stores
            .execute_raw(backend, "DELETE FROM audit_log WHERE id = 3")
            .await
            .unwrap();
        assert_eq!(
            store.verify_audit().await.unwrap().problem,
            Some(AuditProblem::Removed(3)),
            "{backend}"
        );
        stores
            .execute_raw(backend, "DELETE FROM audit_log WHERE id >= 3")
            .await
            .unwrap();
        assert_eq!(
            store.verify_audit().await.unwrap().problem,
            Some(AuditProblem::Removed(3)),
            "{backend}: the last entries removed"
        );
        if !restore.is_empty() {
            stores.execute_raw(backend, restore).await.unwrap();
        }
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn the_audit_log_refuses_update_and_delete() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        log_events(store, 2).await;
        for sql in [
            "UPDATE audit_log SET actor = 'x' WHERE id = 1",
            "DELETE FROM audit_log WHERE id = 2",
            "DELETE FROM audit_log",
        ] {
            let error = stores.execute_raw(backend, sql).await.unwrap_err();
            assert!(
                error.to_string().contains("append-only"),
                "{backend}: {sql}: {error}"
            );
        }
        if *backend == "postgres" {
            let error = stores
                .execute_raw(backend, "TRUNCATE audit_log")
                .await
                .unwrap_err();
            assert!(error.to_string().contains("append-only"), "{error}");
        }
        assert_eq!(store.verify_audit().await.unwrap().entries, 2, "{backend}");
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn concurrent_appends_keep_one_chain() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .audit(
                            &admin(),
                            &Event::new("test.event", format!("thing:{i}"), json!({})),
                        )
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap());
        }
        ids.sort_unstable();
        assert_eq!(ids, (1..=16).collect::<Vec<i64>>(), "{backend}");
        let verification = store.verify_audit().await.unwrap();
        assert_eq!(
            (verification.entries, verification.problem),
            (16, None),
            "{backend}"
        );
    }
    stores.drop_databases().await;
}

/// Failed sign-ins by user name (issue 16): counted in the store, so that every server on it
/// counts them together, each with its `session.sign_in_failed` entry; failures at once all
/// count; the name as the audit log names it; a success clears it; a day idle, deleted.
#[tokio::test]
async fn failed_sign_ins_are_counted_by_name_with_their_audit_entry() {
    use planwatch_store::{STRIKES_KEPT_MS, Strikes};
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let who = Who {
            actor: "anonymous".into(),
            role: "anonymous".into(),
            client: Some("10.0.0.1".into()),
        };
        assert_eq!(store.sign_in_strikes("admin").await.unwrap(), None);
        let first = store.failed_sign_in(&who, "admin", 1_000).await.unwrap();
        let strikes = |failures, last_ms| Strikes { failures, last_ms };
        assert_eq!(first, strikes(1, 1_000), "{backend}");
        // Two servers at once, one clock a little behind: both count, the later time is kept.
        let (a, b) = tokio::join!(
            store.failed_sign_in(&who, "admin", 3_000),
            store.failed_sign_in(&who, "admin", 2_000)
        );
        a.unwrap();
        b.unwrap();
        assert_eq!(
            store.sign_in_strikes("admin").await.unwrap(),
            Some(strikes(3, 3_000)),
            "{backend}"
        );
        // A name with a control character (PostgreSQL refuses NUL in text) counts as the audit
        // log names it.
        store.failed_sign_in(&who, "ad\0min", 3_500).await.unwrap();
        assert_eq!(
            store.sign_in_strikes("ad\u{1}min").await.unwrap(),
            Some(strikes(4, 3_500)),
            "{backend}"
        );
        let log = store
            .audit_log(&AuditFilter {
                action: Some("session.sign_in_failed".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 4, "{backend}");
        assert!(log.iter().all(|e| e.object == "user:admin"), "{log:?}");
        assert_eq!(log[0].client.as_deref(), Some("10.0.0.1"));
        // A success clears the name; a day later, another name's failure deletes what idled.
        store.failed_sign_in(&who, "bob", 4_000).await.unwrap();
        store.clear_sign_in_strikes("admin").await.unwrap();
        assert_eq!(store.sign_in_strikes("admin").await.unwrap(), None);
        store
            .failed_sign_in(&who, "carol", 4_001 + STRIKES_KEPT_MS)
            .await
            .unwrap();
        assert_eq!(
            store.sign_in_strikes("bob").await.unwrap(),
            None,
            "{backend}"
        );
        assert!(store.sign_in_strikes("carol").await.unwrap().is_some());
        assert_eq!(store.verify_audit().await.unwrap().problem, None);
    }
    stores.drop_databases().await;
}
