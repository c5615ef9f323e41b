"""A rebuild evaluates with a forked second evaluator (``FlagEngine.evaluate(processes=2)``):
the same flags, pending deadlines and indexes as one process, and the same if the child fails."""

from __future__ import annotations

import errno
import logging
import os
import time
from collections import Counter
from typing import Any

import pytest

from projections.redflags import compute_flags, national
from projections.redflags import engine as engine_module
from projections.redflags.engine import FlagEngine

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_cross_case import waiver_case
from .test_redflags_statistics import AT, planted_city
from .test_redflags_world import SUMMARY, change, when

#: before the cash is due (8 Oct)
EVALUATED = when("2024-10-02")


def history() -> list[Any]:
    """The planted statistical city, then a late remittance, cash not handed in (a pending
    deadline) and a waiver dismissed by someone who later acts in its case (RF26, the
    disposition index)."""
    _, _, events, _ = planted_city()
    world = f.History()
    world.events = list(events)                          # carry on the same log
    world._versions = dict(Counter(e.stream for e in events))
    world.extend(change(f.summary_case(SUMMARY), "OnsiteCashRemitted",
                        occurred_at=at("2024-10-15")))
    world.extend(s for s in f.summary_case("SH-HP-2024-S-000999") if s.type not in (
        "OnsiteCashRemitted", "AgencyDeposited", "SummaryDecisionFiled", "TreasuryReconciled",
        "CaseClosed"))                                   # cash never handed in: due 8 Oct
    world.extend(waiver_case("W-1", "2025-03-03"))
    rf18 = next(x for x in compute_flags(world.events, national(), at=AT, processes=1)
                if x.rule_id == "RF18.a" and x.case_id == "W-1")
    world.extend([step(f"flag:{rf18.flag_id}", "FlagDismissed", at("2025-04-01"),
                       rule_id="RF18", inspector_id=f.LEGAL),
                  step("case:W-1", "CaseArchived", at("2025-04-02"), archived_by=f.LEGAL)])
    return world.events


def evaluated(events: list[Any], processes: int) -> tuple[FlagEngine, list[dict[str, Any]]]:
    engine = FlagEngine(national())
    engine.apply_all(events)
    flags = engine.evaluate_all(EVALUATED, processes=processes)
    return engine, [x.to_value() for x in flags]


def indexes(engine: FlagEngine) -> tuple[Any, ...]:
    return (engine._flag_scope, engine._dues, engine._disposed_about, sorted(engine._heap),
            engine.next_due(when("2024-10-01")))


def test_a_forked_evaluation_equals_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    events = history()
    one, expected = evaluated(events, 1)
    forks: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(engine_module.os, "fork", fork)
    two, got = evaluated(events, 2)
    assert forks == [1] and len(two.subjects()) >= engine_module.FORK_MIN_SUBJECTS
    assert got == expected and len(expected) > 50
    assert indexes(two) == indexes(one) and one._dues and one._disposed_about
    # below the threshold (a live batch) nothing is forked
    forks.clear()
    two.evaluate(sorted(two.subjects())[:10], EVALUATED, processes=2)
    assert forks == []


def test_a_failed_child_is_evaluated_here(monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    events = history()
    one, expected = evaluated(events, 1)

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("cannot send")

    monkeypatch.setattr(engine_module.pickle, "dumps", broken)   # only the child pickles
    with caplog.at_level(logging.WARNING, logger=engine_module.__name__):
        two, got = evaluated(events, 2)
    assert got == expected and indexes(two) == indexes(one)
    assert "the forked evaluator failed" in caplog.text


def test_no_process_to_fork_is_evaluated_here(monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A host with strict overcommit (vm.overcommit_memory = 2, as PostgreSQL hosts often are)
    refuses to fork a large rebuild (ENOMEM), as does a full process table (EAGAIN): everything
    is evaluated here, with no pipe left open."""
    events = history()
    one, expected = evaluated(events, 1)

    def refused() -> int:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(engine_module.os, "fork", refused)
    before = len(os.listdir("/proc/self/fd"))
    with caplog.at_level(logging.WARNING, logger=engine_module.__name__):
        two, got = evaluated(events, 2)
    assert got == expected and indexes(two) == indexes(one)
    assert "Cannot allocate memory" in caplog.text
    assert len(os.listdir("/proc/self/fd")) == before


def test_one_cpu_forks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """On one CPU (a container limited to one, `taskset`) a second evaluator only doubles the
    memory a large rebuild touches; the rebuild always asked for two."""
    events = history()
    _, expected = evaluated(events, 1)

    def fork() -> int:
        raise AssertionError("forked on one CPU")

    monkeypatch.setattr(engine_module.os, "fork", fork)
    monkeypatch.setattr(engine_module.os, "sched_getaffinity", lambda pid: {0})
    _, got = evaluated(events, 2)
    assert got == expected


def test_an_interrupted_evaluation_takes_its_forked_child_with_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the parent evaluated its half: it waited for the child to finish its own
    half before the interrupt took effect, and an interrupt while reading the child's answer
    left the child unreaped."""
    events = history()
    engine = FlagEngine(national())
    engine.apply_all(events)
    parent, children, slept = os.getpid(), [], []
    real_fork, compute = os.fork, FlagEngine._compute

    def fork() -> int:
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    def interrupted(self: FlagEngine, s: Any, at: int) -> Any:
        if os.getpid() == parent:
            raise KeyboardInterrupt
        if not slept:                            # the child is still at work
            slept.append(time.sleep(90))
        return compute(self, s, at)

    monkeypatch.setattr(engine_module.os, "fork", fork)
    monkeypatch.setattr(FlagEngine, "_compute", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        engine.evaluate_all(EVALUATED, processes=2)
    assert time.monotonic() - started < 60, "the interrupt waited for the child's half"
    (child,) = children
    with pytest.raises(ChildProcessError):       # reaped: not left running, nor a zombie
        os.waitpid(child, os.WNOHANG)
