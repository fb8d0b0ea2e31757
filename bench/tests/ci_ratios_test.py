#!/usr/bin/python3
# bench/ci_ratios.py against the checked-in bench/baseline-micro.json: a run at the baseline's
# ratios passes; one benchmark just past its tolerance fails (exit 1) and just inside passes; a
# benchmark on one side only or another min_time is not comparable (2); baselines keep tolerances.
import argparse
import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(BENCH, "ci_ratios.py")
BASELINE = os.path.join(BENCH, "baseline-micro.json")
CAL_NS = 1000.0
_spec = importlib.util.spec_from_file_location("ci_ratios", SCRIPT)
ci_ratios = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ci_ratios)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          check=False)


def write_run(run_dir: str, ratios: dict[str, float]) -> None:
    """Google Benchmark JSON reports, one per binary, 3 repetitions each, BM_Calibration at 1 us."""
    per_binary: dict[str, list] = {}
    for key, ratio in ratios.items():
        binary, name = key.split("/", 1)
        per_binary.setdefault(binary, []).extend(
            {"name": name, "run_name": name, "run_type": "iteration", "cpu_time": ratio * CAL_NS,
             "real_time": ratio * CAL_NS, "time_unit": "ns", "iterations": 10}
            for _ in range(3))
    for binary, results in per_binary.items():
        results += [{"name": "BM_Calibration", "run_name": "BM_Calibration",
                     "run_type": "iteration", "cpu_time": CAL_NS / 1000, "real_time": 1.0,
                     "time_unit": "us", "iterations": 10}] * 3
        with open(os.path.join(run_dir, binary + ".json"), "w", encoding="utf-8") as f:
            json.dump({"context": {"num_cpus": 2}, "benchmarks": results}, f)


class MicroCompare(unittest.TestCase):
    def setUp(self) -> None:
        with open(BASELINE, encoding="utf-8") as f:
            self.base = json.load(f)
        self.min_time = str(self.base["options"]["min_time"])
        self.ratios = {k: v["ratio"] for k, v in self.base["ratios"].items()}
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def compare(self, ratios: dict[str, float], min_time: str | None = None):
        """micro-compare in process (one figure at a time, 27 of them, twice): exit status, output."""
        run_dir = tempfile.mkdtemp(dir=self.tmp.name)
        write_run(run_dir, ratios)
        args = argparse.Namespace(baseline=BASELINE, run_dir=run_dir,
                                  min_time=float(min_time or self.min_time))
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = ci_ratios.micro_compare(args)
            except ci_ratios.InputError as e:
                print(e)
                status = 2
        return subprocess.CompletedProcess([], status, out.getvalue(), "")

    def test_baseline_has_every_binary_and_tolerances(self) -> None:
        binaries = {k.split("/", 1)[0] for k in self.ratios}
        self.assertEqual(binaries, {"codec_bench", "dispatcher_bench", "large_export_bench",
                                    "sse_bench"})
        for key, entry in self.base["ratios"].items():
            self.assertGreater(entry["tolerance"], 0, key)

    def test_run_at_the_baseline_passes(self) -> None:
        r = self.compare(self.ratios)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 regressed", r.stdout)

    def test_each_benchmark_fails_just_past_its_tolerance(self) -> None:
        for key, entry in self.base["ratios"].items():
            bound = entry["ratio"] * (1 + entry["tolerance"])
            r = self.compare({**self.ratios, key: bound * 1.02})
            self.assertEqual(r.returncode, 1, key + "\n" + r.stdout + r.stderr)
            self.assertIn(f"REGRESSION {key}:", r.stdout)
            r = self.compare({**self.ratios, key: bound * 0.98})
            self.assertEqual(r.returncode, 0, key + "\n" + r.stdout + r.stderr)

    def test_unlike_runs_are_not_comparable(self) -> None:
        extra = {**self.ratios, "sse_bench/BM_New": 1.0}
        self.assertEqual(self.compare(extra).returncode, 2)
        fewer = dict(list(self.ratios.items())[1:])
        self.assertEqual(self.compare(fewer).returncode, 2)
        self.assertEqual(self.compare(self.ratios, min_time="0.5").returncode, 2)

    def test_command_line_exit_status(self) -> None:
        run_dir = tempfile.mkdtemp(dir=self.tmp.name)
        key = sorted(self.ratios)[0]
        slow = self.ratios[key] * (1 + self.base["ratios"][key]["tolerance"]) * 1.02
        write_run(run_dir, {**self.ratios, key: slow})
        r = run("micro-compare", BASELINE, run_dir, "--min-time", self.min_time)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"REGRESSION {key}:", r.stdout)

    def test_new_baseline_keeps_the_tolerances(self) -> None:
        run_dir = tempfile.mkdtemp(dir=self.tmp.name)
        write_run(run_dir, {k: v * 0.5 for k, v in self.ratios.items()})
        out = os.path.join(self.tmp.name, "new.json")
        r = run("micro-baseline", run_dir, out, "--min-time", self.min_time,
                "--tolerances-from", BASELINE)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, encoding="utf-8") as f:
            new = json.load(f)
        for key, entry in self.base["ratios"].items():
            self.assertEqual(new["ratios"][key]["tolerance"], entry["tolerance"], key)
            self.assertAlmostEqual(new["ratios"][key]["ratio"], entry["ratio"] * 0.5, delta=1e-3)


if __name__ == "__main__":
    unittest.main()
