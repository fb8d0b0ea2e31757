# bench.smoke: runs each benchmark binary once, briefly, and checks that its JSON report is
# well-formed and that every benchmark it lists reported a result. Speed is never checked.
import json
import os
import subprocess
import sys


def check(binary: str, out_dir: str) -> list[str]:
    name = os.path.basename(binary)
    listed = subprocess.run([binary, "--benchmark_list_tests=true"], check=True,
                            capture_output=True, text=True).stdout.split()
    out = os.path.join(out_dir, name + ".json")
    subprocess.run([binary, "--benchmark_min_time=0.01", "--benchmark_format=json",
                    "--benchmark_out_format=json", "--benchmark_out=" + out],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as f:
        report = json.load(f)
    problems = []
    results = report.get("benchmarks")
    if not isinstance(results, list) or not results:
        return [f"{name}: no benchmarks in the report"]
    seen = set()
    for r in results:
        if r.get("error_occurred"):
            problems.append(f"{name}: {r.get('name')}: {r.get('error_message')}")
        if not isinstance(r.get("real_time"), (int, float)) or r.get("iterations", 0) <= 0:
            problems.append(f"{name}: {r.get('name')}: no timing")
        seen.add(r.get("run_name", r.get("name")))
    missing = [b for b in listed if b not in seen]
    if missing:
        problems.append(f"{name}: did not report: {', '.join(missing)}")
    print(f"{name}: {len(results)} results, {len(listed)} benchmarks listed")
    return problems


def main() -> int:
    out_dir, binaries = sys.argv[1], sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    problems = [p for b in binaries for p in check(b, out_dir)]
    for p in problems:
        print("FAIL", p)
    return 1 if problems or not binaries else 0


if __name__ == "__main__":
    sys.exit(main())
