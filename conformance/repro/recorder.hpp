// --reproducers DIR: captures each case's writes and turns those of every failed case (expected
// failures included) into a flake-replay/1 file, with the token as a placeholder.
#pragma once

#include "conformance/client/wire_capture.hpp"
#include "conformance/harness/runner.hpp"
#include "conformance/repro/script.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform::repro {

// Where the recorded run pointed: placeholders replace these.
struct Recorded {
  std::string token;
  std::string authority;  // host:port of the target URL
  std::string path;       // its path (/rpc)
};

// The steps of a capture with placeholders in place of the token, the target's Host value and
// WebSocket path. Empty `problem` when the token appears nowhere but in placeholders.
std::vector<Step> steps_from_capture(const std::vector<CaptureEvent>& events,
                                     const Recorded& recorded, std::string& problem);

// "4.6/2" -> "4.6_2.flake-replay": letters, digits, '.', '-' kept, anything else '_'.
std::string reproducer_file_name(std::string_view case_id);

// Wraps the console's progress sink: a capture is active while each case runs.
class ReproducerRecorder : public ProgressSink {
 public:
  // `replay_target`: the replay command's target options for the header, e.g. "--reference" or
  // "--url ws://HOST:PORT/rpc --token-file FILE".
  ReproducerRecorder(ProgressSink& inner, std::string dir, const Target& target,
                     std::string replay_target);
  ~ReproducerRecorder() override;
  void case_started(const Case& c, std::size_t index, std::size_t total) override;
  void case_finished(const CaseResult& result, std::size_t index, std::size_t total) override;
  // The reproducer holds the attempt that counts: the second of a rerun case.
  void case_rerun(const Case& c) override;
  const std::vector<std::string>& written() const { return written_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void write(const CaseResult& result, const WireCapture& capture);

  ProgressSink& inner_;
  std::string dir_;
  const Target& target_;
  std::string replay_target_;
  std::unique_ptr<WireCapture> capture_;
  std::vector<std::string> written_;
  std::vector<std::string> problems_;
};

// Creates DIR (and its parents); false with `error` when it cannot be a directory we write to.
bool prepare_directory(const std::string& dir, std::string& error);

}  // namespace flake::conform::repro
