#!/usr/bin/python3
"""Where a sidecar's CPU time goes: reads `perf script` output (samples with call chains, e.g.
`perf record --call-graph dwarf -p PID`) and sorts every sample into one of a few phases of a
request, by its call chain. Prints a table of percentages (docs/benchmarks.md, "Where the time
goes").

usage: perf script -i perf.data | bench/profile/breakdown.py [--requests N] [--by-symbol N]

With --requests (how many requests the recorded window served) each phase is also given as CPU
microseconds per request, from the samples' periods (cpu-clock counts nanoseconds).

A sample goes to the first rule below whose pattern some frame of its chain matches, frames read
from the leaf up; rules earlier in the list win over later ones for the same frame, so a malloc()
called by the JSON parser counts as allocation, a send() called by the frame writer as a syscall.
"""
import argparse
import re
import sys
from collections import Counter

# (phase, frame pattern). Leaf-most matching frame decides; within one frame, the first rule wins.
RULES = [
    ("allocation (malloc/free)",
     r"^(malloc|free|cfree|_int_malloc|_int_free|__GI___libc_malloc|__GI___libc_free|"
     r"malloc_consolidate|unlink_chunk|operator new|operator delete|tcache_|_int_realloc|realloc|"
     r"__GI___libc_realloc)"),
    ("syscalls: send", r"^(__send|__libc_send|__libc_sendmsg|sendmsg|send)\b|sys_sendto|sys_sendmsg"),
    ("syscalls: recv", r"^(__libc_recv|recv)\b|sys_recvfrom"),
    ("syscalls: poll (event loop)", r"^(__poll|__GI___poll|poll)\b|sys_poll|do_sys_poll"),
    ("parse (UTF-8 check, JSON/MessagePack to tree)",
     r"flake::(parse_json|scan_json|keep_last_duplicate_keys|is_valid_utf8|decode_msgpack|"
     r"\(anonymous namespace\)::parse_message)|cJSON_Parse|cJSON_ParseWithLengthOpts|parse_value|"
     r"parse_object|parse_string|parse_number|strtod"),
    ("print (tree to JSON/MessagePack text)",
     r"flake::(print_json|encode_msgpack|append_json|print_json_to)|cJSON_Print|print_value|"
     r"printf|scanf|__printf_fp|vfprintf|vsnprintf"),
    ("validation and dispatch (envelope, auth, rate limit, method)",
     r"flake::(dispatch_message|validate_request|make_result|make_error|execute_request|"
     r"handle_ping|run_method|\(anonymous namespace\)::(dispatch_one|run_method|copy_id|run_request))|"
     r"cJSON_(Create|Add|GetObjectItem|Duplicate|Delete)"),
    ("tree-less system.ping (match, rate limit, print)",
     r"flake::(answer_small_ping|match_small_ping|append_ping_answer|"
     r"\(anonymous namespace\)::answered_small_ping)"),
    ("framing (WebSocket frames in and out, send queue)",
     r"flake::(ws::|receive_bytes|write_pending|enqueue_frame|make_frame_bytes|handle_message|"
     r"on_raw_rx|\(anonymous namespace\)::(on_writeable|callback_raw|write_data|append_frame|"
     r"take_front|flush))"),
    ("event loop (libwebsockets, timers)", r"lws_|_lws_|libwebsockets|flake::run_server"),
]
COMPILED = [(phase, re.compile(pattern)) for phase, pattern in RULES]
HEADER = re.compile(r"^\S.*?\s(\d+)\s+cpu-clock")
FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.*?)(\+0x[0-9a-f]+)?\s+\((.*)\)$")


def samples(lines):
    """(period in ns, [(symbol, dso), ...] leaf first) per sample."""
    chain, period = [], 0
    for line in lines:
        if not line.strip():
            if chain:
                yield period, chain
            chain = []
            continue
        if line.startswith((" ", "\t")):
            m = FRAME.match(line)
            if m:
                chain.append((m.group(1), m.group(3)))
        else:
            chain = []
            h = HEADER.match(line)
            period = int(h.group(1)) if h else 0
    if chain:
        yield period, chain


def classify(chain):
    for symbol, dso in chain:
        for phase, pattern in COMPILED:
            if pattern.search(symbol):
                return phase
        if "kernel" in dso and symbol.startswith(("tcp_", "__tcp", "ip_", "__dev", "net_rx", "skb")):
            continue
    if chain and "kernel" in chain[0][1]:
        return "kernel (other)"
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=0, metavar="N",
                        help="requests served while recording: adds CPU us per request")
    parser.add_argument("--by-symbol", type=int, default=0, metavar="N",
                        help="also list the N hottest leaf symbols of each phase")
    args = parser.parse_args()
    phases = Counter()
    nanos = Counter()
    leaves = {}
    total = 0
    for period, chain in samples(sys.stdin):
        phase = classify(chain)
        phases[phase] += 1
        nanos[phase] += period
        leaves.setdefault(phase, Counter())[chain[0][0]] += 1
        total += 1
    if total == 0:
        print("no samples with call chains on stdin (perf record --call-graph dwarf ...)",
              file=sys.stderr)
        return 1
    per_request = args.requests > 0
    print(f"{'phase':<64} {'share':>7}" + (f" {'us/request':>11}" if per_request else ""))
    for phase, count in phases.most_common():
        line = f"{phase:<64} {100.0 * count / total:6.1f}%"
        if per_request:
            line += f" {nanos[phase] / 1000.0 / args.requests:11.3f}"
        print(line)
        for symbol, n in leaves[phase].most_common(args.by_symbol):
            print(f"    {symbol[:58]:<60} {100.0 * n / total:6.1f}%")
    if per_request:
        print(f"{'total':<64} {'100.0%':>7} {sum(nanos.values()) / 1000.0 / args.requests:11.3f}")
    print(f"{'samples':<64} {total:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
