// Command line of the script replay: the target as the fuzzer's replay takes it (URL, --spawn,
// --reference), the token as the main mode reads it, and the replay's bounds.
#include "conformance/repro/replay_main.hpp"

#include "conformance/harness/options.hpp"
#include "conformance/netfuzz/target.hpp"
#include "conformance/repro/player.hpp"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

namespace flake::conform::repro {
namespace {

constexpr int kExitUsage = 2;

bool parse_ms(std::string_view text, long max, std::chrono::milliseconds& out) {
  long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > max) return false;
  out = std::chrono::milliseconds(v);
  return true;
}

bool read_file(const std::string& path, std::string& text, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  std::ostringstream s;
  s << in.rdbuf();
  text = s.str();
  return true;
}

}  // namespace

bool names_script(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.ends_with(".flake-replay")) return true;
    if (arg.starts_with("-")) continue;
    std::ifstream in(argv[i], std::ios::binary);
    std::string first;
    if (in && std::getline(in, first) && first.starts_with(kMagic)) return true;
  }
  return false;
}

std::string replay_script_usage(const std::string& default_sidecar_bin) {
  return R"(usage: flake-conform replay FILE.flake-replay (--url URL | URL | --spawn 'CMD {port}' | --reference) [options]

Plays a reproducer written by `flake-conform --reproducers DIR` against a sidecar: each recorded
connection is opened to the target, its bytes are written in the recorded order with the recorded
pauses (each capped), masked WebSocket frames get fresh mask keys, ${TOKEN} becomes the token,
${AUTHORITY} the target's host:port and ${PATH} its WebSocket path. Everything the sidecar sends
back is printed as it arrives (HTTP heads, WebSocket frames as text or MessagePack, closes, EOF).
Judging the answers is up to the reader: compare with the "what the suite saw" lines of the file.

target (exactly one):
  --url URL | URL          a running sidecar, e.g. ws://127.0.0.1:9123/rpc
  --spawn 'CMD {port}'     start CMD after replacing {port} by a free port, stop it at the end
  --reference              start the reference sidecar with a random token
  --sidecar-bin PATH       the binary --reference starts (default: )" +
         default_sidecar_bin + R"()
  --sidecar-arg ARG        one more argument for the sidecar --reference starts (repeatable)
  --token T | --token-file F   the sidecar's token (else FLAKE_SIDECAR_TOKEN)

bounds:
  --timeout MS             the whole replay (default 30000)
  --max-pause MS           longest wait between two steps (default 2000)
  --linger MS              how long to keep reading after the last step (default 1000)
  -h, --help               this text

exit status: 0 played to the end, 2 usage error, unreadable or malformed file, or a target that
cannot be started or reached.
)";
}

int replay_main(int argc, char** argv, const std::string& default_sidecar_bin) {
  netfuzz::FuzzOptions target_options;
  target_options.sidecar_bin = default_sidecar_bin;
  PlayOptions play_options;
  std::string file;
  std::string error;
  bool help = false;
  auto usage_error = [&](std::string message) {
    if (error.empty()) error = std::move(message);
  };
  ArgReader args(argc, argv, 2, "", usage_error);
  while (args.next()) {
    const std::string_view arg = args.arg();
    std::string v;
    auto ms = [&](std::chrono::milliseconds& out) {
      if (args.value(v) && !parse_ms(v, 3600000, out)) {
        usage_error(std::string(arg) + " needs milliseconds between 0 and 3600000");
      }
    };
    if (arg == "-h" || arg == "--help") {
      help = true;
    } else if (arg == "--url") {
      if (args.value(v)) target_options.url = v;
    } else if (arg == "--token") {
      if (args.value(v)) target_options.token = v;
    } else if (arg == "--token-file") {
      if (args.value(v)) target_options.token_file = v;
    } else if (arg == "--spawn") {
      if (args.value(v)) target_options.spawn = v;
    } else if (arg == "--reference") {
      target_options.reference = true;
    } else if (arg == "--sidecar-bin") {
      if (args.value(v)) target_options.sidecar_bin = v;
    } else if (arg == "--sidecar-arg") {
      if (args.value(v)) target_options.sidecar_args.push_back(v);
    } else if (arg == "--timeout") {
      ms(play_options.timeout);
    } else if (arg == "--max-pause") {
      ms(play_options.max_pause);
    } else if (arg == "--linger") {
      ms(play_options.linger);
    } else if (arg.starts_with("-")) {
      usage_error("unknown option " + std::string(arg));
    } else if (file.empty()) {
      file = arg;
    } else if (target_options.url.empty()) {
      target_options.url = arg;
    } else {
      usage_error("unexpected argument " + std::string(arg));
    }
  }
  if (help) {
    std::fputs(replay_script_usage(default_sidecar_bin).c_str(), stdout);
    return 0;
  }
  const int targets = (target_options.url.empty() ? 0 : 1) + (target_options.spawn ? 1 : 0) +
                      (target_options.reference ? 1 : 0);
  if (error.empty() && file.empty()) error = "no reproducer FILE given";
  if (error.empty() && targets != 1) {
    error = "give exactly one target: --url URL, --spawn 'CMD {port}' or --reference";
  }
  if (!error.empty()) {
    std::fprintf(stderr,
                 "flake-conform replay: %s\n(see flake-conform replay FILE.flake-replay --help)\n",
                 error.c_str());
    return kExitUsage;
  }
  std::string text;
  if (!read_file(file, text, error)) {
    std::fprintf(stderr, "flake-conform replay: %s\n", error.c_str());
    return kExitUsage;
  }
  const std::optional<Script> script = parse_script(text, error);
  if (!script) {
    std::fprintf(stderr, "flake-conform replay: %s: %s\n", file.c_str(), error.c_str());
    return kExitUsage;
  }
  netfuzz::FuzzTarget target;
  if (!netfuzz::open_target(target_options, target, error)) {
    std::fprintf(stderr, "flake-conform replay: %s\n", error.c_str());
    return kExitUsage;
  }
  PlayTarget to{target.url.host, target.url.port,
                Fill{target.token, target.url.authority, target.url.path}};
  std::printf("flake-conform replay: %s (%zu steps) against %s\n", file.c_str(),
              script->steps.size(), target.text().c_str());
  const PlayResult result = play(*script, to, play_options, stdout);
  if (!result.completed) {
    std::fprintf(stderr, "flake-conform replay: %s\n", result.error.c_str());
    return kExitUsage;
  }
  std::printf("flake-conform replay: played to the end\n");
  return 0;
}

}  // namespace flake::conform::repro
