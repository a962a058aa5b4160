//! The store as the server uses it: one writer thread that groups the writes
//! waiting for it into one transaction and one commit (group commit), and a pool
//! of readers, each on its own connection, for reads on blocking threads.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use balans_core::Moment;

use balans_store::{LedgerError, Store, StoreError};
use tokio::sync::{Semaphore, oneshot};

/// A store the server may move between threads.
pub type DynStore = Box<dyn Store + Send>;

/// Opens another connection to the same store, for a reader.
pub type Opener = Arc<dyn Fn() -> Result<DynStore, StoreError> + Send + Sync>;

/// The most writes grouped into one commit.
const GROUP_MAX: usize = 512;

/// A write waiting for the writer: it runs inside the group's transaction, in a
/// savepoint of its own, and hands back what to do once the group has committed.
type Job = Box<
    dyn FnOnce(&mut (dyn Store + Send + 'static)) -> Box<dyn FnOnce(Option<&StoreError>) + Send>
        + Send,
>;

pub struct Db {
    writer: Mutex<mpsc::Sender<Job>>,
    readers: Mutex<Vec<DynStore>>,
    reader_slots: Semaphore,
    open: Opener,
}

impl Db {
    /// Starts the writer thread on `writer` and keeps at most `readers` reading
    /// connections, opened with `open` as they are needed. The writer sweeps
    /// by the wall clock, at least once a minute ([`Sweeping::default`]).
    pub fn start(writer: DynStore, open: Opener, readers: usize) -> Arc<Db> {
        Db::start_sweeping(writer, open, readers, Sweeping::default())
    }

    /// [`Db::start`], with the writer sweeping as `sweeping` says.
    pub fn start_sweeping(
        writer: DynStore,
        open: Opener,
        readers: usize,
        sweeping: Sweeping,
    ) -> Arc<Db> {
        let (sender, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("balans-writer".into())
            .spawn(move || write_loop(writer, receiver, sweeping))
            .expect("the writer thread starts");
        Arc::new(Db {
            writer: Mutex::new(sender),
            readers: Mutex::new(Vec::new()),
            reader_slots: Semaphore::new(readers.max(1)),
            open,
        })
    }

    /// Runs `work` on the writer, in a write of its own inside the current group,
    /// and answers once the group's commit is durable. When `work` fails, its
    /// writes are undone and the rest of the group is unaffected.
    pub async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut (dyn Store + Send + 'static)) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |store: &mut (dyn Store + Send + 'static)| {
            let result = balans_store::in_transaction(store, work);
            Box::new(move |commit_error: Option<&StoreError>| {
                let result = match (result, commit_error) {
                    (Ok(_), Some(e)) => Err(LedgerError::Store(StoreError::backend(
                        "committing",
                        e.to_string(),
                    ))),
                    (result, _) => result,
                };
                let _ = answer.send(result);
            })
        });
        self.writer
            .lock()
            .map_err(|_| unavailable("the writer is gone"))?
            .send(job)
            .map_err(|_| unavailable("the writer is gone"))?;
        answered
            .await
            .map_err(|_| unavailable("the writer stopped before answering"))?
    }

    /// Runs `work` on a reading connection on a blocking thread, inside one read
    /// transaction: every statement it runs sees the same moment of the store,
    /// whatever other connections commit meanwhile, so a page or a route that
    /// reads several times never shows two moments at once.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut (dyn Store + Send + 'static)) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        self.read_single(move |store| balans_store::in_read(store, work))
            .await
    }

    /// As [`Db::read`], for `work` whose data that can change comes from a single
    /// statement (a token's or a session's check, a count, a list of users, a
    /// pair's balance): one statement sees one moment by itself, and a read
    /// transaction would cost PostgreSQL a trip to begin it and one to end it,
    /// a third of a balance read's time.
    pub async fn read_single<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut (dyn Store + Send + 'static)) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        let _slot = self
            .reader_slots
            .acquire()
            .await
            .map_err(|_| unavailable("the server is stopping"))?;
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = db
                .readers
                .lock()
                .map_err(|_| unavailable("the reader pool is broken"))?
                .pop();
            let mut reader = match taken {
                Some(reader) => reader,
                None => (db.open)()?,
            };
            let result = work(reader.as_mut());
            // Ends a read transaction the work left open, and whatever the
            // connection kept for this read alone.
            let result = match (result, reader.end_read()) {
                (Ok(_), Err(e)) => Err(LedgerError::from(e)),
                (result, _) => result,
            };
            if let Ok(mut readers) = db.readers.lock() {
                readers.push(reader);
            }
            result
        })
        .await
        .map_err(|_| unavailable("a read failed"))?
    }
}

impl Drop for Db {
    /// Closes the reading connections on a thread of their own: a backend may block
    /// while closing (PostgreSQL's client runs a runtime of its own), which an
    /// async thread must not do.
    fn drop(&mut self) {
        let readers = self
            .readers
            .get_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        if !readers.is_empty() {
            let _ = std::thread::spawn(move || drop(readers)).join();
        }
    }
}

fn unavailable(what: &str) -> LedgerError {
    LedgerError::Store(StoreError::backend(what, "the store is unavailable"))
}

/// How long the writer waits for a write before it sweeps on its own: what
/// falls due is resolved within this while the server runs, and by every
/// group of writes before its writes.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// When the writer sweeps while no write comes, and by which clock it
/// sweeps (`docs/promises.md`, "The sweep"). Every group of writes sweeps
/// first as well, by the same clock.
#[derive(Clone)]
pub struct Sweeping {
    /// The longest the writer waits for a write before it sweeps on its own.
    pub every: Duration,
    /// The moment a sweep resolves what has fallen due by.
    pub clock: Arc<dyn Fn() -> Moment + Send + Sync>,
}

impl Default for Sweeping {
    /// Once a minute at least, by the wall clock: as `balans serve` sweeps.
    fn default() -> Self {
        Sweeping {
            every: SWEEP_EVERY,
            clock: Arc::new(Moment::now),
        }
    }
}

/// Resolves what has fallen due at `now` (`balans_store::ledger::sweep`) in
/// a write of its own, or in a savepoint of the group's; a failure is logged
/// and leaves the writes that follow unaffected.
fn sweep(store: &mut (dyn Store + Send + 'static), now: Moment) {
    match balans_store::ledger::sweep(store, now) {
        Ok(swept) => {
            if !swept.broken.is_empty() {
                tracing::info!(
                    broken = swept.broken.len(),
                    "promises fell due and were broken"
                );
            }
            for stranded in &swept.stranded {
                tracing::warn!(
                    promise = %stranded.promise,
                    "{}; release it, or change the memberships so that one organization holds then",
                    stranded.problem
                );
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot sweep what fell due"),
    }
}

fn write_loop(mut store: DynStore, receiver: mpsc::Receiver<Job>, sweeping: Sweeping) {
    loop {
        let first = match receiver.recv_timeout(sweeping.every) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                sweep(store.as_mut(), (sweeping.clock)());
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match receiver.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let begun = store.begin_write();
        let mut finishers = Vec::with_capacity(group.len());
        if let Err(e) = &begun {
            // Dropped unrun, every job's caller learns that nothing was written.
            drop(group);
            tracing::error!(error = %e, "cannot start a write");
            continue;
        }
        sweep(store.as_mut(), (sweeping.clock)());
        for job in group {
            finishers.push(job(store.as_mut()));
        }
        let committed = store.commit();
        if committed.is_err() {
            let _ = store.rollback();
        }
        let commit_error = committed.err();
        if let Some(e) = &commit_error {
            tracing::error!(error = %e, writes = finishers.len(), "a group of writes failed to commit");
        }
        for finish in finishers {
            finish(commit_error.as_ref());
        }
    }
}
