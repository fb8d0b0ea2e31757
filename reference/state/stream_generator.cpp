// Generators behind the live streams. Log entries are the hot path (millions per second under
// test.emitLogs), so they are written straight into the caller's buffer without cJSON.
#include "reference/state/stream_generator.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace flake {

namespace {

uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  return h;
}

// --- Logs ---

constexpr std::array<std::string_view, 4> kLevelNames{"debug", "info", "warn", "error"};

// Placeholders: %m milliseconds 1..1999, %u 10..9999, %c a count 1..64, %p an item id 1..99999,
// %x eight hex digits. Everything else is copied verbatim, so it must never need escaping.
constexpr std::array<std::string_view, 5> kDebugTemplates{
    "cache hit for session:%x in %u us",          "resolved route /api/items/%p from edge config",
    "connection pool: %c active, %c idle",        "gc pause %m ms, heap %u MiB",
    "feature flag lookup for user %x took %u us",
};
constexpr std::array<std::string_view, 6> kInfoTemplates{
    "GET /api/items/%p 200 in %m ms",        "POST /api/orders 201 in %m ms (request %x)",
    "build step %c of 64 finished in %m ms", "session %x refreshed",
    "GET /api/search?page=%c 200 in %m ms",  "scheduled job %x completed, %u rows processed",
};
constexpr std::array<std::string_view, 4> kWarnTemplates{
    "slow query took %m ms (threshold 500 ms)",
    "retrying upstream request %x, %c requests in flight",
    "memory usage at %u MiB, above the soft limit",
    "rate limit at %c of 64 tokens for key ending %x",
};
constexpr std::array<std::string_view, 4> kErrorTemplates{
    "upstream returned 502 for request %x after %m ms",
    "connection reset by peer (pool slot %c)",
    "handler /api/items/%p failed: timeout after %m ms",
    "payment webhook %x rejected: signature mismatch",
};

struct Templates {
  const std::string_view* data;
  size_t size;
};
constexpr std::array<Templates, 4> kTemplates{{
    {kDebugTemplates.data(), kDebugTemplates.size()},
    {kInfoTemplates.data(), kInfoTemplates.size()},
    {kWarnTemplates.data(), kWarnTemplates.size()},
    {kErrorTemplates.data(), kErrorTemplates.size()},
}};

constexpr size_t kMaxTemplateBytes = 80;
constexpr size_t kMaxPlaceholders = 3;
constexpr size_t kMaxPlaceholderBytes = 8;  // "99999", "1999", 8 hex digits

// The "JSON-safe by construction" promise, checked by the compiler rather than by review.
consteval bool templates_are_safe() {
  for (const Templates& level : kTemplates) {
    for (size_t i = 0; i < level.size; ++i) {
      const std::string_view t = level.data[i];
      if (t.size() > kMaxTemplateBytes) return false;
      size_t placeholders = 0;
      for (size_t k = 0; k < t.size(); ++k) {
        const char c = t[k];
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
        if (c == '%') {
          if (k + 1 == t.size() ||
              std::string_view("mucpx").find(t[k + 1]) == std::string_view::npos) {
            return false;
          }
          ++placeholders;
          ++k;
        }
      }
      if (placeholders > kMaxPlaceholders) return false;
    }
  }
  return true;
}
static_assert(templates_are_safe());

constexpr std::array<std::string_view, 4> kVercelSources{"router", "build", "edge-function",
                                                         "serverless"};
constexpr std::array<std::string_view, 5> kSupabaseSources{"postgres", "auth", "storage",
                                                           "realtime", "postgrest"};
constexpr std::array<std::string_view, 4> kAwsSources{"ec2", "lambda", "elb", "rds"};
constexpr std::array<std::string_view, 2> kOtherSources{"app", "worker"};

std::string_view source_component(std::string_view service, uint64_t h) {
  if (service == "vercel") return kVercelSources[h % kVercelSources.size()];
  if (service == "supabase") return kSupabaseSources[h % kSupabaseSources.size()];
  if (service == "aws") return kAwsSources[h % kAwsSources.size()];
  return kOtherSources[h % kOtherSources.size()];
}

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_number(char* p, uint64_t value) {
  return std::to_chars(p, p + 20, value).ptr;
}

char* put_hex8(char* p, uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) *p++ = kDigits[(value >> shift) & 0xF];
  return p;
}

char* render_message(char* p, std::string_view tmpl, uint64_t h) {
  for (size_t k = 0; k < tmpl.size(); ++k) {
    if (tmpl[k] != '%') {
      *p++ = tmpl[k];
      continue;
    }
    switch (tmpl[++k]) {
      case 'm':
        p = put_number(p, 1 + h % 1999);
        break;
      case 'u':
        p = put_number(p, 10 + h % 9990);
        break;
      case 'c':
        p = put_number(p, 1 + h % 64);
        break;
      case 'p':
        p = put_number(p, 1 + h % 99999);
        break;
      default:
        p = put_hex8(p, static_cast<uint32_t>(h >> 32));
        break;
    }
    h = mix64(h);  // independent numbers for each placeholder
  }
  return p;
}

// Service names are fixture file names ([A-Za-z0-9_-]) in practice, but LogEntry cannot promise it.
void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '"' || u == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;  // UTF-8 passes through; invalid bytes are the caller's to avoid
    }
  }
}

bool needs_escape(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
  });
}

constexpr uint64_t kLevelSalt = 0x6C6F672D6C65766CULL;
constexpr uint64_t kMessageSalt = 0x6C6F672D6D736721ULL;

}  // namespace

LogGenerator::LogGenerator(uint64_t seed) : seed_key_(mix64(seed ^ kLevelSalt)) {}

LogEntry LogGenerator::next(std::string_view service, int64_t now_ms) {
  const uint64_t n = ++counter_;
  const uint64_t r = mix64(seed_key_ ^ n) % 100;
  const int level = r < 15 ? 0 : r < 80 ? 1 : r < 94 ? 2 : 3;
  return LogEntry{now_ms, level, n, service};
}

void LogGenerator::append_json(std::string& out, const LogEntry& entry) {
  // Fixed keys and punctuation (66 bytes with a 20-digit ts and "error"), then the longest message.
  static constexpr size_t kBufferBytes =
      96 + kMaxTemplateBytes + kMaxPlaceholders * kMaxPlaceholderBytes;
  char buffer[kBufferBytes];
  const size_t level = static_cast<size_t>(std::clamp(entry.level, 0, 3));
  const Templates& templates = kTemplates[level];
  const uint64_t h = mix64(entry.n ^ kMessageSalt);

  char* p = put(buffer, R"({"ts":)");
  p = std::to_chars(p, p + 20, entry.ts).ptr;
  p = put(p, R"(,"level":")");
  p = put(p, kLevelNames[level]);
  p = put(p, R"(","message":")");
  p = render_message(p, templates.data[h % templates.size], mix64(h));
  p = put(p, R"(","source":")");
  out.append(buffer, static_cast<size_t>(p - buffer));

  if (needs_escape(entry.service)) {
    append_escaped(out, entry.service);
  } else {
    out.append(entry.service);
  }
  out += '/';
  out.append(source_component(entry.service, h >> 17));
  out.append("\"}");
}

// --- Metrics ---

JsonPtr make_metrics(std::string_view service, uint64_t n, int64_t now_ms) {
  const uint64_t base = mix64(fnv1a(service));
  const uint64_t noise = mix64(base ^ n);
  // A triangle wave (0..1000) over 60 samples: values drift like a load curve instead of jumping.
  // Integer arithmetic keeps results identical on every platform; only the final scaling is double.
  const uint64_t phase = n % 60;
  const int64_t wave = static_cast<int64_t>(phase < 30 ? phase : 60 - phase) * 1000 / 30;
  const auto jitter = [&](int shift, int64_t span) {
    return static_cast<int64_t>((noise >> shift) % static_cast<uint64_t>(2 * span + 1)) - span;
  };

  const int64_t cpu_base = 150 + static_cast<int64_t>(base % 400);  // 15.0 .. 54.9 %
  const int64_t cpu_tenths =
      std::clamp<int64_t>(cpu_base + wave * 300 / 1000 + jitter(0, 30), 5, 995);
  const int64_t memory_mb =
      256 + static_cast<int64_t>((base >> 12) % 1792) + wave * 128 / 1000 + jitter(10, 16);
  const int64_t rps_base = 50 + static_cast<int64_t>((base >> 24) % 1950);
  const int64_t rps_tenths =
      std::max<int64_t>(0, rps_base * 10 * (700 + 600 * wave / 1000) / 1000 + jitter(20, 40));
  // Mostly a few errors in ten thousand, with an incident-like spike now and then.
  int64_t error_e4 = 5 + static_cast<int64_t>((noise >> 30) % 40);
  if ((noise >> 50) % 97 == 0) error_e4 += 300;

  JsonPtr metrics(cJSON_CreateObject());
  if (!metrics) return nullptr;
  cJSON* m = metrics.get();
  cJSON_AddNumberToObject(m, "cpu", static_cast<double>(cpu_tenths) / 10.0);
  cJSON_AddNumberToObject(m, "memoryMb", static_cast<double>(memory_mb));
  cJSON_AddNumberToObject(m, "requestsPerSec", static_cast<double>(rps_tenths) / 10.0);
  cJSON_AddNumberToObject(m, "errorRate", static_cast<double>(error_e4) / 10000.0);
  cJSON* ts = cJSON_AddNumberToObject(m, "ts", static_cast<double>(now_ms));
  return ts != nullptr ? std::move(metrics) : nullptr;
}

// --- Deployments ---

namespace {

// The vercel fixture's projects (PROJECT_NAMES in fixtures/generate_services.py), so that a live
// event refers to a project a client can also find through vercel.getProjects.
constexpr std::array<std::string_view, 23> kProjects{
    "storefront",
    "marketing-site",
    "docs",
    "admin-console",
    "api-gateway",
    "blog",
    "checkout",
    "customer-portal",
    "design-system",
    "status-page",
    "analytics-dashboard",
    "onboarding",
    "help-center",
    "mobile-web",
    "partner-portal",
    "pricing-calculator",
    "internal-tools",
    "landing-pages",
    "search-ui",
    "billing",
    "notifications",
    "image-service",
    "feature-flags",
};

struct WeightedState {
  std::string_view name;
  uint64_t weight;
};
constexpr std::array<WeightedState, 5> kStates{
    {{"READY", 60}, {"BUILDING", 15}, {"QUEUED", 10}, {"ERROR", 10}, {"CANCELED", 5}}};

std::string random_chars(uint64_t h, std::string_view alphabet, size_t count) {
  std::string out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (i % 8 == 0) h = mix64(h);  // 8 digits of base <= 62 use under 48 bits of each draw
    out += alphabet[h % alphabet.size()];
    h /= alphabet.size();
  }
  return out;
}

}  // namespace

JsonPtr make_deployment_event(uint64_t n, int64_t now_ms) {
  static constexpr std::string_view kBase62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static constexpr std::string_view kBase36 = "0123456789abcdefghijklmnopqrstuvwxyz";
  const uint64_t h = mix64(n ^ 0x6465706C6F796D74ULL);
  const std::string_view project = kProjects[h % kProjects.size()];
  uint64_t pick = (h >> 20) % 100;
  std::string_view state = kStates.back().name;
  for (const WeightedState& s : kStates) {
    if (pick < s.weight) {
      state = s.name;
      break;
    }
    pick -= s.weight;
  }
  const std::string id = "dpl_" + random_chars(h ^ 1, kBase62, 24);
  const std::string url =
      "https://" + std::string(project) + "-" + random_chars(h ^ 2, kBase36, 9) + ".vercel.example";

  JsonPtr event(cJSON_CreateObject());
  if (!event) return nullptr;
  cJSON* e = event.get();
  cJSON_AddStringToObject(e, "id", id.c_str());
  cJSON_AddStringToObject(e, "project", std::string(project).c_str());
  cJSON_AddStringToObject(e, "state", std::string(state).c_str());
  cJSON_AddStringToObject(e, "url", url.c_str());
  cJSON* created = cJSON_AddNumberToObject(e, "createdAt", static_cast<double>(now_ms));
  return created != nullptr ? std::move(event) : nullptr;
}

}  // namespace flake
