//! The service behind the handlers: the store, the plan, and caches of what `planwatch-app`
//! computes (evaluations, panels), of counts and of rendered pages.
//!
//! The store's version (a counter raised with every change) is read by a watcher every
//! `VERSION_POLL` rather than on every request: a page or an API answer served from the cache
//! costs no query. An import — by this server or by `planwatch import` in another process —
//! raises the version; within one poll every cache key that held the old version is unreachable
//! and the caches are emptied.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use std::time::Duration;
use tokio::sync::OnceCell;

use planwatch_app::{
    EvaluationReport, EvaluationRequest, default_year, evaluate, load_panel, stored_region_targets,
};
use planwatch_eval::Panel;
use planwatch_plan::Plan;
use planwatch_store::{LastChange, ObservationFilter, Store, StoreError};

use planwatch_access::{Policy, hash_password};

use crate::argon::Argon;
use crate::auth::{AccessSettings, CallerCache};
use crate::conditional::http_date;
use crate::map::OfficialMap;
use crate::throttle::Throttle;

/// How often the store's version is read.
pub(crate) const VERSION_POLL: Duration = Duration::from_millis(200);

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

/// The store, the plan it serves, and the caches keyed on the store's version.
#[derive(Debug)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) plan: Arc<Plan>,
    /// The plan's look-up tables (codes, 序号, names), built once.
    pub(crate) names: planwatch_import::Names,
    /// Indicator and region code → their names in both languages, for searches by words.
    pub(crate) search_names: HashMap<String, String>,
    version: AtomicI64,
    /// When the store last changed, as an HTTP date (Last-Modified), formatted once per change
    /// rather than on every request.
    last_modified: RwLock<Option<String>>,
    evaluations: Cache<(i64, EvaluationRequest), EvaluationReport>,
    panels: Cache<(i64, Vec<String>, Option<String>), Panel>,
    default_years: Cache<i64, u16>,
    counts: Cache<(i64, String), u64>,
    pub(crate) pages: Cache<(i64, String), crate::pages::Rendered>,
    /// JSON answers that are the same for every reader (published tasks), serialised once, by
    /// store version and a key naming what else they depend on, weighed in kilobytes.
    pub(crate) answers: Cache<(i64, String), axum::body::Bytes>,
    /// Every task and every key project of the plan with its status, by store version, audit
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
    /// Reads the store's version once; call `watch` to keep it current.
    pub async fn new(
        store: Store,
        plan: Plan,
        official_map: Option<OfficialMap>,
        access: AccessSettings,
    ) -> Result<Arc<Service>, StoreError> {
        let last = store.last_change().await?;
        let audit_seq = store.audit_seq().await?;
        let service = Arc::new(Service {
            store,
            names: planwatch_import::Names::new(&plan),
            search_names: search_names(&plan),
            plan: Arc::new(plan),
            version: AtomicI64::new(last.version),
            last_modified: RwLock::new(last.changed_at.as_deref().and_then(http_date)),
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

    /// Polls the store's version every `VERSION_POLL` and empties the caches when it changes.
    /// Runs until the service is dropped.
    pub fn watch(self: &Arc<Service>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(VERSION_POLL);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(service) = weak.upgrade() else {
                    return;
                };
                if let Ok(last) = service.store.last_change().await {
                    service.observe(last);
                }
                if let Ok(seq) = service.store.audit_seq().await {
                    service.callers.observe(seq);
                }
            }
        });
    }

    /// Takes in the store's latest change; empties the caches if it is new.
    pub(crate) fn observe(&self, last: LastChange) {
        if self.version.swap(last.version, Ordering::AcqRel) != last.version {
            *self
                .last_modified
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                last.changed_at.as_deref().and_then(http_date);
            self.evaluations.clear();
            self.panels.clear();
            self.default_years.clear();
            self.counts.clear();
            self.pages.clear();
            self.tasks.clear();
            self.projects.clear();
        }
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

    pub(crate) fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    /// When the store last changed, as an HTTP date.
    pub(crate) fn last_modified(&self) -> Option<String> {
        self.last_modified
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
                let service = self.clone();
                let task = tokio::spawn(async move {
                    let targets = stored_region_targets(&service.store, &service.plan).await?;
                    evaluate(
                        &service.store,
                        &service.plan,
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
                Ok::<_, StoreError>((default_year(&self.store, &self.plan).await?, 1))
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
                let count = self.store.count_observations(&self.plan, filter).await?;
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
                let panel = load_panel(&self.store, &self.plan, &regions, as_of).await?;
                let weight = panel.series_count();
                Ok::<_, StoreError>((panel, weight))
            })
            .await
    }
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
