"""How many report readers run at once: bounded by the memory a cgroup or the machine leaves."""

from __future__ import annotations

from pathlib import Path

from memray_harness.reports import memory_budget

GIB = 1 << 30


def _tree(root: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(root)


def test_a_cgroup_v1_limit_leaves_less_than_the_machine(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "proc/meminfo": "MemTotal: 25165824 kB\nMemAvailable: 20971520 kB\n",
            "sys/fs/cgroup/memory/memory.limit_in_bytes": str(512 << 20),
            "sys/fs/cgroup/memory/memory.usage_in_bytes": str(200 << 20),
        },
    )
    assert memory_budget.available_memory(root) == 312 << 20


def test_cgroup_v2_and_unlimited_cgroups(tmp_path: Path) -> None:
    v2 = _tree(
        tmp_path / "v2",
        {"proc/meminfo": "MemAvailable: 20971520 kB\n", "sys/fs/cgroup/memory.max": str(1 << 30), "sys/fs/cgroup/memory.current": str(256 << 20)},
    )
    assert memory_budget.available_memory(v2) == (1 << 30) - (256 << 20)
    unlimited = _tree(
        tmp_path / "max", {"proc/meminfo": "MemAvailable: 2097152 kB\n", "sys/fs/cgroup/memory.max": "max", "sys/fs/cgroup/memory.current": "1000"}
    )
    assert memory_budget.available_memory(unlimited) == 2 * GIB
    v1_unlimited = _tree(
        tmp_path / "v1",
        {
            "proc/meminfo": "MemAvailable: 2097152 kB\n",
            "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
            "sys/fs/cgroup/memory/memory.usage_in_bytes": "1000",
        },
    )
    assert memory_budget.available_memory(v1_unlimited) == 2 * GIB
    assert memory_budget.available_memory(str(tmp_path / "nothing")) is None


def test_workers_fit_the_memory_left() -> None:
    twenty_million = 20_000_000  # ~1.5 GiB per reader at 80 B per allocation
    assert memory_budget.workers_within(2, twenty_million, 16 * GIB) == 2
    assert memory_budget.workers_within(2, twenty_million, 2 * GIB) == 1
    assert memory_budget.workers_within(2, twenty_million, 100 << 20) == 1  # never fewer than one
    assert memory_budget.workers_within(4, 1_000, None) == 4  # unknown: as many as CPUs
    assert memory_budget.workers_within(2, 0, 1 << 20) == 2  # no count in the header
