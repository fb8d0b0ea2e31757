#!/usr/bin/env python3
"""Checks `flake-conform --reproducers DIR` and `flake-conform replay FILE.flake-replay` end to end
against the reference sidecar with a planted defect (--defect token-prefix-match: a token that
merely starts with the secret authenticates, so case 4.6/2 fails):

- the run fails 4.6/2 (text and msgpack cells) and writes one reproducer per failed cell;
- no reproducer holds the token, neither literally nor masked: the token appears as ${TOKEN};
- replaying the text cell's file against a fresh reference with the same defect shows the symptom
  (the wrong token is accepted: no -32001 answer), against a clean reference the difference
  (-32001), and the replay output keeps the token out as well;
- malformed and missing files and an unreachable target are exit status 2 with a message.

About 10 s. Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile

TOKEN = "reproducer-check-token-3b5f0c9e1d7a"
DEFECT = "token-prefix-match"


class Check:
    def __init__(self):
        self.failures = 0

    def expect(self, name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
        if not ok:
            self.failures += 1


def spawn(sidecar, token_file, defect):
    cmd = f"'{sidecar}' --port {{port}} --conformance --token-file '{token_file}'"
    return cmd + (f" --defect {defect}" if defect else "")


def run(cmd, timeout=60):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    parser.add_argument("--sidecar", required=True, help="path of flake-sidecar")
    args = parser.parse_args()
    c = Check()
    with tempfile.TemporaryDirectory(prefix="flake-repro-") as tmp:
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w", encoding="utf-8") as f:
            f.write(TOKEN + "\n")
        out_dir = os.path.join(tmp, "repro", "nested")
        proc = run([args.conform, "--spawn", spawn(args.sidecar, token_file, DEFECT),
                    "--token-file", token_file, "-s", "4.6/2", "--reproducers", out_dir])
        c.expect("run with the defect fails (exit 1)", proc.returncode == 1,
                 f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        files = sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []
        c.expect("one reproducer per failed cell", files == ["4.6_2.flake-replay",
                                                             "4.6_2_msgpack.flake-replay"],
                 f"files: {files}")
        c.expect("the run names the reproducers", "reproducers: two files in" in proc.stdout
                 or "reproducers: 2 files in" in proc.stdout, proc.stdout[-400:])
        text_file = os.path.join(out_dir, "4.6_2.flake-replay")
        for name in files:
            with open(os.path.join(out_dir, name), "rb") as f:
                data = f.read()
            c.expect(f"{name}: no token", TOKEN.encode() not in data, "the token appears")
            c.expect(f"{name}: token placeholder", b"${TOKEN}" in data, "no ${TOKEN}")
            c.expect(f"{name}: header names the case and the replay command",
                     b"# case 4.6/2" in data and b"# replay: flake-conform replay " in data,
                     data[:600].decode(errors="replace"))
            c.expect(f"{name}: masked frames stored with key 0", b"frames 1 +" in data,
                     "no frames line")
        if not os.path.exists(text_file):
            return 1

        def replay(defect, *extra):
            return run([args.conform, "replay", text_file, "--spawn",
                        spawn(args.sidecar, token_file, defect), "--token-file", token_file,
                        "--timeout", "15000", *extra], timeout=40)

        bad = replay(DEFECT)
        c.expect("replay against the defect plays to the end (exit 0)", bad.returncode == 0,
                 f"exit {bad.returncode}\n{bad.stdout}\n{bad.stderr}")
        c.expect("replay against the defect shows the symptom (no -32001)",
                 "<- text" in bad.stdout and "-32001" not in bad.stdout and '"result"' in bad.stdout,
                 bad.stdout)
        good = replay(None)
        c.expect("replay against a clean reference plays to the end", good.returncode == 0,
                 f"exit {good.returncode}\n{good.stderr}")
        c.expect("replay against a clean reference shows -32001", "-32001" in good.stdout,
                 good.stdout)
        c.expect("replay output keeps the token out",
                 TOKEN not in bad.stdout + bad.stderr + good.stdout + good.stderr, "token shown")
        c.expect("replay output shows the upgrade answer", "<- HTTP HTTP/1.1 101" in good.stdout,
                 good.stdout)

        # Bad input: a clear message and exit status 2, never a crash or a hang.
        broken = os.path.join(tmp, "broken.flake-replay")
        with open(broken, "w", encoding="utf-8") as f:
            f.write("# flake-replay/1\nconnect 1 +0\nsend 1 +0 \"unterminated\n")
        for name, cmd, needle in [
            ("malformed script", [broken, "--url", "ws://127.0.0.1:1/rpc", "--token", "t"],
             "line 3: unterminated"),
            ("missing file", [os.path.join(tmp, "none.flake-replay"), "--url",
                              "ws://127.0.0.1:1/rpc", "--token", "t"], "cannot read"),
            ("unreachable target", [text_file, "--url", "ws://127.0.0.1:1/rpc", "--token", "t"],
             "cannot connect"),
            ("no target", [text_file], "exactly one target"),
            ("bad --timeout", [text_file, "--reference", "--timeout", "soon"], "--timeout"),
        ]:
            p = run([args.conform, "replay", *cmd], timeout=20)
            c.expect(f"{name}: exit 2 with a message", p.returncode == 2 and needle in p.stderr,
                     f"exit {p.returncode}: {p.stderr}")
        p = run([args.conform, "replay", text_file, "--help"])
        c.expect("replay --help", p.returncode == 0 and "flake-replay" in p.stdout, p.stderr)
    print("reproducer check: " + ("all ok" if c.failures == 0 else f"{c.failures} failed"))
    return 0 if c.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
