//! Writing a file that may hold personal data (an export, a report, a workbook, a
//! certificate): under a temporary name created exclusively in the target folder — never
//! following a planted symlink, never reusing a file someone else made — mode 0600, then
//! renamed into place, so a reader never sees half a file. A folder that has to be made for it
//! is made 0700.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Writes `path` by way of a private temporary file beside it: `write` gets the temporary
/// file, open, and fills it. Never its name: a writer that opened the name again would follow
/// whatever was put there in between (a symlink to a file of someone else's), and write the
/// ledger where the person who planted it can read it.
pub fn write_private<T, E: From<std::io::Error>>(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<T, E>,
) -> Result<T, E> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(&format!(".partial{ext}"))
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    let mut tmp = tmp;
    let out = write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    // The rename goes by name: if someone swapped the name for their own file or a symlink
    // while this one was written, what would land at `path` is theirs. Refused, nothing moved.
    let ours = tmp.as_file().metadata()?;
    let named = std::fs::symlink_metadata(tmp.path())?;
    if (ours.dev(), ours.ino()) != (named.dev(), named.ino()) {
        return Err(std::io::Error::other(format!(
            "{} was replaced by another file while it was written; nothing was saved",
            tmp.path().display()
        ))
        .into());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(out)
}
