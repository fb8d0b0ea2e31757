#!/usr/bin/python3
"""ctest driver of check.mjs: installs the pinned npm `ws` client into a work directory (npm ci,
first run only), starts flake-sidecar on a free port, runs the check against it and stops it.

Exit status: 0 when the check passes and the sidecar then exits 0 on SIGTERM, 1 otherwise, 2 on
usage errors, 77 (ctest "skipped") when npm ci cannot install the package, for example without
network access.
"""
import argparse
import filecmp
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ("package.json", "package-lock.json", "check.mjs")
LISTENING = re.compile(r"listening on ws://[^/ ]+:([0-9]{1,5})/rpc\s*$")


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


def wait_for_port(sidecar, seconds):
    """The port of the start-up line, or None when it does not come in time. A reader thread keeps
    the bounded wait independent of how the sidecar's stdout is buffered, and keeps draining it."""
    found = threading.Event()
    port = []

    def read():
        for line in sidecar.stdout:
            match = LISTENING.search(line)
            if match and not port:
                port.append(int(match.group(1)))
                found.set()
            elif not match:
                sys.stdout.write(f"sidecar: {line}")
        found.set()  # stdout closed: the sidecar has ended

    threading.Thread(target=read, daemon=True).start()
    found.wait(seconds)
    return port[0] if port else None


def stop(sidecar):
    """SIGTERM, then the exit status (None when it had to be killed)."""
    if sidecar.poll() is not None:
        print(f"the sidecar ended during the check (status {sidecar.returncode})")
        return None
    sidecar.send_signal(signal.SIGTERM)
    try:
        return sidecar.wait(timeout=10)
    except subprocess.TimeoutExpired:
        print("the sidecar did not exit within 10 s of SIGTERM")
        sidecar.kill()
        sidecar.wait(timeout=10)
        return None


def run(args, tmp):
    token_file = os.path.join(tmp, "token")
    with open(os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(secrets.token_hex(16))
    cmd = [args.sidecar, "--port", "0", "--token-file", token_file, "--conformance",
           *args.sidecar_arg]
    sidecar = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        port = wait_for_port(sidecar, 10)
        if port is None:
            print(f"no start-up line from {' '.join(cmd)} within 10 s")
            return 1
        check = [args.node, "check.mjs", "--port", str(port), "--token-file", token_file,
                 "--timeout-ms", str(args.timeout_ms)]
        try:
            proc = subprocess.run(check, cwd=args.workdir, timeout=args.timeout_ms / 1000 + 15)
            passed = proc.returncode == 0
        except subprocess.TimeoutExpired:
            print("check.mjs did not end by itself")
            passed = False
    finally:
        status = stop(sidecar)
    if status != 0:
        print(f"the sidecar exited with status {status} after SIGTERM, want 0")
        return 1
    return 0 if passed else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--npm", required=True)
    parser.add_argument("--sidecar", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--timeout-ms", type=int, default=30000)
    # For seeing the check fail: e.g. --sidecar-arg=--defect --sidecar-arg=no-deflate.
    parser.add_argument("--sidecar-arg", action="append", default=[],
                        help="extra flake-sidecar argument (repeatable)")
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
    with tempfile.TemporaryDirectory(prefix="flake-ws-") as tmp:
        return run(args, tmp)


if __name__ == "__main__":
    sys.exit(main())
