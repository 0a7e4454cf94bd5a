"""table.txt / table.json / tree.txt / top_allocators from one pass over session.bin.

`memray table` is HTML-only and `memray tree` is a TUI, so the text reports are built here from
FileReader: stable ordering, no addresses or timestamps, so two runs diff cleanly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..contract import ReportSpec
from ..paths import is_harness_allocation, is_harness_file, shorten, site_of

TOP_ALLOCATORS = 10
TREE_MIN_FRACTION = 0.01  # children below 1% of the total are folded into one line
TREE_MAX_CHILDREN = 10
TREE_MAX_DEPTH = 40
UNKNOWN_SITE = "<unknown>"
HARNESS_ROOT = "<memray-harness>"
NATIVE_ROOT = "<no Python frame>"
CPYTHON_SOURCE_DIRS = ("Python/", "Objects/", "Include/", "Modules/", "Parser/")

Frame = tuple[str, str, int]


def human_size(num: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(num) < 1024 or unit == "GiB":
            return ("%d %s" % (num, unit)) if unit == "B" else ("%.1f %s" % (num, unit))
        num /= 1024.0
    return "%.1f GiB" % num


def allocator_name(memray: Any, value: int) -> str:
    try:
        return memray.AllocatorType(value).name.lower()
    except Exception:
        return str(value)


@dataclass
class Site:
    site: str
    function: str
    size_bytes: int = 0
    count: int = 0
    allocators: set = field(default_factory=set)


@dataclass
class Node:
    label: str
    size: int = 0
    count: int = 0
    children: dict[str, Node] = field(default_factory=dict)


@dataclass
class Analysis:
    source: str
    total_bytes: int
    sites: list[Site]
    tree: Node
    # The capture's headline numbers, read from the same FileReader (opening one costs ~1 s on big captures).
    peak_memory: Optional[int] = None
    total_allocations: Optional[int] = None
    # The harness's own allocations (innermost Python frame in memray_harness): not in `sites`.
    harness_bytes: int = 0
    harness_count: int = 0

    def top_allocators(self) -> list[dict[str, Any]]:
        return [{"file": s.site, "size_kb": round(s.size_bytes / 1024.0, 1), "count": s.count, "function": s.function} for s in self.sites[:TOP_ALLOCATORS]]


def _user_frames(python: list[Frame]) -> list[Frame]:
    """Innermost-first Python stack without the harness frames that wrap the workload."""
    for i, (_, filename, _) in enumerate(python):
        if is_harness_file(filename):
            return python[:i]
    return python


def _is_interpreter_frame(filename: str) -> bool:
    """CPython's own C frames (eval loop, call machinery): noise in a tree of who allocated. With
    python3-dbg their paths are relative to the build directory (`../Python/ceval.c`)."""
    name = filename
    while name.startswith(("./", "../")):
        name = name[name.index("/") + 1 :]
    return name.startswith(CPYTHON_SOURCE_DIRS)


def _is_project_source(filename: str) -> bool:
    """A compiled extension's own source as its build recorded it: cargo (and most C builds) give a
    workspace member's files relative paths (`src/lib.rs`); dependencies and toolchains get absolute
    ones (`/usr/src/rustc-1.85.0/...`, `~/.cargo/registry/...`), CPython's are `../Objects/...`."""
    return bool(filename) and not os.path.isabs(filename) and not filename.startswith(("../", "./", "<")) and not _is_interpreter_frame(filename)


def _hybrid(record: Any) -> list[Frame]:
    try:
        return list(record.hybrid_stack_trace())
    except Exception:
        return []


def _native_site(hybrid: list[Frame], python: list[Frame]) -> Optional[tuple[str, str]]:
    """The innermost native frame in a debug-built extension's own source, below the innermost Python
    frame: where a Rust/C allocation really happened (None without one, e.g. without DWARF)."""
    python_set = set(python)
    for fn, fname, line in hybrid:
        if (fn, fname, line) in python_set:
            return None  # reached the Python caller: no project frame below it
        if fname and _is_project_source(fname):
            return site_of(fname, line), fn or "???"
    return None


def _tree_path(python: list[Frame], hybrid: list[Frame]) -> list[str]:
    """Outermost-first labels `function file:line`; extension-module native frames interleaved."""
    keep = _user_frames(python)
    frames: list[Frame] = list(keep)
    if hybrid and keep:
        outermost = keep[-1]
        if outermost in hybrid:
            # Drop everything outside the outermost user frame (harness + interpreter entry).
            hybrid = hybrid[: len(hybrid) - hybrid[::-1].index(outermost)]
            python_set = set(python)
            frames = [f for f in hybrid if f in python_set or not _is_interpreter_frame(f[1] or "")]
    labels = ["%s %s" % (fn or "???", site_of(fname, line)) if fname else (fn or "???") for fn, fname, line in frames]
    labels.reverse()
    if not keep:
        labels.insert(0, HARNESS_ROOT if python else NATIVE_ROOT)
    return labels


def analyse(memray: Any, session_path: str, leaked: bool = False) -> Analysis:
    """The table/tree of a capture read on its own (the report engine shares its records instead)."""
    reader = memray.FileReader(session_path)
    try:
        records = reader.get_leaked_allocation_records(merge_threads=True) if leaked else reader.get_high_watermark_allocation_records(merge_threads=True)
        return analyse_records(records, reader.metadata, leaked=leaked, memray=memray)
    finally:
        reader.close()


def is_harness_record(python: list[Frame]) -> bool:
    """An allocation the harness made for itself (paths.is_harness_allocation): its own code, its
    HTTP client, the in-process server's handling outside the app."""
    return is_harness_allocation(python)


def _add_to_tree(root: Node, labels: list[str], size: int, count: int) -> None:
    node = root
    node.size += size
    node.count += count
    for label in labels:
        node = node.children.setdefault(label, Node(label))
        node.size += size
        node.count += count


def _site_key(rec: Any, python: list[Frame], hybrid: list[Frame], native: bool) -> tuple[str, str]:
    """(site, function) of the line that allocated: a debug-built extension's own source line, else the
    innermost Python frame, else the innermost native frame."""
    native_site = _native_site(hybrid, python) if hybrid else None
    if native_site:
        return native_site  # a debug-built extension's own line (src/lib.rs:30)
    if python:
        fn, fname, line = python[0]  # innermost Python frame = the line that allocated
        return site_of(fname, line), fn
    native_frames = rec.native_stack_trace() if native else []
    return (site_of(native_frames[0][1], native_frames[0][2]), native_frames[0][0]) if native_frames else (UNKNOWN_SITE, "???")


def analyse_records(records: Iterable[Any], meta: Any, leaked: bool = False, memray: Any = None) -> Analysis:
    """Sites and tree of the records of one snapshot (high-water mark or leaked). The harness's own
    allocations (is_harness_record) stay in the tree but not in the sites: table.txt/table.json and
    top_allocators show the workload only."""
    if memray is None:
        import memray  # noqa: F811 - the installed module, when the caller has none at hand
    native = bool(meta.has_native_traces)
    sites: dict[tuple[str, str], Site] = {}
    root = Node("<root>")
    total = harness_bytes = harness_count = 0
    allocators: dict[int, str] = {}
    for rec in records:
        size, count = int(rec.size), int(rec.n_allocations)
        python = rec.stack_trace()
        hybrid = _hybrid(rec) if native and python else []  # resolved once: table and tree use it
        _add_to_tree(root, _tree_path(python, hybrid)[:TREE_MAX_DEPTH], size, count)
        if is_harness_record(python):
            harness_bytes += size
            harness_count += count
            continue
        total += size
        key = _site_key(rec, python, hybrid, native)
        entry = sites.get(key)
        if entry is None:
            entry = sites[key] = Site(key[0], key[1])
        entry.size_bytes += size
        entry.count += count
        allocator = int(rec.allocator)
        if allocator not in allocators:
            allocators[allocator] = allocator_name(memray, allocator)
        entry.allocators.add(allocators[allocator])
    ordered = sorted(sites.values(), key=lambda s: (-s.size_bytes, s.site, s.function))
    return Analysis(
        "leaked" if leaked else "high_watermark",
        total,
        ordered,
        root,
        peak_memory=int(meta.peak_memory),
        total_allocations=int(meta.total_allocations),
        harness_bytes=harness_bytes,
        harness_count=harness_count,
    )


def render_table(a: Analysis) -> str:
    header = "# allocation table (%s): %d sites, total %s (%d bytes); sorted by size, then site" % (
        a.source,
        len(a.sites),
        human_size(a.total_bytes),
        a.total_bytes,
    )
    if a.harness_count:
        header += "; the harness's own allocations (%d bytes in %d) left out" % (a.harness_bytes, a.harness_count)
    rows = [("SIZE", "BYTES", "COUNT", "SITE", "FUNCTION", "ALLOCATOR")]
    for s in a.sites:
        rows.append((human_size(s.size_bytes), str(s.size_bytes), str(s.count), s.site, s.function, ",".join(sorted(s.allocators))))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [header]
    for r in rows:
        lines.append(
            "  ".join([r[0].rjust(widths[0]), r[1].rjust(widths[1]), r[2].rjust(widths[2]), r[3].ljust(widths[3]), r[4].ljust(widths[4]), r[5]]).rstrip()
        )
    return "\n".join(lines) + "\n"


def table_json(a: Analysis) -> dict[str, Any]:
    return {
        "version": 1,
        "source": a.source,
        "total_bytes": a.total_bytes,
        # The harness's own allocations, left out of `sites` and `total_bytes`.
        "harness_bytes": a.harness_bytes,
        "harness_count": a.harness_count,
        "sites": [
            {"site": s.site, "function": s.function, "size_bytes": s.size_bytes, "count": s.count, "allocator": ",".join(sorted(s.allocators))} for s in a.sites
        ],
    }


def render_tree(a: Analysis) -> str:
    total = a.tree.size or 1
    out = [
        "# allocation tree (%s): total %s (%d bytes) in %d allocations; children under %d%% folded; CPython interpreter C frames hidden"
        % (a.source, human_size(a.tree.size), a.tree.size, a.tree.count, int(TREE_MIN_FRACTION * 100)),
        "%s (100.00%%) <root>" % human_size(a.tree.size),
    ]

    def walk(node: Node, prefix: str) -> None:
        children = sorted(node.children.values(), key=lambda n: (-n.size, n.label))
        shown = [c for c in children if c.size >= TREE_MIN_FRACTION * total][:TREE_MAX_CHILDREN]
        hidden = children[len(shown) :]
        items: list[tuple[Optional[Node], str]] = [
            (c, "%s (%.2f%%) %s  [%d allocs]" % (human_size(c.size), 100.0 * c.size / total, c.label, c.count)) for c in shown
        ]
        if hidden:
            size = sum(c.size for c in hidden)
            items.append((None, "%s (%.2f%%) ... %d smaller entries" % (human_size(size), 100.0 * size / total, len(hidden))))
        for i, (child, text) in enumerate(items):
            last = i == len(items) - 1
            out.append(prefix + ("└── " if last else "├── ") + text)
            if child is not None:
                walk(child, prefix + ("    " if last else "│   "))

    walk(a.tree, "")
    return "\n".join(out) + "\n"


# What this pass renders for each report of the "table-tree" generator in contract.json:
# (the report's text file, its machine-readable twin for the report's extra file, if any).
RENDERERS: dict[str, tuple[Callable[[Analysis], str], Optional[Callable[[Analysis], dict[str, Any]]]]] = {
    "table": (render_table, table_json),
    "tree": (render_tree, None),
}


def write_report(a: Analysis, out_dir: str, spec: ReportSpec) -> list[str]:
    """Write one table-tree report (file names from contract.json); returns the files written."""
    if spec.name not in RENDERERS:
        raise ValueError("the table-tree pass has no renderer for report %r" % spec.name)
    text, twin = RENDERERS[spec.name]
    with open(os.path.join(out_dir, spec.file), "w", encoding="utf-8") as f:
        f.write(text(a))
    written = [spec.file]
    for extra in spec.extra_files:
        if twin is None:
            raise ValueError("the table-tree pass has no machine-readable form of report %r for %s" % (spec.name, extra.file))
        with open(os.path.join(out_dir, extra.file), "w", encoding="utf-8") as f:
            json.dump(twin(a), f, indent=1, allow_nan=False)
            f.write("\n")
        written.append(extra.file)
    return written


__all__ = ["RENDERERS", "analyse", "analyse_records", "is_harness_record", "render_table", "render_tree", "table_json", "write_report", "human_size", "shorten"]
