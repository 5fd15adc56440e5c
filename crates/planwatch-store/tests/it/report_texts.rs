//! The planner texts of evaluation reports, on both backends: every save is a new version,
//! audited as `report_text.save` in its transaction; the latest or a given version reads back;
//! texts of other keys stay apart; values outside the documented ones are refused.

use planwatch_store::{AuditFilter, ReportTextKey};

use crate::{plan, stores, tester};

fn key(section: &str, region: &str) -> ReportTextKey {
    ReportTextKey {
        kind: "midterm".into(),
        year: 2023,
        region: region.into(),
        lang: "zh".into(),
        section: section.into(),
    }
}

#[tokio::test]
async fn texts_are_versioned_and_audited() {
    let stores = stores().await;
    let plan = plan();
    for (backend, store) in &stores.stores {
        store.save_plan(&tester(), &plan).await.unwrap();
        let problems = key("problems", "");
        assert_eq!(
            store.report_text(&plan, &problems, None).await.unwrap(),
            None
        );
        let before = store
            .audit_log(&AuditFilter::default())
            .await
            .unwrap()
            .len();
        let v1 = store
            .save_report_text(&tester(), &plan, &problems, "第一稿。\n\n- 甲", "张三")
            .await
            .unwrap();
        let v2 = store
            .save_report_text(&tester(), &plan, &problems, "第二稿。", "李四")
            .await
            .unwrap();
        assert_eq!((v1, v2), (1, 2), "{backend}");
        // Other sections and regions have their own versions.
        let district = key("problems", "east");
        assert_eq!(
            store
                .save_report_text(&tester(), &plan, &district, "区县稿。", "王五")
                .await
                .unwrap(),
            1,
            "{backend}"
        );
        let latest = store
            .report_text(&plan, &problems, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (latest.version, latest.body.as_str(), latest.author.as_str()),
            (2, "第二稿。", "李四"),
            "{backend}"
        );
        assert_eq!(latest.saved_at.len(), "2024-07-01 09:00:00".len());
        let first = store
            .report_text(&plan, &problems, Some(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.body, "第一稿。\n\n- 甲", "{backend}");
        assert_eq!(
            store.report_text(&plan, &problems, Some(3)).await.unwrap(),
            None
        );
        assert_eq!(
            store
                .report_text(&plan, &key("suggestions", ""), None)
                .await
                .unwrap(),
            None
        );
        let versions = store.report_text_versions(&plan, &problems).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            [1, 2],
            "{backend}"
        );
        // One entry per save, with the version before and the new body.
        let log = store.audit_log(&AuditFilter::default()).await.unwrap();
        let new: Vec<_> = log.iter().skip(before).collect();
        assert_eq!(new.len(), 3, "{backend}");
        assert!(new.iter().all(|e| e.action == "report_text.save"));
        assert_eq!(new[1].object, "report_text:midterm/2023//zh/problems");
        let details: serde_json::Value = serde_json::from_str(&new[1].details).unwrap();
        assert_eq!(details["before"], 1);
        assert_eq!(details["after"]["version"], 2);
        assert_eq!(details["after"]["body"], "第二稿。");
        // A section outside the two is refused, and leaves no entry.
        let mut bad = key("summary", "");
        assert!(
            store
                .save_report_text(&tester(), &plan, &bad, "x", "张三")
                .await
                .is_err(),
            "{backend}"
        );
        bad.section = "problems".into();
        bad.kind = "weekly".into();
        assert!(
            store
                .save_report_text(&tester(), &plan, &bad, "x", "张三")
                .await
                .is_err(),
            "{backend}"
        );
        let after = store
            .audit_log(&AuditFilter::default())
            .await
            .unwrap()
            .len();
        assert_eq!(after, before + 3, "{backend}");
        assert!(store.verify_audit().await.unwrap().problem.is_none());
    }
    stores.drop_databases().await;
}
