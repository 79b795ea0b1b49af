// SPDX-License-Identifier: GPL-3.0-or-later
//! Restarting into the new system through logind, which asks polkit (and
//! so the person, if it must) instead of needing root.

use zbus::Connection;

#[zbus::proxy(
    interface = "org.freedesktop.login1.Manager",
    default_service = "org.freedesktop.login1",
    default_path = "/org/freedesktop/login1"
)]
trait Manager {
    fn reboot(&self, interactive: bool) -> zbus::Result<()>;
}

/// Asks logind on the system bus to restart the computer.
pub async fn reboot() -> zbus::Result<()> {
    reboot_on(&Connection::system().await?).await
}

/// Asks the logind on `connection`; interactive, so that polkit may ask
/// for a password where the session alone may not restart.
pub async fn reboot_on(connection: &Connection) -> zbus::Result<()> {
    ManagerProxy::new(connection).await?.reboot(true).await
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records the calls a logind would get.
    struct FakeLogind {
        calls: Arc<Mutex<Vec<bool>>>,
    }

    #[zbus::interface(name = "org.freedesktop.login1.Manager")]
    impl FakeLogind {
        fn reboot(&self, interactive: bool) {
            self.calls
                .lock()
                .expect("no test thread panicked")
                .push(interactive);
        }
    }

    #[test]
    fn reboot_asks_logind_interactively() {
        // A stand-in logind on the session bus.
        if !super::super::session_bus_tests::session_bus_available() {
            return;
        }
        let calls = Arc::new(Mutex::new(Vec::new()));
        async_io::block_on(async {
            let _logind = zbus::connection::Builder::session()
                .unwrap()
                .name("org.freedesktop.login1")
                .unwrap()
                .serve_at(
                    "/org/freedesktop/login1",
                    FakeLogind {
                        calls: calls.clone(),
                    },
                )
                .unwrap()
                .build()
                .await
                .expect("the session bus lets a test own the name");
            let client = Connection::session().await.unwrap();
            reboot_on(&client).await.expect("the stand-in answers");
        });
        assert_eq!(*calls.lock().unwrap(), [true]);
    }
}
