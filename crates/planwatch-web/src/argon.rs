//! Argon2id work — verifying a sign-in's password, hashing a new one — on a few threads of its
//! own, as many as the machine has cores. Each verification takes 19 MiB for some 14 ms; on the
//! runtime's blocking pool, whose threads come and go, every thread's allocator kept its own
//! copies (a server that had taken 60 sign-ins a second held 490 MiB after it). Here the memory is
//! bounded by the few threads, and sign-ins beyond what the cores can do wait in a short queue
//! (or, past it, are answered `503 busy`) rather than piling up.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

/// Jobs waiting for a thread, at most.
const QUEUE: usize = 256;

#[derive(Debug)]
pub(crate) struct Argon {
    jobs: SyncSender<Job>,
}

impl Argon {
    /// `threads` threads (at least one) waiting for work.
    pub(crate) fn new(threads: usize) -> std::io::Result<Argon> {
        let (jobs, queue) = sync_channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&queue))?;
        }
        Ok(Argon { jobs })
    }

    /// Runs `task` on one of the threads and waits for its result.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        task: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(task());
        });
        match self.jobs.try_send(job) {
            Ok(()) => result.await.map_err(|_| ApiError::Internal),
            Err(TrySendError::Full(_)) => Err(ApiError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(ApiError::Internal),
        }
    }
}

/// A thread's life: take the next job, run it; end when the server drops the sender.
fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let queue = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        job();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_the_threads_and_return_their_results() {
        let argon = Argon::new(2).unwrap();
        let (a, b) = tokio::join!(argon.run(|| 2 + 2), argon.run(|| "four"));
        assert_eq!((a.unwrap(), b.unwrap()), (4, "four"));
        let name = argon
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("argon2-"));
    }
}
