//! The HTTP server around the application: what one client may hold of it. hyper's HTTP/1
//! connections with a header-read timeout (which also closes idle keep-alive connections: the
//! timer runs whenever a connection waits for a request head), a cap on open connections
//! (beyond it a short-lived `503` names the reason and the connection closes), and, in the
//! router (`crate::app`), a request-body limit and a request timeout.
//!
//! `axum::serve` has none of these: a connection whose headers never finish stays open for
//! ever, and enough of them exhaust the process's open files, after which no request is
//! accepted at all.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::service::Service;

/// What one client may hold of the server. `Limits::default()` is `planwatch serve`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A connection that has not sent a whole request head within this is closed: one whose
    /// headers never finish, and one idle between keep-alive requests.
    pub header_read_timeout: Duration,
    /// A request whose answer is not ready within this gets `503` (`timeout`).
    pub request_timeout: Duration,
    /// A request body longer than this gets `413` (sign-in and the account forms are small).
    pub max_body_bytes: usize,
    /// The same for a unit's submission (`/api/submissions…`: a sheet, or a form's rows) and
    /// its progress reports (`/api/progress…`: evidence files).
    pub max_submission_bytes: usize,
    /// Connections served at once; one more gets `503` (`busy`) and is closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_body_bytes: 64 * 1024,
            // A 5 000-row submission is some 500 KiB of JSON; a reporter's workbook more.
            max_submission_bytes: 16 * 1024 * 1024,
            max_connections: 4096,
        }
    }
}

/// Connections beyond the cap that are still told `503` at once; beyond these too, a
/// connection is closed without a word.
const REFUSALS: usize = 256;
/// How long a refused connection has to send its request head before it is closed.
const REFUSAL_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// How long requests under way have to finish once the server is told to stop.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves the application on a bound listener until `shutdown` completes; then it stops taking
/// connections and returns once the requests under way are answered (or after `DRAIN`).
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    service.watch();
    let app = crate::app(service, &limits);
    let busy = Router::new()
        .fallback(|| async { ApiError::Busy })
        .layer(axum::middleware::from_fn(crate::error::localize))
        .layer(axum::middleware::from_fn(retry_after));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut refusing = hyper::server::conn::http1::Builder::new();
    refusing
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_HEADER_TIMEOUT)
        .keep_alive(false);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                accept_failed(&error).await;
                continue;
            }
        };
        if let Ok(permit) = connections.clone().try_acquire_owned() {
            // The peer's address, for the audit log and the sign-in throttle.
            let app = tower::Layer::layer(&axum::Extension(ConnectInfo(peer)), app.clone());
            let connection =
                graceful.watch(http.serve_connection(io(stream), TowerToHyperService::new(app)));
            tokio::spawn(async move {
                // A connection's errors (a timeout, a reset) are the client's business.
                let _ = connection.await;
                drop(permit);
            });
        } else if let Ok(permit) = refusals.clone().try_acquire_owned() {
            let connection =
                refusing.serve_connection(io(stream), TowerToHyperService::new(busy.clone()));
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        }
        // else: the stream is dropped here, which closes it.
    }
    drop(listener);
    // Requests under way are answered; idle keep-alive connections close at once.
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
    Ok(())
}

fn io(stream: TcpStream) -> TokioIo<TcpStream> {
    // Answers are written whole; small ones should not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    TokioIo::new(stream)
}

/// A failed accept: a connection reset before it was taken is nothing; anything else (out of
/// open files, most likely) is said, and the loop waits a moment so as not to spin on it.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    eprintln!("planwatch serve: 无法接受连接 (cannot accept a connection): {error}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn retry_after(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Middleware: a request body longer than its limit gets `413` — `max_submission_bytes` under
/// `/api/submissions` and `/api/progress` (evidence files), `max_body_bytes` everywhere else (tower-http's limit, chosen per request).
pub(crate) async fn body_limit(
    axum::extract::State((everywhere, submissions)): axum::extract::State<(usize, usize)>,
    request: Request,
    next: Next,
) -> Response {
    use tower::Service;
    let path = request.uri().path();
    let larger = ["/api/submissions", "/api/progress"].iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    let limit = if larger { submissions } else { everywhere };
    let mut limited = tower_http::limit::RequestBodyLimit::new(Rest(next), limit);
    let answer = async {
        std::future::poll_fn(|cx| Service::<Request>::poll_ready(&mut limited, cx)).await?;
        limited.call(request).await
    };
    match answer.await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}

/// The rest of the stack, taking the limited body as an axum body.
struct Rest(Next);

impl<B> tower::Service<axum::http::Request<B>> for Rest
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let next = self.0.clone();
        Box::pin(async move { Ok(next.run(request.map(axum::body::Body::new)).await) })
    }
}

/// Middleware: a request not answered within the limit gets `503` (`timeout`).
pub(crate) async fn deadline(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout {
            seconds: limit.as_secs_f64(),
        }
        .into_response(),
    }
}
