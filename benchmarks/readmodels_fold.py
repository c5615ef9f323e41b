"""CPU of the read models' fold alone (issue #5): ``Fold.apply`` over the synthetic city, in
process, without PostgreSQL — what ``ReadModels.rebuild`` spends between reading the log and
writing the states.

    .venv/bin/python benchmarks/readmodels_fold.py --events 200000 --repeat 3
    .venv/bin/python benchmarks/readmodels_fold.py --events 50000 --profile 30

The city (``city_bench.city_params``, seed 7) is rendered unsigned into ``Recorded`` events as
the log would hand them over (bodies through orjson, recorded after every event) and cached
under ``--cache``; each round folds it from nothing, as a rebuild does, and prints the CPU
seconds (``time.process_time``) of the fold and a digest of every state it leaves, so two
versions of the code can be compared on the same history.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import pickle
import pstats
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.envelope import Recorded  # noqa: E402
from projections.gcpause import gc_paused  # noqa: E402
from projections.readmodels import Fold  # noqa: E402
from projections.redflags.params import ParamsTimeline, is_configuration, national  # noqa: E402

#: the receipts' time: after every event of the city, as when it is appended today
RECORDED_AT = "2026-11-27T00:00:00.000000Z"


def history(n: int, seed: int) -> list[Recorded]:
    """The first ``n`` events of the city, as the log hands them to projections."""
    from itertools import islice

    from benchmarks.city_bench import city_params
    from ledger.crypto import SigningKey
    from ledger.synth.generator import SyntheticCity

    city = SyntheticCity(city_params(n, seed), root_key=SigningKey.generate(),
                         root_key_id="root-1")
    versions: dict[str, int] = {}
    out = []
    for i, step in enumerate(islice(city.steps(), n)):
        version = versions[step.stream] = versions.get(step.stream, 0) + 1
        out.append(Recorded(step.event_id, step.stream, step.type, step.occurred_at,
                            f"key:{step.key}", orjson.loads(orjson.dumps(step.body)), i + 1,
                            version, RECORDED_AT))
    return out


def load(n: int, seed: int, cache: Path) -> list[Recorded]:
    path = cache / f"readmodels-fold-{n}-{seed}.pickle"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    recs = history(n, seed)
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(recs, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return recs


def fold(recs: list[Recorded]) -> Fold:
    timeline = ParamsTimeline(national())
    for rec in recs:
        if is_configuration(rec):
            timeline.publish_recorded(rec)
    out = Fold(lambda table, ids: {}, timeline)
    with gc_paused():       # as ReadModels.rebuild folds (batches_upto)
        for rec in recs:
            out.apply(rec)
    return out


def digest(f: Fold) -> str:
    h = hashlib.sha256()
    for table in sorted(f.changed):
        states = getattr(f, table)
        for key in sorted(f.changed[table]):
            h.update(orjson.dumps([table, key, f.last_index[(table, key)], states[key]],
                                  option=orjson.OPT_SORT_KEYS))
    return h.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/readmodels-fold"))
    parser.add_argument("--profile", type=int, default=0, metavar="LINES",
                        help="profile one fold (cProfile) and print its LINES costliest")
    args = parser.parse_args()
    recs = load(args.events, args.seed, args.cache)
    gc.collect()
    gc.freeze()             # the history itself is not the fold's garbage to scan
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        fold(recs)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
        return
    for _ in range(args.repeat):
        cpu = time.process_time()
        f = fold(recs)
        cpu = time.process_time() - cpu
        print(f"read models' fold, {len(recs):,} events: CPU {cpu:.2f} s "
              f"({len(recs) / cpu:,.0f} ev/s), states {digest(f)}", flush=True)
        del f
        gc.collect()


if __name__ == "__main__":
    main()
