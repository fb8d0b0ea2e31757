#!/usr/bin/python3
"""ctest driver of check.mjs: installs the pinned npm `eventsource` client into a work directory
(npm ci, first run only), then runs the check against the reference sidecar.

Exit status: the check's (0 pass, 1 fail), 2 on usage errors, 77 (ctest "skipped") when npm ci
cannot install the package, for example without network access.
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ("package.json", "package-lock.json", "check.mjs")


def install(npm, workdir):
    """npm ci when node_modules is missing or the lock file changed since the last install."""
    stamp = os.path.join(workdir, "node_modules", ".installed-lock.json")
    lock = os.path.join(workdir, "package-lock.json")
    if os.path.exists(stamp) and filecmp.cmp(stamp, lock, shallow=False):
        return True
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=workdir, capture_output=True,
                          text=True, timeout=180)
    if proc.returncode != 0:
        print(f"npm ci failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return False
    shutil.copyfile(lock, stamp)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--npm", required=True)
    parser.add_argument("--sidecar", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--timeout-ms", type=int, default=25000)
    args = parser.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    for name in FILES:
        shutil.copyfile(os.path.join(HERE, name), os.path.join(args.workdir, name))
    try:
        if not install(args.npm, args.workdir):
            return 77
    except subprocess.TimeoutExpired:
        print("npm ci did not finish within 180 s")
        return 77
    # Node 20 has WebSocket only behind a flag; node 22 and later have it by default.
    probe = subprocess.run([args.node, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"])
    flags = [] if probe.returncode == 0 else ["--experimental-websocket"]
    cmd = [args.node, *flags, "check.mjs", "--sidecar", args.sidecar, "--timeout-ms",
           str(args.timeout_ms)]
    try:
        proc = subprocess.run(cmd, cwd=args.workdir, timeout=args.timeout_ms / 1000 + 15)
    except subprocess.TimeoutExpired:
        print("check.mjs did not end by itself")
        return 1
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
