//! How much memory this process may use: the machine's, or its cgroup's when that is lower.
//!
//! In a container the machine's `/proc/meminfo` describes the host, not the limit the
//! container is killed at. Both figures here take the process's memory cgroup into account:
//! cgroup v2 (`memory.max` of its cgroup and of every ancestor) or v1 (the
//! `hierarchical_memory_limit` of its memory cgroup), where page cache counts against the
//! limit as anonymous memory does.

use std::path::Path;

/// The memory this process's page cache can use, in bytes: the machine's `MemTotal`, or its
/// cgroup's limit when lower. `None` where neither can be read (not Linux).
pub fn page_cache_limit() -> Option<u64> {
    let total = read("/proc/meminfo").and_then(|s| meminfo_field(&s, "MemTotal:"));
    let cgroup = read("/proc/self/cgroup")
        .and_then(|s| cgroup_memory(&s, read))
        .map(|c| c.limit);
    lower(total, cgroup)
}

/// The memory available to this process now, in bytes: the machine's `MemAvailable` (free
/// memory plus page cache that can be reclaimed), or, when lower, its cgroup's limit less
/// the anonymous memory the cgroup already holds (its page cache can be reclaimed too).
/// `None` where neither can be read.
pub fn available() -> Option<u64> {
    let machine = read("/proc/meminfo").and_then(|s| meminfo_field(&s, "MemAvailable:"));
    let cgroup = read("/proc/self/cgroup")
        .and_then(|s| cgroup_memory(&s, read))
        .map(|c| c.limit.saturating_sub(c.held));
    lower(machine, cgroup)
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn lower(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A `/proc/meminfo` field (`"MemTotal:"`), in bytes.
fn meminfo_field(meminfo: &str, field: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A value of a `memory.stat` text.
fn stat_field(stat: &str, key: &str) -> Option<u64> {
    stat.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// A limit as a cgroup file states it; "max" (v2) and v1's "no limit" (near `i64::MAX`)
/// are none.
fn limit_value(s: &str) -> Option<u64> {
    s.trim().parse::<u64>().ok().filter(|&v| v < (1u64 << 62))
}

/// The memory limit of this process's cgroup and the anonymous memory it holds.
#[derive(Debug, PartialEq, Eq)]
struct CgroupMemory {
    limit: u64,
    held: u64,
}

/// The lowest memory limit over the cgroups named in a `/proc/self/cgroup` text (files read
/// with `read`), with the anonymous memory held under it (`None`: no limit).
fn cgroup_memory(proc_cgroup: &str, read: impl Fn(&str) -> Option<String>) -> Option<CgroupMemory> {
    let mut best: Option<CgroupMemory> = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let found = if controllers.is_empty() {
            v2(path, &read)
        } else if controllers.split(',').any(|c| c == "memory") {
            v1(path, &read)
        } else {
            continue;
        };
        if let Some(c) = found {
            if best.as_ref().is_none_or(|b| c.limit < b.limit) {
                best = Some(c);
            }
        }
    }
    best
}

/// cgroup v2: the lowest `memory.max` from the process's cgroup up to the root, with the
/// anonymous memory of the cgroup that sets it.
fn v2(path: &str, read: &impl Fn(&str) -> Option<String>) -> Option<CgroupMemory> {
    let mut best: Option<CgroupMemory> = None;
    let mut dir = Some(Path::new(path));
    while let Some(d) = dir {
        let base = format!("/sys/fs/cgroup{}", d.display())
            .trim_end_matches('/')
            .to_string();
        if let Some(limit) = read(&format!("{base}/memory.max")).and_then(|s| limit_value(&s)) {
            if best.as_ref().is_none_or(|b| limit < b.limit) {
                let held = read(&format!("{base}/memory.stat"))
                    .and_then(|s| stat_field(&s, "anon"))
                    .or_else(|| read(&format!("{base}/memory.current"))?.trim().parse().ok())
                    .unwrap_or(0);
                best = Some(CgroupMemory { limit, held });
            }
        }
        dir = d.parent();
    }
    best
}

/// cgroup v1: the memory cgroup's limit (its `hierarchical_memory_limit`, which counts its
/// ancestors', when stated) and its anonymous memory (`total_rss`).
fn v1(path: &str, read: &impl Fn(&str) -> Option<String>) -> Option<CgroupMemory> {
    let base = format!("/sys/fs/cgroup/memory{path}")
        .trim_end_matches('/')
        .to_string();
    let stat = read(&format!("{base}/memory.stat")).unwrap_or_default();
    let own = read(&format!("{base}/memory.limit_in_bytes")).and_then(|s| limit_value(&s));
    let inherited = stat_field(&stat, "hierarchical_memory_limit").filter(|&v| v < (1u64 << 62));
    let limit = lower(own, inherited)?;
    let held = stat_field(&stat, "total_rss")
        .or_else(|| {
            read(&format!("{base}/memory.usage_in_bytes"))?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0);
    Some(CgroupMemory { limit, held })
}

/// Memory maps a verbatim shard holds open while its index is open (its token stream, suffix
/// array, document offsets, records, unigram counts and suffix samples).
pub const MAPS_PER_SHARD: u64 = 6;

/// The most memory maps one process may hold (Linux's `vm.max_map_count`; `None` where it
/// cannot be read).
pub fn max_map_count() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The most verbatim shards one index may have and still be opened under a limit of
/// `max_maps` maps ([`max_map_count`]): three quarters of it (the rest for the process's
/// libraries, thread stacks and full-text segments), [`MAPS_PER_SHARD`] a shard.
pub fn openable_shards_of(max_maps: Option<u64>) -> Option<u64> {
    max_maps.map(|m| m / 4 * 3 / MAPS_PER_SHARD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files(list: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = list
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |p: &str| map.get(p).cloned()
    }

    #[test]
    fn reads_meminfo() {
        let m = "MemTotal:       24576000 kB\nMemAvailable:  100 kB\n";
        assert_eq!(meminfo_field(m, "MemTotal:"), Some(24_576_000 * 1024));
        assert_eq!(meminfo_field(m, "MemAvailable:"), Some(100 * 1024));
        assert_eq!(meminfo_field("nothing", "MemTotal:"), None);
    }

    #[test]
    fn cgroup_v1_limit_and_anonymous_memory() {
        let f = files(&[
            ("/sys/fs/cgroup/memory/jobs/a/memory.limit_in_bytes", "2147483648\n"),
            (
                "/sys/fs/cgroup/memory/jobs/a/memory.stat",
                "cache 500\nrss 7\nhierarchical_memory_limit 9223372036854771712\ntotal_rss 1048576\n",
            ),
            ("/sys/fs/cgroup/memory/free/memory.limit_in_bytes", "9223372036854771712\n"),
            // A limit set on an ancestor only shows in the hierarchical figure.
            ("/sys/fs/cgroup/memory/pod/c/memory.limit_in_bytes", "9223372036854771712\n"),
            (
                "/sys/fs/cgroup/memory/pod/c/memory.stat",
                "hierarchical_memory_limit 4294967296\ntotal_rss 0\n",
            ),
        ]);
        let v1 = "9:name=systemd:/\n4:memory:/jobs/a\n1:cpu,cpuacct:/\n";
        assert_eq!(
            cgroup_memory(v1, &f),
            Some(CgroupMemory {
                limit: 2 << 30,
                held: 1 << 20
            })
        );
        assert_eq!(cgroup_memory("4:memory:/free\n", &f), None);
        assert_eq!(
            cgroup_memory("4:memory:/pod/c\n", &f).map(|c| c.limit),
            Some(4 << 30)
        );
    }

    #[test]
    fn cgroup_v2_lowest_limit_up_to_the_root() {
        let f = files(&[
            ("/sys/fs/cgroup/svc/b/memory.max", "max\n"),
            ("/sys/fs/cgroup/svc/memory.max", "1073741824\n"),
            ("/sys/fs/cgroup/svc/memory.stat", "anon 4096\nfile 999999\n"),
            ("/sys/fs/cgroup/solo/memory.max", "3221225472\n"),
            ("/sys/fs/cgroup/solo/memory.current", "8192\n"),
        ]);
        assert_eq!(
            cgroup_memory("0::/svc/b\n", &f),
            Some(CgroupMemory {
                limit: 1 << 30,
                held: 4096
            })
        );
        assert_eq!(
            cgroup_memory("0::/solo\n", &f),
            Some(CgroupMemory {
                limit: 3 << 30,
                held: 8192
            })
        );
        assert_eq!(cgroup_memory("0::/\n", &f), None);
        assert_eq!(cgroup_memory("garbage", &f), None);
        // Both hierarchies listed: the lower limit.
        let both = files(&[
            (
                "/sys/fs/cgroup/memory/a/memory.limit_in_bytes",
                "2147483648\n",
            ),
            ("/sys/fs/cgroup/x/memory.max", "1073741824\n"),
        ]);
        assert_eq!(
            cgroup_memory("4:memory:/a\n0::/x\n", &both).map(|c| c.limit),
            Some(1 << 30)
        );
    }
}
