//! Tests of atomic builds and of the recovery of their leftovers.

use super::leftovers::{real_dir, recover};
use super::*;

/// A killed build's `.NAME.building-PID` (with its unlocked lock file) is removed by the
/// next build into NAME; a running build's (lock held) and one with no lock file are not;
/// nothing of another name is touched.
#[test]
fn leftovers_of_builds_no_longer_running_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let leftover = |pid: u64, lock: bool| {
        let p = d.join(format!(".idx.building-{pid}"));
        std::fs::create_dir_all(p.join("shard-00000")).unwrap();
        std::fs::write(p.join("shard-00000/tokens.bin"), vec![0u8; 4096]).unwrap();
        if lock {
            std::fs::write(lock_path(&p), b"").unwrap();
        }
        p
    };
    let killed = leftover(4_000_000_001, true);
    let running = leftover(4_000_000_002, true);
    let Attempt::Acquired(running_lock) =
        LockFile::try_acquire(&lock_path(&running), false).unwrap()
    else {
        panic!("lock not taken")
    };
    let unlocked = leftover(4_000_000_003, false);
    let lone_lock = d.join(".idx.building-4000000004.lock");
    std::fs::write(&lone_lock, b"").unwrap();
    let other = d.join(".idx2.building-4000000005");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(lock_path(&other), b"").unwrap();

    let temp = TempIndexDir::create(&d.join("idx"), false).unwrap();
    assert!(temp.path().is_dir() && lock_path(temp.path()).is_file());
    assert!(!killed.exists() && !lock_path(&killed).exists());
    assert!(running.is_dir() && lock_path(&running).is_file());
    assert!(unlocked.is_dir());
    assert!(!lone_lock.exists());
    assert!(other.is_dir() && lock_path(&other).is_file());

    // The build holds its own lock for its whole life; a failed build removes both.
    let own = temp.path().to_path_buf();
    let own_lock = lock_path(&own);
    assert!(matches!(
        LockFile::try_acquire(&own_lock, false).unwrap(),
        Attempt::Held
    ));
    drop(temp);
    assert!(!own.exists() && !own_lock.exists());
    drop(running_lock);
}

/// An old index moved aside by a killed forced build with this process's id (whose lock
/// this build now holds) is put back at the missing target; one with no lock file beside
/// it cannot be told from a running build's and is left (named in a warning).
#[test]
fn an_old_index_is_put_back_only_when_its_build_is_known_dead() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("idx");
    let own_old = d.join(format!(".idx.building-{}.old", std::process::id()));
    index_at(&own_old, b"m");

    let temp = TempIndexDir::create(&target, true).unwrap();
    assert!(target.join(MANIFEST_FILE).is_file() && !own_old.exists());
    drop(temp);
    // A second build into the target (now an index): one with no lock file is left.
    let unlocked = d.join(".idx.building-4000000006.old");
    std::fs::create_dir(&unlocked).unwrap();
    drop(TempIndexDir::create(&target, true).unwrap());
    assert!(unlocked.is_dir() && target.is_dir());
}

thread_local! {
    /// Set by a test to make [`remove_entry`] fail on its thread.
    pub(super) static FAIL_REMOVAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A directory at `path` that counts as an index: its manifest holds `manifest`.
fn index_at(path: &Path, manifest: &[u8]) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::write(path.join(MANIFEST_FILE), manifest).unwrap();
}

/// The manifest bytes of the index at `path`.
fn manifest_of(path: &Path) -> Vec<u8> {
    std::fs::read(path.join(MANIFEST_FILE)).unwrap()
}

/// The leftover of a killed build with process id `pid` into `d/idx`: its unlocked lock
/// file, and an old index it had moved aside (manifest `manifest`); the `.old`'s path.
fn killed_with_old(d: &Path, pid: u64, manifest: &[u8]) -> PathBuf {
    let temp = d.join(format!(".idx.building-{pid}"));
    std::fs::write(lock_path(&temp), b"").unwrap();
    let old = old_path(&temp);
    index_at(&old, manifest);
    old
}

/// Takes the lock at `path` as another process would (this test's handle).
fn hold(path: &Path) -> LockFile {
    match LockFile::try_acquire(path, true).unwrap() {
        Attempt::Acquired(lock) => lock,
        _ => panic!("{} not taken", path.display()),
    }
}

/// Review, data loss: build X committed (I0 moved to `.X.old`, I_X into the target) and
/// was killed removing `.X.old`; build A, running, moved I_X to `.A.old` and is between
/// its renames (the target missing), holding the commit lock. The next build's recovery
/// waits for A's commit instead of taking X's free lock and putting I0 back (which made
/// A's rename fail and the build after remove `.A.old`, the newest index); once A's
/// index is in place, X's `.old` is removed.
#[test]
fn recovery_waits_for_a_forced_build_between_its_renames() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("idx");
    let x_old = killed_with_old(d, 4_000_000_001, b"I0");
    let a = d.join(".idx.building-4000000002");
    let a_lock = hold(&lock_path(&a));
    index_at(&a, b"IA");
    index_at(&old_path(&a), b"IX");
    let commit = LockFile::acquire(&commit_lock_path(&target), || panic!("held")).unwrap();

    let b = {
        let target = target.clone();
        std::thread::spawn(move || TempIndexDir::create(&target, true).map(drop))
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !present(&target),
        "the next build put an index back mid-commit"
    );
    assert_eq!(manifest_of(&x_old), b"I0");
    // A's second rename and its removal of the old index, then its lock released.
    std::fs::rename(&a, &target).unwrap();
    std::fs::remove_dir_all(old_path(&a)).unwrap();
    drop(commit);
    b.join().unwrap().unwrap();
    assert_eq!(manifest_of(&target), b"IA");
    assert!(!present(&x_old) && !present(&lock_path(&x_old.with_extension(""))));
    assert!(
        commit_lock_path(&target).is_file(),
        "the commit lock file stays"
    );
    drop(a_lock);
}

/// A forced commit holds the target's commit lock from `before` (the takedown carry-over,
/// which reads the target) to the end: it waits while another build holds it.
#[test]
fn a_forced_commit_holds_the_commit_lock_from_the_takedown_carry_over_on() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("idx");
    index_at(&target, b"I0");
    let temp = TempIndexDir::create(&target, true).unwrap();
    std::fs::write(temp.path().join(MANIFEST_FILE), b"I1").unwrap();
    let other = LockFile::acquire(&commit_lock_path(&target), || panic!("held")).unwrap();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let committing = {
        let ran = ran.clone();
        std::thread::spawn(move || {
            temp.commit(|dir| {
                assert_eq!(manifest_of(dir), b"I1");
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(7)
            })
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(manifest_of(&target), b"I0");
    drop(other);
    assert_eq!(committing.join().unwrap().unwrap(), 7);
    assert_eq!(manifest_of(&target), b"I1");
    assert_eq!(leftovers(dir.path()), [".idx.commit.lock"]);
}

/// A forced build killed between its renames after this one started (the target missing,
/// the old index in its `.old`): this build's commit puts the old index back, holding the
/// commit lock, before `before` (the takedown carry-over) reads the target, then replaces
/// it as usual.
#[test]
fn a_forced_commit_puts_back_an_index_moved_aside_since_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("idx");
    index_at(&target, b"I0");
    let temp = TempIndexDir::create(&target, true).unwrap();
    std::fs::write(temp.path().join(MANIFEST_FILE), b"I1").unwrap();
    let x_old = d.join(".idx.building-4000000001.old");
    std::fs::write(d.join(".idx.building-4000000001.lock"), b"").unwrap();
    std::fs::rename(&target, &x_old).unwrap();
    temp.commit(|_| {
        assert_eq!(
            manifest_of(&target),
            b"I0",
            "the carry-over reads the old index"
        );
        Ok(())
    })
    .unwrap();
    assert_eq!(manifest_of(&target), b"I1");
    assert_eq!(leftovers(d), [".idx.commit.lock"]);
}

/// The names in `d` starting with a dot, sorted.
fn leftovers(d: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// With the target missing and two old indexes of killed builds beside it, which was
/// committed last cannot be told: none is put back (before, the lower process id's won),
/// a build into the target is refused naming both, an append's recovery only warns, and
/// both stay, with their lock files.
#[test]
fn several_old_indexes_beside_a_missing_target_are_all_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("idx");
    let one = killed_with_old(d, 4_000_000_001, b"I0");
    let two = killed_with_old(d, 4_000_000_002, b"I1");
    let err = TempIndexDir::create(&target, true)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("is missing, and 2 old indexes")
            && err.contains(".idx.building-4000000001.old")
            && err.contains(".idx.building-4000000002.old"),
        "{err}"
    );
    recover(&target, false);
    assert!(!present(&target));
    assert_eq!(manifest_of(&one), b"I0");
    assert_eq!(manifest_of(&two), b"I1");
    for pid in [4_000_000_001u64, 4_000_000_002] {
        assert!(d.join(format!(".idx.building-{pid}.lock")).is_file());
    }
    // One renamed back by hand: the other is then removed by the next build.
    std::fs::rename(&two, &target).unwrap();
    drop(TempIndexDir::create(&target, true).unwrap());
    assert_eq!(manifest_of(&target), b"I1");
    assert_eq!(leftovers(d), [".idx.commit.lock"]);
}

/// Review: a build whose removal of the old index failed after its commit dropped its lock
/// file, and the `.old` was then taken for an older verbatim's forever. Its lock file now
/// stays (unlocked), and the next build, or append, removes the `.old`.
#[test]
fn an_old_index_the_commit_could_not_remove_is_removed_by_the_next_build() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("idx");
    index_at(&target, b"I0");
    let temp = TempIndexDir::create(&target, true).unwrap();
    let own = temp.path().to_path_buf();
    std::fs::write(own.join(MANIFEST_FILE), b"I1").unwrap();
    FAIL_REMOVAL.with(|f| f.set(true));
    let committed = temp.commit(|_| Ok(()));
    FAIL_REMOVAL.with(|f| f.set(false));
    committed.unwrap();
    assert_eq!(manifest_of(&target), b"I1");
    assert_eq!(manifest_of(&old_path(&own)), b"I0");
    assert!(lock_path(&own).is_file(), "the lock file stays");
    // An append's recovery (another build's too) takes that lock and removes the `.old`.
    recover(&target, false);
    assert_eq!(leftovers(d), [".idx.commit.lock"]);
    assert_eq!(manifest_of(&target), b"I1");
}

/// A `.old` with no lock file is named as what the target was, not as a temporary
/// directory of an older verbatim's build: left alone, and a later build still works.
#[test]
fn an_old_index_with_no_lock_file_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("idx");
    index_at(&target, b"I1");
    let old = d.join(".idx.building-4000000007.old");
    index_at(&old, b"I0");
    drop(TempIndexDir::create(&target, true).unwrap());
    recover(&target, false);
    assert_eq!(manifest_of(&old), b"I0");
}

/// Review: `--force` into a symbolic link (`current -> idx-v1`) moves the link itself
/// aside; recovery treats a link `.old` as it does a directory, never following it: put
/// back when the target is missing, removed (the link, not what it points to) when the
/// target is an index. The commit removes the link it moved aside, never `idx-v1`, holding
/// `idx-v1`'s commit lock too.
#[cfg(unix)]
#[test]
fn a_symbolic_link_moved_aside_is_put_back_or_removed_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v1 = d.join("idx-v1");
    index_at(&v1, b"V1");
    let target = d.join("idx");
    std::os::unix::fs::symlink("idx-v1", &target).unwrap();

    // Killed between its renames: the link is put back.
    let old = d.join(".idx.building-4000000001.old");
    std::fs::write(d.join(".idx.building-4000000001.lock"), b"").unwrap();
    std::fs::rename(&target, &old).unwrap();
    recover(&target, false);
    assert_eq!(std::fs::read_link(&target).unwrap(), Path::new("idx-v1"));
    assert!(!present(&old));

    // A commit replaces the link, and removes it, not idx-v1.
    let temp = TempIndexDir::create(&target, true).unwrap();
    std::fs::write(temp.path().join(MANIFEST_FILE), b"I1").unwrap();
    temp.commit(|_| Ok(())).unwrap();
    assert!(real_dir(&target) && manifest_of(&target) == b"I1");
    assert_eq!(manifest_of(&v1), b"V1");
    // The commit through the link held idx-v1's commit lock too.
    assert_eq!(leftovers(d), [".idx-v1.commit.lock", ".idx.commit.lock"]);

    // Killed after its renames: the link is removed, idx-v1 untouched.
    std::os::unix::fs::symlink("idx-v1", &old).unwrap();
    std::fs::write(d.join(".idx.building-4000000001.lock"), b"").unwrap();
    drop(TempIndexDir::create(&target, true).unwrap());
    assert!(!present(&old));
    assert_eq!(manifest_of(&v1), b"V1");
    assert_eq!(manifest_of(&target), b"I1");
    assert_eq!(leftovers(d), [".idx-v1.commit.lock", ".idx.commit.lock"]);
}

/// Review: `.NAME.building-PID.old` of this build's process id still there once the
/// leftovers are dealt with (here: the target is an empty directory, not an index, so it
/// is left) is refused when the build starts, naming it, not at the commit (a rename onto
/// a non-empty directory, after all the work); its lock file stays for the next build.
#[test]
fn a_build_whose_old_index_name_is_taken_is_refused_at_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("idx");
    std::fs::create_dir(&target).unwrap();
    let own = d.join(format!(".idx.building-{}", std::process::id()));
    index_at(&old_path(&own), b"I0");
    let err = TempIndexDir::create(&target, true)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains(&old_path(&own).display().to_string()) && err.contains("still there"),
        "{err}"
    );
    assert_eq!(manifest_of(&old_path(&own)), b"I0");
    assert!(lock_path(&own).is_file() && !present(&own));
}

/// Review: an append into a directory whose parent cannot be listed (mode 711 and not
/// its owner) went on as before the recovery existed; recovery failing is a warning. (Run
/// as root, the parent can always be listed: only the signature shows it then.)
#[cfg(unix)]
#[test]
fn recovery_in_a_parent_that_cannot_be_listed_is_only_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let parent = dir.path().join("p");
    index_at(&parent.join("idx"), b"I0");
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o311)).unwrap();
    let listable = std::fs::read_dir(&parent).is_ok();
    let () = recover(&parent.join("idx"), false);
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    if listable {
        eprintln!("privileged: {} can be listed anyway", parent.display());
    }
    assert_eq!(manifest_of(&parent.join("idx")), b"I0");
}

/// A change given the index through a symbolic link also takes the commit lock of the
/// directory the link names (after the link's own), so it excludes a change given that
/// directory's own path: a takedown through either path waits for a forced build through the
/// other.
#[test]
fn a_symbolic_link_takes_the_commit_lock_of_the_directory_it_names_too() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    index_at(&real, b"I0");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let held = |target: &Path| {
        matches!(
            LockFile::try_acquire(&commit_lock_path(target), false).unwrap(),
            Attempt::Held
        )
    };
    let through_link = commit_lock(&link).unwrap();
    assert!(
        held(&link) && held(&real),
        "both locks held through the link"
    );
    drop(through_link);
    assert!(!held(&link) && !held(&real), "both released");
    // Held through the directory's own path: a change through the link waits for it.
    let through_dir = commit_lock_if_writable(&real).unwrap().unwrap();
    assert!(held(&real) && !held(&link));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiting = {
        let (done, link) = (done.clone(), link.clone());
        std::thread::spawn(move || {
            let lock = commit_lock_if_writable(&link).unwrap();
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            lock.is_some()
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !done.load(std::sync::atomic::Ordering::SeqCst),
        "waits for the lock"
    );
    drop(through_dir);
    assert!(waiting.join().unwrap());
    assert_eq!(
        leftovers(dir.path()),
        [".link.commit.lock", ".real.commit.lock"]
    );
}
