#!/usr/bin/python3
"""ctest driver of the browser client tests: copies the client and the test files into a work
directory, installs the pinned npm packages there (npm ci, when the lockfile changed), checks the
client's JSDoc types with tsc, then runs run.mjs (headless Chromium against flake-sidecar).

Builds nothing: --sidecar is the built binary. Exit status: 0 pass, 1 fail (a Chromium that is
missing or does not start fails too), 2 on usage errors, 77 (ctest "skipped") only when node or
npm is missing. --bench runs bench.mjs instead of the tests. --client-suite FLAKE_CONFORM runs the
suite's client mode (docs/protocol.md §13) against driver.mjs, the browser client in Chromium, with
--strict and the failures a page cannot avoid listed in client_suite_known_failures.txt.
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.normpath(os.path.join(HERE, "..", "..", "browser-client"))
COPIED = ("package.json", "package-lock.json", "run.mjs", "bench.mjs", "driver.mjs", "lib", "page", "cases")


def install(npm, workdir):
    """npm ci when node_modules is missing or the lock file changed since the last install."""
    stamp = os.path.join(workdir, "node_modules", ".installed-lock.json")
    lock = os.path.join(workdir, "package-lock.json")
    if os.path.exists(stamp) and filecmp.cmp(stamp, lock, shallow=False):
        return True
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=workdir,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        print(f"npm ci failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return False
    shutil.copyfile(lock, stamp)
    return True


def copy_tree(workdir):
    """A fresh copy of the client and the test files: what the static server serves and tsc checks."""
    for name in COPIED:
        src, dst = os.path.join(HERE, name), os.path.join(workdir, name)
        if os.path.isdir(src):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
    dst = os.path.join(workdir, "browser-client")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(CLIENT, dst)


def client_suite(args):
    """flake-conform client --strict with the browser client's driver; its own exit status."""
    driver = f"'{args.node}' driver.mjs --chromium '{args.chromium}' {{url}} {{token}}"
    # Chromium's start-up is part of each case's first connection: a longer per-step timeout.
    cmd = [os.path.abspath(args.client_suite), "client", "--spawn", driver, "--strict", "--timeout", "8000",
           "--expected-failures", os.path.join(HERE, "client_suite_known_failures.txt")]
    try:
        return subprocess.run(cmd, cwd=args.workdir, timeout=400).returncode
    except subprocess.TimeoutExpired:
        print("FAIL: flake-conform client did not end within 400 s")
        return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", default=shutil.which("node"))
    parser.add_argument("--npm", default=shutil.which("npm"))
    parser.add_argument("--sidecar", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--bench", action="store_true", help="print browser benchmark figures instead")
    parser.add_argument("--client-bench", metavar="FLAKE_CLIENT_BENCH",
                        help="with --bench: the built flake-client-bench, whose C++ figures are "
                             "printed beside the browser's")
    parser.add_argument("--client-suite", metavar="FLAKE_CONFORM",
                        help="run flake-conform client against driver.mjs instead of the tests")
    args = parser.parse_args()

    if not args.node or not args.npm:
        print("node or npm not found: skipped (scripts/install-deps.sh installs nodejs and npm)")
        return 77
    if not os.access(args.sidecar, os.X_OK):
        print(f"no sidecar binary at {args.sidecar}: build the flake-sidecar target first")
        return 2
    if not os.access(args.chromium, os.X_OK):
        print(f"FAIL: Chromium not found at {args.chromium}: install Debian's chromium package "
              "(scripts/install-deps.sh)")
        return 1
    args.workdir = os.path.abspath(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    copy_tree(args.workdir)
    try:
        if not install(args.npm, args.workdir):
            return 1
    except subprocess.TimeoutExpired:
        print("npm ci did not finish within 300 s")
        return 1

    if args.client_suite:
        return client_suite(args)

    tsc = [args.node, os.path.join(args.workdir, "node_modules", "typescript", "bin", "tsc"), "-p",
           os.path.join(args.workdir, "browser-client")]
    proc = subprocess.run(tsc, cwd=args.workdir, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        print(f"FAIL: tsc found type errors in reference/browser-client:\n{proc.stdout}{proc.stderr}")
        return 1
    print("ok   tsc --noEmit (allowJs, checkJs, strict) on reference/browser-client")

    cmd = [args.node, "run.mjs", "--sidecar", os.path.abspath(args.sidecar), "--chromium", args.chromium,
           "--workdir", args.workdir]
    if args.only:
        cmd += ["--only", args.only]
    env = dict(os.environ)
    if args.bench:
        cmd.append("--bench")
        if args.client_bench:
            env["FLAKE_CLIENT_BENCH"] = os.path.abspath(args.client_bench)
    try:
        proc = subprocess.run(cmd, cwd=args.workdir, env=env, timeout=200 if not args.bench else 600)
    except subprocess.TimeoutExpired:
        print("FAIL: run.mjs did not end by itself within 200 s")
        return 1
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
