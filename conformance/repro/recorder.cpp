// ReproducerRecorder and the placeholder substitution of captured bytes (recorder.hpp).
#include "conformance/repro/recorder.hpp"

#include "conformance/client/wire_log.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

namespace flake::conform::repro {
namespace {

void push_bytes(std::vector<Piece>& pieces, std::string_view bytes) {
  if (bytes.empty()) return;
  if (pieces.empty() || pieces.back().kind != PieceKind::Bytes) pieces.push_back({});
  pieces.back().bytes.append(bytes);
}

// `http`: the connection is not (yet) in frame mode, so Host values and request lines are
// replaced too.
std::vector<Piece> substitute(std::string_view bytes, const Recorded& r, bool http) {
  std::vector<Piece> pieces;
  std::size_t from = 0;
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::string_view rest = bytes.substr(i);
    PieceKind kind = PieceKind::Bytes;
    std::size_t skip = 0;
    std::size_t keep = 0;  // bytes of `rest` kept before the placeholder
    if (!r.token.empty() && rest.starts_with(r.token)) {
      kind = PieceKind::Token;
      skip = r.token.size();
    } else if (http && !r.authority.empty() && rest.starts_with(r.authority)) {
      kind = PieceKind::Authority;
      skip = r.authority.size();
    } else if (http && !r.path.empty() && (i == 0 || bytes[i - 1] == '\n')) {
      // A request line "METHOD PATH[?query] HTTP/1.1" aimed at the WebSocket path.
      const std::size_t space = rest.find(' ');
      const std::size_t eol = rest.find('\n');
      if (space != std::string_view::npos && space < eol && space > 0) {
        const std::string_view target = rest.substr(space + 1);
        if (target.starts_with(r.path) && target.size() > r.path.size() &&
            (target[r.path.size()] == ' ' || target[r.path.size()] == '?')) {
          kind = PieceKind::Path;
          keep = space + 1;
          skip = r.path.size();
        }
      }
    }
    if (kind == PieceKind::Bytes) {
      ++i;
      continue;
    }
    push_bytes(pieces, bytes.substr(from, i + keep - from));
    pieces.push_back({kind, {}});
    i += keep + skip;
    from = i;
  }
  push_bytes(pieces, bytes.substr(from));
  return pieces;
}

// Comment lines: one per line of `text`, control bytes escaped (outcomes may quote raw bytes).
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (true) {
    const std::size_t nl = text.find('\n');
    lines.push_back(WireLog::summarize_text(text.substr(0, nl), 4000));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

std::vector<Step> steps_from_capture(const std::vector<CaptureEvent>& events,
                                     const Recorded& recorded, std::string& problem) {
  std::vector<Step> steps;
  std::map<int, bool> frames;
  std::map<int, std::string> literal;  // per connection: the bytes left in the file, joined
  for (const CaptureEvent& e : events) {
    Step step;
    step.conn = e.conn;
    step.at_ms = e.at_ms;
    switch (e.kind) {
      case CaptureKind::Connect:
        step.kind = StepKind::Connect;
        break;
      case CaptureKind::Send:
        step.kind = StepKind::Send;
        step.pieces = substitute(e.bytes, recorded, !frames[e.conn]);
        for (const Piece& p : step.pieces) {
          literal[e.conn] += p.kind == PieceKind::Bytes ? p.bytes : std::string(1, '\0');
        }
        break;
      case CaptureKind::Frames:
        step.kind = StepKind::Frames;
        frames[e.conn] = true;
        break;
      case CaptureKind::ShutdownWrite:
        step.kind = StepKind::Shutdown;
        break;
      case CaptureKind::Abort:
        step.kind = StepKind::Abort;
        break;
      case CaptureKind::Close:
        step.kind = StepKind::Close;
        break;
      case CaptureKind::Recv:
        step.kind = StepKind::Recv;
        step.received = static_cast<long long>(e.received);
        break;
    }
    steps.push_back(std::move(step));
  }
  // A token split over two writes is in no single send, so no placeholder replaced it.
  for (const auto& [conn, bytes] : literal) {
    if (!recorded.token.empty() && bytes.find(recorded.token) != std::string::npos) {
      problem = "the token is split over two writes of connection " + std::to_string(conn);
    }
  }
  return steps;
}

std::string reproducer_file_name(std::string_view case_id) {
  std::string name;
  for (const char c : case_id) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
    name.push_back(keep ? c : '_');
  }
  return name + ".flake-replay";
}

bool prepare_directory(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    error = "--reproducers " + dir + ": cannot create the directory" +
            (ec ? " (" + ec.message() + ")" : std::string());
    return false;
  }
  return true;
}

ReproducerRecorder::ReproducerRecorder(ProgressSink& inner, std::string dir, const Target& target,
                                       std::string replay_target)
    : inner_(inner),
      dir_(std::move(dir)),
      target_(target),
      replay_target_(std::move(replay_target)) {}

ReproducerRecorder::~ReproducerRecorder() {
  set_active_capture(nullptr);
}

void ReproducerRecorder::case_started(const Case& c, std::size_t index, std::size_t total) {
  capture_ = std::make_unique<WireCapture>(target_.token);
  set_active_capture(capture_.get());
  inner_.case_started(c, index, total);
}

void ReproducerRecorder::case_rerun(const Case& c) {
  // The new capture is active before the first attempt's goes away.
  auto fresh = std::make_unique<WireCapture>(target_.token);
  set_active_capture(fresh.get());
  capture_ = std::move(fresh);
  inner_.case_rerun(c);
}

void ReproducerRecorder::case_finished(const CaseResult& result, std::size_t index,
                                       std::size_t total) {
  set_active_capture(nullptr);
  if (capture_ && result.outcome.status == Status::Fail) write(result, *capture_);
  capture_.reset();
  inner_.case_finished(result, index, total);
}

void ReproducerRecorder::write(const CaseResult& result, const WireCapture& capture) {
  const std::string& id = result.c->id;
  std::string problem = capture.problem();
  const Recorded recorded{target_.token, target_.url.authority, target_.url.path};
  Script script;
  if (problem.empty()) script.steps = steps_from_capture(capture.events(), recorded, problem);
  if (problem.empty() && script.steps.empty()) problem = "the case opened no connection";
  if (!problem.empty()) {
    problems_.push_back("no reproducer for " + id + ": " + problem);
    return;
  }
  const std::string name = reproducer_file_name(id);
  const std::string path = (std::filesystem::path(dir_) / name).string();
  auto& h = script.comments;
  const std::string tier(to_string(result.c->tier));
  for (const std::string& l : split_lines(WireLog::hide_token(
           "case " + id + " (" + tier + "): " + result.c->requirement, recorded.token)))
    h.push_back(l);
  for (const std::string& l :
       split_lines(WireLog::hide_token("expected: " + result.outcome.expected, recorded.token)))
    h.push_back(l);
  for (const std::string& l :
       split_lines(WireLog::hide_token("actual: " + result.outcome.actual, recorded.token)))
    h.push_back(l);
  if (result.expected_failure) h.push_back("(an expected failure: listed in --expected-failures)");
  h.push_back("recorded against " + target_.url.scheme + "://${AUTHORITY}${PATH} with " +
              "${AUTHORITY} = " + recorded.authority + ", ${PATH} = " + recorded.path);
  for (const CaptureEvent& e : capture.events()) {
    if (e.kind == CaptureKind::Connect && e.bytes != recorded.authority) {
      h.push_back("connection " + std::to_string(e.conn) + " went to " + e.bytes +
                  " (not the target; replay sends it to the target)");
    }
  }
  h.push_back("replay: flake-conform replay " + name + " " + replay_target_);
  h.push_back("format: flake-replay/1, see docs/gate-your-ci.md (\"Reproduce a failure\"); masked");
  h.push_back("frames after a \"frames\" line hold mask key 00000000 and are masked afresh when");
  h.push_back("played; ${TOKEN} is filled from --token, --token-file or FLAKE_SIDECAR_TOKEN.");
  h.push_back("");
  h.push_back("what the suite saw (for the reader; replay does not use it):");
  for (const std::string& line : result.wire) {
    for (const std::string& l : split_lines(WireLog::hide_token(line, recorded.token)))
      h.push_back("  " + l);
  }
  if (result.wire_dropped > 0) {
    h.push_back("  (" + std::to_string(result.wire_dropped) + " more lines not kept)");
  }
  h.push_back("");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << format_script(script);
  if (!out.flush()) {
    problems_.push_back("cannot write " + path + ": " + std::strerror(errno));
    return;
  }
  written_.push_back(path);
}

}  // namespace flake::conform::repro
