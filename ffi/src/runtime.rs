// SPDX-License-Identifier: MPL-2.0
//! The one tokio runtime of the core. Async exports hand their work to it;
//! blocking work (a card `transceive`, SQLite) goes to its blocking pool.

use std::sync::LazyLock;

use tokio::runtime::Runtime;

use crate::HoumonError;

pub(crate) static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("houmon-core")
        .enable_all()
        .build()
        .expect("the core's tokio runtime starts")
});

/// Runs blocking work on the runtime's blocking pool and awaits it from any
/// executor (Kotlin coroutines, Swift tasks).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HoumonError> + Send + 'static,
) -> Result<T, HoumonError> {
    RUNTIME.spawn_blocking(f).await.map_err(HoumonError::internal)?
}

/// Runs an async task (HTTP) on the runtime and awaits it from any executor.
pub(crate) async fn spawn<T: Send + 'static>(
    f: impl std::future::Future<Output = Result<T, HoumonError>> + Send + 'static,
) -> Result<T, HoumonError> {
    RUNTIME.spawn(f).await.map_err(HoumonError::internal)?
}
