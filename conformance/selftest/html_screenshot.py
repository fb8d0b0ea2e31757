#!/usr/bin/python3
"""The --html report as a person sees it: a run against the reference with a defect switch that fails a
PERF case (slow-ping: every 20th system.ping 15 ms late, so 10.3/1 misses its p99 bar twice, rerun
included) beside one that passes (10.6/1), rendered by headless Chromium into a PNG kept as a CI
artifact. The check decodes the PNG (zlib and struct, no imaging library) and requires the window's
size, a page that is not blank, the red of the failing case and its missed bar, and the blue of the
latency plots' lines: proof that the failure and the plots are on the first screen.

Exit 0 when the screenshot shows them, 1 when it does not, 77 (skipped) when Chromium is absent.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import zlib

WIDTH, HEIGHT = 1280, 1100
SKIP = 77


def decode_png(data):
    """(width, height, rows of RGB tuples' bytes as one bytearray per row, channels) of an 8-bit RGB or
    RGBA PNG, filters undone."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError(f"unexpected PNG format: depth {depth}, colour type {colour}, interlace {interlace}")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    return width, height, rows, channels


def pixels(rows, channels):
    for line in rows:
        for i in range(0, len(line), channels):
            yield line[i], line[i + 1], line[i + 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True)
    parser.add_argument("--sidecar", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--artifacts", required=True, help="directory for the report and its screenshot")
    args = parser.parse_args()
    if not os.access(args.chromium, os.X_OK):
        print(f"SKIP: no Chromium at {args.chromium} (Debian's chromium package, scripts/install-deps.sh)")
        return SKIP
    os.makedirs(args.artifacts, exist_ok=True)
    html = os.path.join(args.artifacts, "conformance-report.html")
    report = os.path.join(args.artifacts, "conformance-report.json")
    png = os.path.join(args.artifacts, "conformance-report.png")
    for path in (html, report, png):
        if os.path.exists(path):
            os.remove(path)

    run = subprocess.run([args.conform, "--reference", "--sidecar-bin", args.sidecar, "--sidecar-arg", "--defect",
                          "--sidecar-arg", "slow-ping", "-s", "10.3/1", "-s", "10.6/1", "--html", html,
                          "--json", report], capture_output=True, text=True, errors="replace", timeout=240)
    problems = []
    if run.returncode != 1:
        problems.append(f"the run with slow-ping: exit {run.returncode}, want 1\n{run.stdout[-800:]}{run.stderr[-800:]}")
    cases = {}
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            cases = {case["id"]: case for case in json.load(f)["cases"]}
    p1 = cases.get("10.3/1", {})
    if p1.get("status") != "fail" or p1.get("rerun", {}).get("status") != "fail":
        problems.append(f"10.3/1 under slow-ping: want failed twice, got {json.dumps(p1)[:400]}")
    if not all("measurement" in cases.get(i, {}) for i in ("10.3/1", "10.6/1")):
        problems.append("10.3/1 and 10.6/1 should both carry a measurement to plot")

    shot = subprocess.run([args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--force-device-scale-factor=1", f"--window-size={WIDTH},{HEIGHT}",
                           f"--screenshot={png}", "file://" + os.path.abspath(html)],
                          capture_output=True, text=True, errors="replace", timeout=120)
    if not os.path.exists(png):
        problems.append(f"Chromium wrote no screenshot (exit {shot.returncode}): {shot.stderr[-600:]}")
    else:
        with open(png, "rb") as f:
            width, height, rows, channels = decode_png(f.read())
        if (width, height) != (WIDTH, HEIGHT):
            problems.append(f"screenshot is {width}x{height}, want {WIDTH}x{HEIGHT}")
        colours = set()
        red = blue = 0
        for r, g, b in pixels(rows, channels):
            colours.add((r, g, b))
            # The fail colour of the text (#b3261e) and the missed bar's dot (#d62728).
            if r >= 160 and g <= 70 and b <= 70:
                red += 1
            # The plots' line (#1f5fa8).
            if abs(r - 0x1F) <= 24 and abs(g - 0x5F) <= 24 and abs(b - 0xA8) <= 24:
                blue += 1
        if len(colours) < 16:
            problems.append(f"the screenshot looks blank: {len(colours)} distinct colours")
        if red < 50:
            problems.append(f"no failing case in red on the first screen ({red} red pixels)")
        if blue < 200:
            problems.append(f"no latency plot on the first screen ({blue} pixels of the plot line's blue)")
        print(f"screenshot: {os.path.abspath(png)} ({width}x{height}, {len(colours)} colours, "
              f"{red} red and {blue} plot-blue pixels)")
    for p in problems:
        print("x", p)
    if problems:
        return 1
    print(f"ok: the HTML report shows 10.3/1 failed twice and the PERF latency plots; report {os.path.abspath(html)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
