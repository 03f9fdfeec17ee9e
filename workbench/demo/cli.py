"""``workbench demo OUT_DIR [--seed N]``: write the synthetic demo dataset. Layer: entry (CLI).

Top-level imports stay light; the generator (numpy) is imported inside ``run``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``workbench demo``'s arguments (output folder, seed, sizes) to ``parser``."""
    parser.add_argument("out_dir", type=Path, help="folder to write (created if needed); with "
                        "--prebuilt, the Parquet file to write")
    parser.add_argument("--prebuilt", action="store_true",
                        help="write the demo's canonical table as one zstd Parquet file (what ships in "
                        "resources/demo so that the first start opens at once)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed: byte-identical files)")
    parser.add_argument("--heavy-events", type=int, default=None, metavar="N",
                        help="feed events of the heavy user (default 100000)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the other users' feed volume (default 1.0)")
    parser.add_argument("--combined", action="store_true",
                        help="also write every user into combined/all_users.json")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes to generate with (default 1; the output does not depend on it)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--opera", type=int, default=None, metavar="N",
                        help="write instead a synthetic OPeRA-shaped web-shopping folder of N actions")


def run(args: argparse.Namespace) -> int:
    """Write the demo dataset; returns the exit code (0 done, 1 writing failed, 2 bad arguments or output)."""
    out = Path(args.out_dir)
    if args.prebuilt:
        from workbench.demo.prebuilt import build_prebuilt

        try:
            path = build_prebuilt(out, args.seed)
        except OSError as exc:
            print(f"workbench demo: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
            return 1
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
        return 0
    if out.exists() and not out.is_dir():
        print(f"workbench demo: {out}: exists and is not a folder", file=sys.stderr)
        return 2
    if args.heavy_events is not None and args.heavy_events < 0:
        print(f"workbench demo: --heavy-events: expected a number >= 0, got {args.heavy_events}", file=sys.stderr)
        return 2
    if not args.scale > 0:
        print(f"workbench demo: --scale: expected a number > 0, got {args.scale}", file=sys.stderr)
        return 2
    if args.opera is not None:
        return _opera(out, args)
    from workbench.demo.generator import generate

    try:
        res = generate(out, args.seed, heavy_events=args.heavy_events, scale=args.scale, combined=args.combined,
                       workers=max(1, args.workers))
    except OSError as exc:
        print(f"workbench demo: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 1
    if args.json:
        import orjson

        sys.stdout.write(orjson.dumps({
            "out_dir": str(res.out_dir), "users": res.users, "total_events": res.total_events,
            "chains": len(res.chains), "seconds": round(res.seconds, 3),
            "combined": str(res.combined) if res.combined else None}).decode() + "\n")
    else:
        print(f"wrote {len(res.users)} users, {res.total_events} events, {len(res.chains)} chains "
              f"to {res.out_dir} in {res.seconds:.1f} s (chains: meta/chains.json)")
    return 0


def _opera(out: Path, args: argparse.Namespace) -> int:
    """``--opera N``: the OPeRA-shaped folder (filtered version, 4 users, screenshots)."""
    if args.opera < 1:
        print(f"workbench demo: --opera: expected a number >= 1, got {args.opera}", file=sys.stderr)
        return 2
    from workbench.demo.opera import write_opera

    try:
        root = write_opera(out, n_actions=args.opera, n_users=4, html_chars=6000, version="filtered",
                           seed=args.seed)
    except OSError as exc:
        print(f"workbench demo: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 1
    print(f"wrote {args.opera} OPeRA-shaped actions to {root}")
    return 0
