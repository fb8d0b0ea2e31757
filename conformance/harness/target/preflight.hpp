// Before any case runs: can the target be reached, and does it take the token? "Cannot reach" and
// "wrong token" are usage errors of the run, not a wall of failed cases.
#pragma once

#include "conformance/harness/case_context.hpp"

#include <string>

namespace flake::conform {

struct Preflight {
  enum class Verdict { Ready, Unreachable, TokenRejected };
  Verdict verdict = Verdict::Ready;
  std::string error;    // Unreachable / TokenRejected: the message for the user
  int http_status = 0;  // Unreachable: the upgrade answer's status (0: no HTTP answer)
  // Ready: something the cases will report, worth a warning before they run.
  std::string warning;

  bool ready() const { return verdict == Verdict::Ready; }
};

// A WebSocket upgrade and (with a token) an authentication against `target`.
Preflight preflight(const Target& target);

}  // namespace flake::conform
