//! Files the daemon reads and writes itself: only regular files of bounded size are read, and
//! writes are atomic and private (the state files hold provider error texts).

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Read a whole regular file of at most `limit` bytes. Anything else (a FIFO, a device such as
/// `/dev/zero`, a directory, a socket) is refused without blocking: the open does not wait for a
/// FIFO's writer, and the type is checked on the opened file before anything is read.
pub fn read_regular_file(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file =
        std::fs::OpenOptions::new().read(true).custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY).open(path)?;
    let kind = file.metadata()?.file_type();
    let not_regular =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("is {what}, not a regular file"));
    if !kind.is_file() {
        return Err(not_regular(match () {
            _ if kind.is_dir() => "a directory",
            _ if kind.is_fifo() => "a FIFO",
            _ if kind.is_char_device() => "a character device",
            _ if kind.is_block_device() => "a block device",
            _ if kind.is_socket() => "a socket",
            _ => "of an unknown type",
        }));
    }
    let mut bytes = Vec::new();
    // The size is read through the open file, so a file that grows meanwhile is caught too.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("is larger than the limit of {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// A new file only we can read: never an existing one, never through a symlink.
pub(crate) fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(nix::libc::O_NOFOLLOW).open(path)
}

/// Write to a new temporary sibling and rename, so a reader or a power cut never sees half a
/// file. The files hold provider error texts: they are created 0600 and new directories 0700.
/// The temporary gets a unique name and is created with `O_EXCL|O_NOFOLLOW`, so nothing
/// planted in the directory (a symlink at a guessable `*.tmp`) is ever followed or reused.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let name = path.file_name().ok_or_else(|| std::io::Error::other(format!("{}: not a file name", path.display())))?;
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let unique = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{}.{}-{unique}.tmp", name.to_string_lossy(), std::process::id()));
    let mut f = create_private(&tmp)?;
    let written = f.write_all(data).and_then(|()| f.sync_all()).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
