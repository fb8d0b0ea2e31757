// The API's calls on the I/O thread: the breaker decides before anything is sent (§7.8), results
// feed it back, -32002 holds further requests (§8.3), unanswered calls time out, and logs.getLarge
// metadata starts an export's assembly (§6.7).
#include "reference/client/engine.hpp"
#include "reference/client/engine_util.hpp"

namespace flake::client {

Engine::Done Engine::user_call_done(std::string method, Breaker* breaker,
                                    std::function<void(CallResult)> fulfil) {
  return [this, method = std::move(method), breaker, fulfil = std::move(fulfil)](const Reply& r) {
    const Clock::time_point now = Clock::now();
    if (breaker) breaker->record(now, verdict_of(r));
    if (r.outcome == Outcome::kError && r.code == -32002 && behaviour_.honours_retry_after_ms()) {
      // §8.3: nothing more on this connection until retryAfterMs has passed.
      if (auto ms = integer_member(r.data, "retryAfterMs"); ms && *ms > 0)
        send_gate_ = std::max(send_gate_, now + std::chrono::milliseconds(*ms));
    }
    fulfil(to_call_result(method, r));
  };
}

void Engine::dispatch_waiting(Clock::time_point now) {
  while (!waiting_.empty() && phase_ == Phase::kReady && now >= send_gate_ && sock_ &&
         !close_sent_) {
    Job job = std::move(waiting_.front());
    waiting_.pop_front();
    --queued_;
    dispatch(job, now);
  }
}

void Engine::dispatch(Job& job, Clock::time_point now) {
  // The breaker decides before anything is sent (§7.8: fail locally, without sending).
  auto breaker_refuses = [&](const std::string& method, Breaker*& b) {
    b = breakers_.for_method(method);
    return b != nullptr && !b->allow(now);
  };
  switch (job.kind) {
    case Job::Kind::kCall: {
      const CallRequest& req = job.requests.front();
      Breaker* b = nullptr;
      if (breaker_refuses(req.method, b)) {
        job.one.set_value(CallResult{req.method, Outcome::kBreaker});
        return;
      }
      auto promise = std::make_shared<std::promise<CallResult>>(std::move(job.one));
      JsonPtr params = parse_params(req.params_json);
      send_request(req.method, params.get(), user_call_done(req.method, b, [promise](CallResult c) {
                     promise->set_value(std::move(c));
                   }));
      return;
    }
    case Job::Kind::kBatch: {
      struct Gather {
        std::promise<std::vector<CallResult>> promise;
        std::vector<CallResult> results;
        size_t left = 0;
      };
      auto g = std::make_shared<Gather>();
      g->promise = std::move(job.many);
      g->results.resize(job.requests.size());
      std::vector<std::pair<CallRequest, Done>> members;
      for (size_t i = 0; i < job.requests.size(); ++i) {
        const CallRequest& req = job.requests[i];
        Breaker* b = nullptr;
        if (breaker_refuses(req.method, b)) {
          g->results[i] = CallResult{req.method, Outcome::kBreaker};
          continue;
        }
        ++g->left;
        members.emplace_back(req, user_call_done(req.method, b, [g, i](CallResult c) {
                               g->results[i] = std::move(c);
                               if (--g->left == 0) g->promise.set_value(std::move(g->results));
                             }));
      }
      if (members.empty()) {
        g->promise.set_value(std::move(g->results));
      } else {
        send_batch(std::move(members));
      }
      return;
    }
    case Job::Kind::kSubscribe: {
      const CallRequest req = job.requests.front();
      auto promise = std::make_shared<std::promise<CallResult>>(std::move(job.one));
      JsonPtr params = parse_params(req.params_json);
      send_request(req.method, params.get(), [this, req, promise](const Reply& r) {
        if (r.outcome == Outcome::kResult) {
          Subscription s{req.method, req.params_json,
                         std::string(string_member(r.result, "subscription").value_or(""))};
          Event ev{EventKind::kSubscribed};
          ev.method = s.method;
          ev.subscription = s.id;
          subscriptions_.push_back(std::move(s));
          emit(ev);
        }
        promise->set_value(to_call_result(req.method, r));
      });
      return;
    }
    case Job::Kind::kLarge: {
      auto promise = std::make_shared<std::promise<LargeResult>>(std::move(job.large));
      JsonPtr params = parse_params(job.requests.front().params_json);
      send_request("logs.getLarge", params.get(), [this, promise](const Reply& r) {
        LargeResult lr;
        if (r.outcome != Outcome::kResult) {
          lr.reason = r.outcome == Outcome::kError ? "error " + std::to_string(r.code)
                                                   : std::string(outcome_name(r.outcome));
          promise->set_value(std::move(lr));
          return;
        }
        std::string error;
        std::optional<ExportMeta> meta = parse_export_meta(r.result, error);
        if (!meta) {
          lr.reason = error;
          promise->set_value(std::move(lr));
          return;
        }
        ExportAssembly assembly(
            *meta, VerifyChecks{behaviour_.verifies_bytes(), behaviour_.verifies_sha256()});
        if (meta->chunks == 0) {
          promise->set_value(assembly.finish());
          return;
        }
        streams_.insert_or_assign(meta->stream, Stream{std::move(assembly), std::move(*promise),
                                                       Clock::now() + config_.call_timeout});
      });
      return;
    }
  }
}

void Engine::check_timeouts(Clock::time_point now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    Pending p = std::move(it->second);
    it = pending_.erase(it);
    Reply r;
    r.outcome = Outcome::kTimeout;
    p.done(r);
  }
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    LargeResult lr;
    lr.format = it->second.assembly.meta().format;
    lr.compressed = it->second.assembly.meta().compressed;
    lr.reason = "chunks stopped arriving";
    it->second.promise.set_value(std::move(lr));
    it = streams_.erase(it);
  }
}

}  // namespace flake::client
