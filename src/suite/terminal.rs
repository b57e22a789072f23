//! The user's terminal during `attach`, shared by every suite's interactive session: raw
//! mode restored on every exit path, its size, its input on a thread, why a session ended.

use nix::sys::termios::{self, SetArg, Termios};
use std::os::fd::{AsFd, BorrowedFd};

/// Ctrl-], telnet's escape character.
pub const ESCAPE: u8 = 0x1d;

/// Puts the terminal in raw mode and restores the saved settings when dropped.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    pub fn enter(fd: BorrowedFd<'_>) -> nix::Result<RawMode> {
        let saved = termios::tcgetattr(fd)?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(fd, SetArg::TCSADRAIN, &raw)?;
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSADRAIN, &self.saved);
    }
}

nix::ioctl_read_bad!(tiocgwinsz, libc::TIOCGWINSZ, libc::winsize);

/// The terminal's size (columns, rows), if it has one.
pub fn window_size() -> Option<(u16, u16)> {
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    unsafe { tiocgwinsz(libc::STDOUT_FILENO, &mut ws) }.ok()?;
    (ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// Why the session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Escape,
    Closed,
    Signal,
}

/// The terminal's input, read by a plain thread: a blocked read must not hold the runtime open.
pub fn stdin_reader() -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut b = [0u8; 1024];
        loop {
            match std::io::Read::read(&mut std::io::stdin(), &mut b) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.blocking_send(b[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}
