"""Loaded by every Python process the memory test starts (this folder leads PYTHONPATH), and
by nothing else: the package never ships it. On SIGUSR2 the process collects its garbage and
writes ``<pid>.collected``; on SIGUSR1 it collects again, then walks every object the
collector knows and everything they refer to, and writes which of the test's markers a
reachable object still holds, with what holds it, to ``$WNWA_TEST_MEMORY_PROBE/<pid>.json``.
The markers come from ``markers.json`` there; the walk skips the probe's own copies of them.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import types
from pathlib import Path
from typing import Any

_FOLDER = os.environ.get("WNWA_TEST_MEMORY_PROBE")


def _describe(value: Any) -> str:
    if isinstance(value, types.FrameType):
        return f"frame {value.f_code.co_qualname} ({value.f_code.co_filename}:{value.f_lineno})"
    if isinstance(value, types.FunctionType):
        return f"function {value.__qualname__}"
    if isinstance(value, types.CoroutineType):
        return f"coroutine {value.__qualname__}"
    if isinstance(value, dict) and isinstance(value.get("__name__"), str):
        return f"module {value['__name__']}'s namespace"
    if isinstance(value, dict):
        keys = [str(key)[:30] for key in list(value)[:6]]
        return f"dict keys={keys}"
    if isinstance(value, list | tuple):
        kinds = sorted({type(item).__name__ for item in value[:20]})
        return f"{type(value).__name__} len={len(value)} of {kinds}"
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _ours(value: Any) -> bool:
    return isinstance(value, types.FrameType) and value.f_code.co_filename == __file__


def _holders(value: Any, skip: set[int], depth: int = 8) -> list[str]:
    """A chain of what holds ``value``, up to ``depth`` steps: at each step the holders,
    following one that is not a bare list or tuple when there is one."""
    chain: list[str] = []
    own = set(skip)  # and the lists this walk makes, which hold what it looks at
    current = value
    for _ in range(depth):
        holders = gc.get_referrers(current)
        own.add(id(holders))
        holders = [h for h in holders if id(h) not in own and not _ours(h)]
        own.add(id(holders))
        if not holders:
            break
        telling = [h for h in holders if not isinstance(h, list | tuple)] or holders
        own.add(id(telling))
        current = telling[0]
        others = f" (+{len(holders) - 1} more)" if len(holders) > 1 else ""
        chain.append(_describe(current) + others)
    return chain


def _probe(signum: int, frame: Any) -> None:
    assert _FOLDER is not None
    folder = Path(_FOLDER)
    markers: dict[str, str] = json.loads((folder / "markers.json").read_text(encoding="utf-8"))
    # what the service froze at start (servicekit.app.settle_heap) is invisible to
    # gc.get_objects(): a dict made then may hold a string put in it since
    gc.unfreeze()
    gc.collect()
    objects = gc.get_objects()
    skip = {id(markers), id(objects), id(frame), *map(id, markers.values()), *map(id, markers)}
    found: dict[str, list[list[str]]] = {name: [] for name in markers}
    seen: set[int] = set()
    pending: list[Any] = []
    for container in objects:
        pending.append(container)
        # a dict or tuple holding only strings is untracked by the collector, so it is
        # not in gc.get_objects(): it is searched through whatever holds it
        while pending:
            holder = pending.pop()
            candidates = (holder, *gc.get_referents(holder))
            for value in candidates:
                if id(value) in seen or id(value) in skip:
                    continue
                if isinstance(value, str):
                    text = value
                elif isinstance(value, bytes | bytearray | memoryview):
                    text = bytes(value).decode("latin-1")
                else:
                    if (
                        value is not holder
                        and isinstance(value, dict | tuple | list | set | frozenset)
                        and not gc.is_tracked(value)
                    ):
                        seen.add(id(value))
                        pending.append(value)
                    continue
                seen.add(id(value))
                for name, marker in markers.items():
                    if marker in text:
                        found[name].append(
                            [repr(text[:80]), *_holders(value, skip | {id(candidates)})]
                        )
    del objects
    (folder / f"{os.getpid()}.json").write_text(json.dumps(found), encoding="utf-8")


def _collect(signum: int, frame: Any) -> None:
    assert _FOLDER is not None
    gc.unfreeze()
    gc.collect()
    (Path(_FOLDER) / f"{os.getpid()}.collected").write_text("", encoding="utf-8")


if _FOLDER:
    signal.signal(signal.SIGUSR1, _probe)
    signal.signal(signal.SIGUSR2, _collect)
