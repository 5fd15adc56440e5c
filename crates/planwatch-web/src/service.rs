//! The service behind the handlers: the store, the plan, and caches of what `planwatch-app`
//! computes (evaluations, panels), of counts and of rendered pages.
//!
//! The plan's version (a counter raised with every change) is read by a watcher every
//! `VERSION_POLL` rather than on every request: a page or an API answer served from the cache
//! costs no query. An import — by this server or by `planwatch import` in another process —
//! raises the version; within one poll every cache key that held the old version is unreachable
//! and the caches are emptied.
//!
//! With a read replica (`serve --read-db`), the service holds both stores; the `reads`
//! middleware decides per request where reads go (`replica::route`) and handlers read through
//! `store()`, write through `primary()`. A watcher of each database keeps its position; cache
//! keys use the version of the database that serves the read.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use planwatch_app::{
    EvaluationReport, EvaluationRequest, default_year, evaluate, load_panel, stored_region_targets,
};
use planwatch_eval::Panel;
use planwatch_plan::Plan;
use planwatch_store::{LastChange, ObservationFilter, Position, Store, StoreError};

use planwatch_access::{Policy, hash_password};

use crate::argon::Argon;
use crate::auth::{AccessSettings, CallerCache};
use crate::conditional::http_date;
use crate::error::ApiError;
use crate::map::OfficialMap;
use crate::replica::{Health, LagTracker, ReplicaHealth, Route, Source, route};
use crate::throttle::Throttle;

/// How often the plan's version is read.
pub(crate) const VERSION_POLL: Duration = Duration::from_millis(200);

/// A poll that has not answered within this finds its database down.
const POLL_TIMEOUT: Duration = Duration::from_secs(2);

/// The default bound on a read replica's lag (`serve --replica-max-lag`).
pub const DEFAULT_REPLICA_MAX_LAG: Duration = Duration::from_secs(2);

/// The read-your-writes cookie: the primary's position after the browser's last write.
pub(crate) const POSITION_COOKIE: &str = "pw_pos";
/// The position an answer read at (after a write: the primary's after it).
pub(crate) const POSITION_HEADER: &str = "planwatch-position";
/// The position an API client asks its reads to have reached.
pub(crate) const MIN_POSITION_HEADER: &str = "planwatch-min-position";
/// Where the answer read: `primary` or `replica`.
pub(crate) const READ_FROM_HEADER: &str = "planwatch-read-from";
/// `1` on every answer while the server is read-only.
pub(crate) const READ_ONLY_HEADER: &str = "planwatch-read-only";

tokio::task_local! {
    /// Where the reads of the request being served go (set by the `reads` middleware).
    static READS: Source;
}

/// Entries a cache keeps before it is emptied (a crude bound; keys are few in practice).
const CACHE_ENTRIES: usize = 512;

/// A map from key to shared value with a budget: each entry has a weight (result rows, series,
/// kilobytes), and the map is emptied when it reaches `CACHE_ENTRIES` entries or its weight
/// budget — crude, but bounded whatever the requests. Requests for a key being computed wait
/// for that computation instead of starting their own (single flight).
#[derive(Debug)]
pub(crate) struct Cache<K, V> {
    entries: Mutex<Entries<K, V>>,
    budget: usize,
}

/// The cells by key (each filled once, by the first request for it) and their total weight.
type Entries<K, V> = (HashMap<K, Arc<OnceCell<Arc<V>>>>, usize);

impl<K: Eq + Hash + Clone, V> Cache<K, V> {
    pub(crate) fn new(budget: usize) -> Self {
        Cache {
            entries: Mutex::new((HashMap::new(), 0)),
            budget,
        }
    }

    /// The value of `key`, computed by `compute` (value and weight) unless it is cached or being
    /// computed. An error is returned to the callers waiting for it and not kept.
    pub(crate) async fn get_or_compute<E, F>(&self, key: K, compute: F) -> Result<Arc<V>, E>
    where
        F: AsyncFnOnce() -> Result<(V, usize), E>,
    {
        let cell = {
            let mut guard = self.lock();
            let (entries, total) = &mut *guard;
            if !entries.contains_key(&key) && entries.len() >= CACHE_ENTRIES {
                entries.clear();
                *total = 0;
            }
            entries.entry(key).or_default().clone()
        };
        let mut weight = 0;
        let value = cell
            .get_or_try_init(async || {
                let (value, w) = compute().await?;
                weight = w;
                Ok(Arc::new(value))
            })
            .await?
            .clone();
        if weight > 0 {
            let mut guard = self.lock();
            let (entries, total) = &mut *guard;
            *total += weight;
            if *total > self.budget {
                entries.clear();
                *total = 0;
            }
        }
        Ok(value)
    }

    pub(crate) fn clear(&self) {
        let mut guard = self.lock();
        guard.0.clear();
        guard.1 = 0;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // A panic while holding the lock leaves a map that is still whole: go on with it.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Code → "中文名 English name" of every indicator and region.
fn search_names(plan: &Plan) -> HashMap<String, String> {
    let both = |text: &planwatch_plan::Text| match &text.en {
        Some(en) => format!("{} {en}", text.zh),
        None => text.zh.clone(),
    };
    plan.indicators
        .iter()
        .map(|i| (i.code.clone(), both(&i.name)))
        .chain(plan.regions.iter().map(|r| (r.code.clone(), both(&r.name))))
        .collect()
}

/// What the watcher of one database last read of it.
#[derive(Debug)]
struct Watched {
    version: AtomicI64,
    audit_seq: AtomicI64,
    /// When the store last changed, as an HTTP date (Last-Modified), formatted once per change
    /// rather than on every request.
    last_modified: RwLock<Option<String>>,
}

impl Watched {
    fn new(position: &Position) -> Watched {
        Watched {
            version: AtomicI64::new(position.change.version),
            audit_seq: AtomicI64::new(position.audit_seq),
            last_modified: RwLock::new(position.change.changed_at.as_deref().and_then(http_date)),
        }
    }

    /// Takes in a new position; true when the version moved.
    fn observe(&self, position: &Position) -> bool {
        self.audit_seq.store(position.audit_seq, Ordering::Release);
        let last = &position.change;
        if self.version.swap(last.version, Ordering::AcqRel) != last.version {
            *self
                .last_modified
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                last.changed_at.as_deref().and_then(http_date);
            return true;
        }
        false
    }
}

/// The read replica and what the watchers know of it.
#[derive(Debug)]
pub(crate) struct Replica {
    store: Store,
    watched: Watched,
    max_lag: Duration,
    state: Mutex<ReplicaState>,
}

#[derive(Debug)]
struct ReplicaState {
    up: bool,
    /// Since when the replica lacks a position the primary had (see `LagTracker`).
    behind_since: Option<Instant>,
    lag: LagTracker,
}

impl Replica {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReplicaState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The store, the plan it serves, and the caches keyed on the plan's version.
#[derive(Debug)]
pub struct Service {
    /// The primary database: every write, and reads when there is no replica to use.
    primary: Store,
    replica: Option<Replica>,
    /// The primary's last poll failed, or a write could not reach it, since its last good poll.
    primary_down: AtomicBool,
    pub(crate) plan: Arc<Plan>,
    /// The plan's look-up tables (codes, 序号, names), built once.
    pub(crate) names: planwatch_import::Names,
    /// Indicator and region code → their names in both languages, for searches by words.
    pub(crate) search_names: HashMap<String, String>,
    /// The primary's position (its audit id is also the callers' cache's).
    watched: Watched,
    evaluations: Cache<(i64, EvaluationRequest), EvaluationReport>,
    panels: Cache<(i64, Vec<String>, Option<String>), Panel>,
    default_years: Cache<i64, u16>,
    counts: Cache<(i64, String), u64>,
    pub(crate) pages: Cache<(i64, String), crate::pages::Rendered>,
    /// JSON answers that are the same for every reader (published tasks), serialised once, by
    /// plan version and a key naming what else they depend on, weighed in kilobytes.
    pub(crate) answers: Cache<(i64, String), axum::body::Bytes>,
    /// Every task and every key project of the plan with its status, by plan version, audit
    /// log (an approved progress report moves it) and day (the boards filter them in memory).
    pub(crate) tasks: Cache<(i64, i64, chrono::NaiveDate), Vec<planwatch_app::tasks::TaskView>>,
    pub(crate) projects:
        Cache<(i64, i64, chrono::NaiveDate), Vec<planwatch_app::tasks::ProjectView>>,
    /// The administrator's official district map, replacing the schematic one.
    pub(crate) official_map: Option<OfficialMap>,
    /// The schematic map as GeoJSON text (or why it cannot be had), decoded on first request.
    pub(crate) schematic_map: OnceLock<Result<String, String>>,
    /// Who reads published data, HTTPS, session lifetimes.
    pub(crate) access: AccessSettings,
    /// Callers (sessions, tokens) resolved from the store, while no account change is audited.
    pub(crate) callers: CallerCache,
    /// The threads that verify and hash passwords.
    pub(crate) argon: Argon,
    /// Failed sign-ins by address (in memory: per server; by user name they are in the store).
    throttle: Mutex<Throttle>,
    /// An Argon2 hash to verify a sign-in against when the user does not exist (made at start,
    /// so that no request pays for it).
    dummy_hash: String,
}

impl Service {
    /// Reads the plan's version once; call `watch` to keep it current.
    pub async fn new(
        store: Store,
        plan: Plan,
        official_map: Option<OfficialMap>,
        access: AccessSettings,
    ) -> Result<Arc<Service>, StoreError> {
        Service::with_replica(store, None, plan, official_map, access).await
    }

    /// [`Service::new`] with a read replica and the bound on its lag (`serve --read-db`,
    /// `--replica-max-lag`). A replica that cannot be read now is taken as down; the watcher
    /// finds it when it answers.
    pub async fn with_replica(
        store: Store,
        replica: Option<(Store, Duration)>,
        plan: Plan,
        official_map: Option<OfficialMap>,
        access: AccessSettings,
    ) -> Result<Arc<Service>, StoreError> {
        let position = store.position(&plan.id).await?;
        let audit_seq = position.audit_seq;
        let replica = match replica {
            None => None,
            Some((replica, max_lag)) => {
                let found = replica.position(&plan.id).await.ok();
                Some(Replica {
                    watched: Watched::new(found.as_ref().unwrap_or(&Position {
                        change: LastChange {
                            version: -1,
                            changed_at: None,
                        },
                        audit_seq: -1,
                    })),
                    store: replica,
                    max_lag,
                    state: Mutex::new(ReplicaState {
                        up: found.is_some(),
                        behind_since: None,
                        lag: LagTracker::default(),
                    }),
                })
            }
        };
        let service = Arc::new(Service {
            primary: store,
            replica,
            primary_down: AtomicBool::new(false),
            names: planwatch_import::Names::new(&plan),
            search_names: search_names(&plan),
            plan: Arc::new(plan),
            watched: Watched::new(&position),
            // Budgets: result rows, series, kilobytes of HTML.
            evaluations: Cache::new(2_000_000),
            panels: Cache::new(2_000_000),
            default_years: Cache::new(CACHE_ENTRIES),
            counts: Cache::new(CACHE_ENTRIES),
            pages: Cache::new(256 * 1024),
            answers: Cache::new(256 * 1024),
            // Budgets: tasks, projects (a version's whole list is one entry).
            tasks: Cache::new(1_000_000),
            projects: Cache::new(1_000_000),
            official_map,
            schematic_map: OnceLock::new(),
            access,
            callers: CallerCache::new(audit_seq),
            argon: Argon::new(std::thread::available_parallelism().map_or(1, usize::from))
                .map_err(|e| StoreError::Task(format!("cannot start a thread: {e}")))?,
            throttle: Mutex::new(Throttle::default()),
            dummy_hash: hash_password("no user has this password", &[7; 16]),
        });
        Ok(service)
    }

    /// Polls the plan's position every `VERSION_POLL` (and the replica's, in a watcher of
    /// its own) and empties the caches when a version changes. Runs until the service is
    /// dropped.
    pub fn watch(self: &Arc<Service>) {
        self.spawn_watcher(Source::Primary);
        if self.replica.is_some() {
            self.spawn_watcher(Source::Replica);
        }
    }

    /// Polls one database's position every `VERSION_POLL` until the service is dropped.
    fn spawn_watcher(self: &Arc<Service>, source: Source) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(VERSION_POLL);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(service) = weak.upgrade() else {
                    return;
                };
                service.poll(source).await;
            }
        });
    }

    /// Reads one database's position and takes it in; a database that does not answer within
    /// `POLL_TIMEOUT` is down (the primary: read-only) until a later poll answers.
    async fn poll(&self, source: Source) {
        match (source, &self.replica) {
            (Source::Primary, _) => {
                match tokio::time::timeout(POLL_TIMEOUT, self.primary.position(&self.plan.id)).await
                {
                    Ok(Ok(position)) => self.observe_primary(&position, Instant::now()),
                    _ => self.primary_down.store(true, Ordering::Release),
                }
            }
            (Source::Replica, Some(replica)) => {
                match tokio::time::timeout(POLL_TIMEOUT, replica.store.position(&self.plan.id))
                    .await
                {
                    Ok(Ok(position)) => self.observe_replica(&position),
                    _ => replica.lock().up = false,
                }
            }
            (Source::Replica, None) => {}
        }
    }

    /// Takes in the primary's position: it is up; the caches are emptied if its version moved.
    pub(crate) fn observe_primary(&self, position: &Position, now: Instant) {
        if let Some(replica) = &self.replica {
            replica.lock().lag.primary_at(position.audit_seq, now);
        }
        self.primary_down.store(false, Ordering::Release);
        self.callers.observe(position.audit_seq);
        if self.watched.observe(position) {
            self.clear_caches();
        }
    }

    /// Takes in the replica's position: it is up, and behind since when it lacks a position.
    fn observe_replica(&self, position: &Position) {
        let Some(replica) = &self.replica else {
            return;
        };
        {
            let mut state = replica.lock();
            state.up = true;
            state.behind_since = state.lag.replica_at(position.audit_seq);
        }
        if replica.watched.observe(position) {
            self.clear_caches();
        }
    }

    /// Takes in the plan's latest change (from a test): empties the caches if it is new.
    pub(crate) fn observe(&self, last: LastChange) {
        let position = Position {
            change: last,
            audit_seq: self.watched.audit_seq.load(Ordering::Acquire),
        };
        if self.watched.observe(&position) {
            self.clear_caches();
        }
    }

    fn clear_caches(&self) {
        self.evaluations.clear();
        self.panels.clear();
        self.default_years.clear();
        self.counts.clear();
        self.pages.clear();
        self.tasks.clear();
        self.projects.clear();
    }

    /// The databases as last found.
    pub(crate) fn health(&self) -> Health {
        Health {
            primary_up: !self.primary_down.load(Ordering::Acquire),
            replica: self.replica.as_ref().map(|replica| {
                let state = replica.lock();
                ReplicaHealth {
                    up: state.up,
                    position: replica.watched.audit_seq.load(Ordering::Acquire),
                    lag: state.behind_since.map_or(Duration::ZERO, |at| at.elapsed()),
                }
            }),
        }
    }

    /// Where a request that must see `min_position` reads, and whether writes are refused.
    pub(crate) fn route(&self, min_position: Option<i64>) -> Route {
        let max_lag = self.replica.as_ref().map_or(Duration::ZERO, |r| r.max_lag);
        route(&self.health(), max_lag, min_position)
    }

    /// Whether writes are refused now (the primary cannot be reached).
    pub(crate) fn read_only(&self) -> bool {
        self.primary_down.load(Ordering::Acquire)
    }

    /// Where the reads of the current request go (the primary outside a request).
    pub(crate) fn reads(&self) -> Source {
        match READS.try_with(|source| *source) {
            Ok(Source::Replica) if self.replica.is_some() => Source::Replica,
            _ => Source::Primary,
        }
    }

    /// The store the current request reads from: the primary or the replica (see `reads`).
    pub(crate) fn store(&self) -> &Store {
        match (self.reads(), &self.replica) {
            (Source::Replica, Some(replica)) => &replica.store,
            _ => &self.primary,
        }
    }

    /// The primary store: every write goes to it.
    pub(crate) fn primary(&self) -> &Store {
        &self.primary
    }

    fn watched(&self) -> &Watched {
        match (self.reads(), &self.replica) {
            (Source::Replica, Some(replica)) => &replica.watched,
            _ => &self.watched,
        }
    }

    /// The audit log's last id, as last read from the database the current request reads.
    pub(crate) fn audit_seq(&self) -> i64 {
        self.watched().audit_seq.load(Ordering::Acquire)
    }

    /// `/healthz`: the mode and both databases' states, as JSON.
    pub(crate) fn health_report(&self) -> serde_json::Value {
        let health = self.health();
        let mut report = serde_json::json!({
            "read_only": !health.primary_up,
            "primary": {
                "up": health.primary_up,
                "position": self.watched.audit_seq.load(Ordering::Acquire),
                "version": self.watched.version.load(Ordering::Acquire),
            },
        });
        if let (Some(replica), Some(state)) = (&self.replica, health.replica) {
            report["replica"] = serde_json::json!({
                "up": state.up,
                "position": state.position,
                "version": replica.watched.version.load(Ordering::Acquire),
                "lag_seconds": state.lag.as_secs_f64(),
                "max_lag_seconds": replica.max_lag.as_secs_f64(),
                "serving": state.up && (!health.primary_up || state.lag <= replica.max_lag),
            });
        }
        // Last, whatever the map's order: a probe may read just the end.
        report["status"] = serde_json::json!(if health.primary_up { "ok" } else { "read_only" });
        report
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The access policy of this deployment.
    pub(crate) fn policy(&self) -> Policy {
        Policy::new(self.access.visibility)
    }

    pub(crate) fn throttle(&self) -> std::sync::MutexGuard<'_, Throttle> {
        self.throttle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A hash of no one's password (verifying against it costs what a real verification costs).
    pub(crate) fn dummy_hash(&self) -> &str {
        &self.dummy_hash
    }

    /// The plan's version, as last read from the database the current request reads.
    pub(crate) fn version(&self) -> i64 {
        self.watched().version.load(Ordering::Acquire)
    }

    /// When the store last changed, as an HTTP date.
    pub(crate) fn last_modified(&self) -> Option<String> {
        self.watched()
            .last_modified
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The evaluation, from the cache when the store has not changed since it was made.
    pub(crate) async fn evaluation(
        self: &Arc<Self>,
        mut request: EvaluationRequest,
    ) -> Result<Arc<EvaluationReport>, StoreError> {
        // Without `as_of`, the default year is the store's latest (cached); with it, `evaluate`
        // finds the latest year known then.
        if request.year.is_none() && request.as_of.is_none() {
            request.year = Some(self.default_year().await?);
        }
        for list in [&mut request.indicators, &mut request.regions]
            .into_iter()
            .flatten()
        {
            list.sort_unstable();
            list.dedup();
        }
        let key = (self.version(), request.clone());
        self.evaluations
            .get_or_compute(key, async || {
                // In a task of its own, so that the work is kept when the client that started
                // it goes away: others are waiting for it, or will ask again.
                let (store, plan) = (self.store().clone(), self.plan.clone());
                let task = tokio::spawn(async move {
                    let targets = stored_region_targets(&store, &plan).await?;
                    evaluate(
                        &store,
                        &plan,
                        &request,
                        &targets,
                        planwatch_eval::DEFAULT_ROLLUP_TOLERANCE,
                    )
                    .await
                });
                let report = task.await.map_err(|e| StoreError::Task(e.to_string()))??;
                let weight = report.results.len();
                Ok::<_, StoreError>((report, weight))
            })
            .await
    }

    /// The default evaluation year (see `default_year`), cached.
    pub(crate) async fn default_year(&self) -> Result<u16, StoreError> {
        let year = self
            .default_years
            .get_or_compute(self.version(), async || {
                Ok::<_, StoreError>((default_year(self.store(), &self.plan).await?, 1))
            })
            .await?;
        Ok(*year)
    }

    /// How many observations pass the filter, cached.
    pub(crate) async fn count(&self, filter: &ObservationFilter) -> Result<u64, StoreError> {
        let key = (self.version(), format!("{filter:?}"));
        let count = self
            .counts
            .get_or_compute(key, async || {
                let count = self.store().count_observations(&self.plan, filter).await?;
                Ok::<_, StoreError>((count, 1))
            })
            .await?;
        Ok(*count)
    }

    /// Yearly values of the regions given (all when empty), cached.
    pub(crate) async fn panel(
        &self,
        regions: Vec<String>,
        as_of: Option<String>,
    ) -> Result<Arc<Panel>, StoreError> {
        let key = (self.version(), regions.clone(), as_of.clone());
        self.panels
            .get_or_compute(key, async || {
                let panel = load_panel(self.store(), &self.plan, &regions, as_of).await?;
                let weight = panel.series_count();
                Ok::<_, StoreError>((panel, weight))
            })
            .await
    }
}

/// The position a request asks to see: the larger of its read-your-writes cookie and its
/// `Planwatch-Min-Position` header.
fn min_position(headers: &HeaderMap) -> Option<i64> {
    let cookie = crate::auth::cookie(headers, POSITION_COOKIE).and_then(|v| v.parse().ok());
    let header = headers
        .get(MIN_POSITION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    cookie.max(header)
}

/// Whether an answer failed because a database could not be reached.
fn unreachable(response: &Response) -> bool {
    response
        .extensions()
        .get::<Arc<ApiError>>()
        .is_some_and(|e| matches!(&**e, ApiError::Store(e) if e.is_unavailable()))
}

/// The read-only banner, put at the top of every page while the primary is away.
const BANNER: &str = "<div class=\"read-only-banner\" role=\"alert\" id=\"read-only-banner\">\
系统暂为只读：主数据库暂不可用，可以查看，暂不能填报或修改。\
<span lang=\"en\">Read-only: the primary database is unavailable; reading works, writing does not.</span></div>";

/// Middleware on every route: decides where the request reads (`replica::route`) and runs it
/// with that (the task-local `READS`); refuses writes while read-only (503 `read_only`); sets
/// the read-your-writes cookie and header after a write; says where every answer read
/// (`Planwatch-Read-From`), at which position (`Planwatch-Position`) and whether the server is
/// read-only (`Planwatch-Read-Only`, and the banner on pages).
pub(crate) async fn reads(
    State(service): State<Arc<Service>>,
    mut request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let route = service.route(min_position(request.headers()));
    if route.read_only && !safe {
        return with_mode(
            ApiError::ReadOnly.into_response(),
            Source::Primary,
            None,
            true,
        );
    }
    let source = if safe { route.reads } else { Source::Primary };
    if route.read_only {
        // The banner goes into the page's text: have it uncompressed (the compression layer
        // outside compresses the answer for the client).
        request.headers_mut().remove(ACCEPT_ENCODING);
        request
            .headers_mut()
            .remove(axum::http::header::IF_NONE_MATCH);
        request
            .headers_mut()
            .remove(axum::http::header::IF_MODIFIED_SINCE);
    }
    let mut response = READS.scope(source, next.run(request)).await;
    if unreachable(&response) {
        match source {
            Source::Primary => service.primary_down.store(true, Ordering::Release),
            Source::Replica => {
                if let Some(replica) = &service.replica {
                    replica.lock().up = false;
                }
            }
        }
        if !safe {
            response = ApiError::ReadOnly.into_response();
        }
    }
    let mut position = READS.sync_scope(source, || service.audit_seq());
    if !safe && (response.status().is_success() || response.status().is_redirection()) {
        // Read-your-writes: the primary's position after this write, for the next reads.
        if let Ok(after) = service.primary.audit_seq().await {
            position = after;
            let secure = if service.access.behind_https {
                "; Secure"
            } else {
                ""
            };
            if let Ok(cookie) = HeaderValue::from_str(&format!(
                "{POSITION_COOKIE}={after}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400{secure}"
            )) {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
        }
    }
    let read_only = route.read_only || service.read_only();
    let response = with_mode(response, source, Some(position), read_only);
    if read_only {
        with_banner(response).await
    } else {
        response
    }
}

/// The answer with the headers that say where it read and whether the server is read-only.
fn with_mode(
    mut response: Response,
    source: Source,
    position: Option<i64>,
    read_only: bool,
) -> Response {
    let headers = response.headers_mut();
    headers.insert(READ_FROM_HEADER, HeaderValue::from_static(source.as_str()));
    if let Some(position) = position {
        headers.insert(POSITION_HEADER, HeaderValue::from(position));
    }
    if read_only {
        headers.insert(READ_ONLY_HEADER, HeaderValue::from_static("1"));
    }
    response
}

/// A page with the read-only banner at the top of its body (`<!--banner-->` in `base.html`).
async fn with_banner(response: Response) -> Response {
    const MARK: &str = "<!--banner-->";
    let is_page = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
        && !response.headers().contains_key(CONTENT_ENCODING);
    if !is_page {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return ApiError::Internal.into_response();
    };
    let html = String::from_utf8_lossy(&bytes);
    let Some(at) = html.find(MARK) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let changed = format!("{}{BANNER}{}", &html[..at], &html[at + MARK.len()..]);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::ETAG);
    Response::from_parts(parts, axum::body::Body::from(changed))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn a_key_is_computed_once_however_many_ask_at_once() {
        let cache: Cache<u8, u32> = Cache::new(100);
        let runs = AtomicUsize::new(0);
        let compute = async || {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, ()>((7, 1))
        };
        let (a, b, c) = tokio::join!(
            cache.get_or_compute(1, compute),
            cache.get_or_compute(1, compute),
            cache.get_or_compute(1, compute),
        );
        assert_eq!((*a.unwrap(), *b.unwrap(), *c.unwrap()), (7, 7, 7));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn errors_are_not_kept_and_the_budget_empties_the_cache() {
        let cache: Cache<u8, u32> = Cache::new(10);
        assert!(
            cache
                .get_or_compute(1, async || Err::<(u32, usize), _>("store down"))
                .await
                .is_err()
        );
        assert_eq!(
            *cache
                .get_or_compute(1, async || Ok::<_, ()>((1, 6)))
                .await
                .unwrap(),
            1
        );
        // Over the budget: everything goes, and the next request computes again.
        assert_eq!(
            *cache
                .get_or_compute(2, async || Ok::<_, ()>((2, 6)))
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            *cache
                .get_or_compute(1, async || Ok::<_, ()>((10, 1)))
                .await
                .unwrap(),
            10
        );
    }
}
