//! `scripts/partition-observations` (issue 16) on the sample store in PostgreSQL: exports and the
//! evaluation the same before and after; a second run does nothing; a revision imported and a
//! submission approved afterwards; a plan loaded later lands in the DEFAULT partition; a plan's
//! read is pruned to its partition (in the query plan, and in the partitions' own statistics while
//! `planwatch export` runs). PostgreSQL only; without it the test fails (`fresh_postgres`).

use std::process::{Command, Output};

use crate::import::{psql_value, within};
use crate::workflow::ok;
use crate::{fresh_postgres, repo_root, stdout};

const CHENGDU: &str = "chengdu-services-2021-2025";
const CHENGDU_PARTITION: &str = "observations_chengdu_services_2021_2025";

/// `planwatch --db DB ARGS` as the OS user `user` (four eyes need two).
fn run(db: &str, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .args(["--db", db])
        .args(args)
        .env("USER", user)
        .output()
        .expect("the planwatch binary runs")
}

/// `planwatch --plan-id CHENGDU ARGS` as `user`, which must succeed: its output.
fn chengdu(db: &str, user: &str, args: &[&str]) -> String {
    let mut all = vec!["--plan-id", CHENGDU];
    all.extend_from_slice(args);
    ok(&run(db, user, &all))
}

/// What a reader gets of the Chengdu plan: the export (latest and as of a past day) and the
/// evaluation of 2024.
fn answers(db: &str) -> Vec<String> {
    [
        &["export"][..],
        &["export", "--as-of", "2024-06-30"],
        &["evaluate", "--year", "2024", "--format", "json"],
    ]
    .iter()
    .map(|args| chengdu(db, "ops", args))
    .collect()
}

/// The export of the region's retail sales of 2024.
fn retail_sales_2024(db: &str, region: &str) -> String {
    chengdu(
        db,
        "ops",
        &[
            "export",
            "--indicator",
            "retail_sales",
            "--region",
            region,
            "--from",
            "2024",
            "--to",
            "2024",
        ],
    )
}

fn partition_script(db: &str) -> Output {
    Command::new("bash")
        .arg(repo_root().join("scripts/partition-observations"))
        .args(["--db", db])
        .output()
        .expect("bash runs")
}

/// `EXPLAIN` of the latest-values read (`LatestQuery`'s shape: the observations alone, the plan on
/// them, its indicators and a region by id, the revision in force) for the plan, as a generic plan (the
/// plan id a parameter, pruned when the executor starts) or a custom one (pruned when planned).
fn explain_latest(db: &str, generic: bool) -> String {
    let mode = if generic {
        "force_generic_plan"
    } else {
        "force_custom_plan"
    };
    let output = Command::new("psql")
        .args([db, "-X", "-v", "ON_ERROR_STOP=1", "-At"])
        .args(["-c", &format!("SET plan_cache_mode = {mode}")])
        .args([
            "-c",
            "PREPARE latest (text, text) AS
             SELECT o.indicator_id, o.region_id, o.period, o.value FROM observations o
             WHERE o.plan_id = $1
               AND o.indicator_id IN (SELECT id FROM indicators WHERE plan_id = $1)
               AND o.region_id IN (SELECT id FROM regions WHERE plan_id = $1 AND code = '510100')
               AND o.period % 100 = 0
               AND o.revision = (SELECT f.revision FROM observations f
                                   JOIN batches fb ON fb.id = f.batch_id
                                 WHERE f.plan_id = $1 AND f.indicator_id = o.indicator_id
                                   AND f.region_id = o.region_id AND f.period = o.period
                                   AND fb.imported_at <= $2
                                 ORDER BY fb.imported_at DESC, f.revision DESC LIMIT 1)",
        ])
        .args([
            "-c",
            &format!("EXPLAIN EXECUTE latest ('{CHENGDU}', '9999-12-31 23:59:59')"),
        ])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

/// Scans (sequential and by index) of each partition so far, by name.
fn scans(db: &str) -> Vec<(String, i64)> {
    psql_value(
        db,
        "SELECT relname, seq_scan + COALESCE(idx_scan, 0) FROM pg_stat_user_tables
         WHERE relname LIKE 'observations\\_%' ORDER BY relname",
    )
    .lines()
    .map(|line| {
        let (name, count) = line.split_once('|').unwrap();
        (name.to_owned(), count.parse().unwrap())
    })
    .collect()
}

#[test]
fn partitioning_by_plan_changes_no_answer() {
    let db = fresh_postgres("partition");
    ok(&run(&db, "ops", &["init", "--sample-data"]));
    let before = answers(&db);
    assert!(before[0].lines().count() > 500, "{}", before[0]);

    let converted = partition_script(&db);
    let said = ok(&converted);
    assert!(
        said.contains("observations is partitioned by plan"),
        "{said}"
    );
    assert!(said.contains(CHENGDU_PARTITION), "{said}");
    assert!(said.contains("observations_default"), "{said}");
    assert_eq!(
        psql_value(
            &db,
            "SELECT relkind FROM pg_class WHERE oid = 'observations'::regclass"
        ),
        "p"
    );
    let again = ok(&partition_script(&db));
    assert!(again.contains("already partitioned"), "{again}");
    assert_eq!(
        answers(&db),
        before,
        "the same answers from the partitioned table"
    );
    // Every Chengdu row in its partition; the key on the partition.
    assert_eq!(
        psql_value(
            &db,
            "SELECT string_agg(DISTINCT tableoid::regclass::text || ':' || plan_id, ',') FROM observations"
        ),
        format!("{CHENGDU_PARTITION}:{CHENGDU}")
    );
    assert_eq!(
        psql_value(
            &db,
            &format!(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index
                 WHERE indrelid = '{CHENGDU_PARTITION}'::regclass AND indisprimary"
            )
        ),
        format!(
            "CREATE UNIQUE INDEX {CHENGDU_PARTITION}_pkey ON public.{CHENGDU_PARTITION} USING btree (plan_id, indicator_id, region_id, period, revision)"
        )
    );

    // A revision imported after: one new revision, in the partition.
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let revised = file(
        "revised.csv",
        "indicator,region,period,value,unit\nretail_sales,成都市,2024,10999,亿元\n",
    );
    let imported = chengdu(&db, "ops", &["import", &revised]);
    assert!(imported.contains("1 个新修订 new revisions"), "{imported}");
    let latest = retail_sales_2024(&db, "510100");
    assert!(latest.contains(",10999,"), "{latest}");

    // A submission approved after (four eyes: created by one OS user, approved by another).
    let east = file(
        "jinjiang.csv",
        "指标,地区,年份,数值\nretail_sales,510104,2024,1234\n",
    );
    let created = chengdu(
        &db,
        "ops",
        &["submissions", "create", "--unit", "510104", &east],
    );
    let id = created
        .split("submission ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let approved = chengdu(&db, "planner", &["submissions", "approve", &id]);
    assert!(approved.contains("approved"), "{approved}");
    let district = retail_sales_2024(&db, "510104");
    assert!(district.contains(",1234,"), "{district}");

    // A plan loaded after the conversion: its rows in the DEFAULT partition.
    let example = repo_root().join("plans/example-minimal.toml");
    ok(&run(
        &db,
        "ops",
        &["init", "--plan", example.to_str().unwrap()],
    ));
    let other = file(
        "example.csv",
        "indicator,region,period,value\nretail_sales,440100,2022,1000\nretail_sales,440103,2022,400\n",
    );
    ok(&run(
        &db,
        "ops",
        &["--plan-id", "example-trade-2021-2025", "import", &other],
    ));
    assert_eq!(
        psql_value(
            &db,
            "SELECT tableoid::regclass::text || ':' || COUNT(*) FROM observations
             WHERE plan_id = 'example-trade-2021-2025' GROUP BY tableoid"
        ),
        "observations_default:2"
    );

    // The plan's read scans its partition alone: in the query plan (pruned when planned, and
    // when the executor starts for a generic plan) …
    for generic in [false, true] {
        let plan = explain_latest(&db, generic);
        assert!(plan.contains(CHENGDU_PARTITION), "{plan}");
        assert!(!plan.contains("observations_default"), "{plan}");
    }
    // … and in what `planwatch export` and `evaluate` read: the partitions' own scan counts.
    let scanned = |db: &str, name: &str| {
        scans(db)
            .into_iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, count)| count)
    };
    // Counts are flushed as the commands' sessions end: wait until the earlier ones are in.
    let mut default_before = scanned(&db, "observations_default");
    assert!(within(10, || {
        std::thread::sleep(std::time::Duration::from_millis(1000));
        let now = scanned(&db, "observations_default");
        std::mem::replace(&mut default_before, now) == now
    }));
    let chengdu_before = scanned(&db, CHENGDU_PARTITION);
    assert_eq!(answers(&db).len(), 3);
    assert!(
        within(10, || scanned(&db, CHENGDU_PARTITION) > chengdu_before),
        "the Chengdu partition was read"
    );
    assert_eq!(
        scanned(&db, "observations_default"),
        default_before,
        "the DEFAULT partition was not read: {:?}",
        scans(&db)
    );
}
