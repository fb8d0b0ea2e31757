// Handlers of every flake.v1 method; the dispatcher's table (rpc/dispatcher.cpp) maps names to
// them.
#pragma once

#include "reference/rpc/dispatcher.hpp"

namespace flake {

// session.cpp: auth.authenticate, system.ping, session.resume, rpc.discover
Outcome handle_authenticate(CallContext&, std::string_view, const cJSON* params);
Outcome handle_ping(CallContext&, std::string_view, const cJSON* params);
Outcome handle_resume(CallContext&, std::string_view, const cJSON* params);
Outcome handle_discover(CallContext&, std::string_view, const cJSON* params);

// services.cpp: dashboards, paginated lists, batch.execute
Outcome handle_dashboard(CallContext&, std::string_view method, const cJSON* params);
Outcome handle_list(CallContext&, std::string_view method, const cJSON* params);
Outcome handle_multi_dashboard(CallContext&, std::string_view, const cJSON* params);
Outcome handle_batch_execute(CallContext&, std::string_view, const cJSON* params);

// streams.cpp: subscriptions
Outcome handle_subscribe(CallContext&, std::string_view method, const cJSON* params);
Outcome handle_unsubscribe(CallContext&, std::string_view method, const cJSON* params);

// large.cpp: logs.getLarge
Outcome handle_get_large(CallContext&, std::string_view, const cJSON* params);

// test_contract.cpp: the --conformance test contract (§11)
Outcome handle_test_emit_logs(CallContext&, std::string_view, const cJSON* params);
Outcome handle_test_emit_metrics(CallContext&, std::string_view, const cJSON* params);
Outcome handle_test_drop_session(CallContext&, std::string_view, const cJSON* params);
Outcome handle_test_set_clock(CallContext&, std::string_view, const cJSON* params);
Outcome handle_test_emit_deployment(CallContext&, std::string_view, const cJSON* params);

// Shared parameter checks: `params` absent, {} or [] is "no params".
bool params_empty(const cJSON* params);
// The error for a method that takes named params and got none, an array or another type.
RpcError params_not_object();

}  // namespace flake
