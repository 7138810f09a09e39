//! Work that waits on the network (echo queries, provider jobs) runs here, on a few threads,
//! never on the event loop. Each worker hands its result back through a channel and wakes the
//! loop through a socket in its poll set, the way uloop's process and fd callbacks do.

use crate::engine::{JobDone, JobNet, JobSpec};
use crate::http::{Client, ClientOptions, Roots};
use crate::net::Family;
use crate::sources::echo::{self, Answer, EchoResult};
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Provider jobs running at once; more wait their turn. A router has one or two cores and
/// little memory, and a job spends its time waiting on a socket anyway.
pub const MAX_JOBS: usize = 4;

/// Stack for a worker: a TLS handshake and a JSON answer need far less than std's 2 MiB.
const STACK: usize = 256 * 1024;

/// A finished piece of work.
pub enum Done {
    /// An echo answer: its family, and the WAN it was asked through if bound.
    Echo(Family, Option<String>, EchoResult),
    Job(JobDone),
    Verify(crate::verify::Done),
}

pub struct Workers {
    /// What finished since the loop last looked (a plain list: std's channels cost flash).
    done: Arc<Mutex<Vec<Done>>>,
    wake_rx: UnixStream,
    wake_tx: UnixStream,
    jobs: usize,
}

impl Workers {
    pub fn new() -> std::io::Result<Workers> {
        let (wake_rx, wake_tx) = UnixStream::pair()?;
        wake_rx.set_nonblocking(true)?;
        Ok(Workers { done: Arc::default(), wake_rx, wake_tx, jobs: 0 })
    }

    /// Provider jobs that may still start now.
    pub fn free_job_slots(&self) -> usize {
        MAX_JOBS.saturating_sub(self.jobs)
    }

    pub fn job(&mut self, job: JobSpec, mut net: JobNet) {
        self.jobs += 1;
        self.spawn(Box::new(move || Done::Job(job.run(net.as_net()))));
    }

    pub fn verify(&mut self, check: crate::verify::Spec) {
        self.spawn(Box::new(move || Done::Verify(check.run())));
    }

    pub fn echo(&mut self, family: Family, wan: Option<String>, urls: Vec<String>, roots: Roots, opts: ClientOptions) {
        self.spawn(Box::new(move || Done::Echo(family, wan, query_echo(&urls, family, &roots, &opts))));
    }

    fn spawn(&mut self, work: Box<dyn FnOnce() -> Done + Send>) {
        type Work = Box<dyn FnOnce() -> Done + Send>;
        // Shared so that the loop can still run the work itself if no thread can be started:
        // the engine counts on every job coming back.
        let work: Arc<Mutex<Option<Work>>> = Arc::new(Mutex::new(Some(work)));
        let (mine, done, wake) = (work.clone(), self.done.clone(), self.wake_tx.try_clone());
        let started = thread(Box::new(move || {
            let Some(work) = mine.lock().ok().and_then(|mut w| w.take()) else { return };
            let result = work();
            if let Ok(mut list) = done.lock() {
                list.push(result);
            }
            if let Ok(mut w) = wake {
                let _ = w.write_all(&[1]);
            }
        }));
        if let Err(e) = started {
            log::error!("cannot start a worker thread ({e}); doing the work on the main loop");
            if let Some(work) = work.lock().ok().and_then(|mut w| w.take()) {
                let result = work();
                if let Ok(mut list) = self.done.lock() {
                    list.push(result);
                }
                let _ = self.wake_tx.write_all(&[1]);
            }
        }
    }

    /// Everything finished since the last call.
    pub fn finished(&mut self) -> Vec<Done> {
        let mut sink = [0u8; 64];
        while matches!(self.wake_rx.read(&mut sink), Ok(n) if n > 0) {}
        let done: Vec<Done> = self.done.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default();
        let jobs = done.iter().filter(|d| matches!(d, Done::Job(_))).count();
        self.jobs = self.jobs.saturating_sub(jobs);
        done
    }
}

impl AsFd for Workers {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.wake_rx.as_fd()
    }
}

/// Every worker thread starts here: one boxed entry point keeps std's spawning code in the
/// binary once.
pub fn thread(work: Box<dyn FnOnce() + Send>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().stack_size(STACK).spawn(work)
}

/// Ask the echo services of one family in turn until two agree, all within one deadline of
/// `opts.timeout` from the start (each request gets what is left). The two families are asked
/// at once, each on its own worker.
pub fn query_echo(urls: &[String], family: Family, roots: &Roots, opts: &ClientOptions) -> EchoResult {
    let deadline = Instant::now() + opts.timeout;
    let mut answers: Vec<Answer> = Vec::new();
    for url in urls {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let opts = ClientOptions { timeout: left, ..opts.clone() };
        answers.push(echo::ask(url, family, &mut Client::new(roots, &opts, Some(family))));
        if echo::agreed(&answers).is_some() {
            break;
        }
    }
    echo::settle(answers)
}
