// Request capture from lws and the header grammars of the REST rules (see headers.hpp).
#include "reference/http/headers.hpp"

#include <cstdlib>

#include "reference/codec/ascii.hpp"
#include "reference/http/request_gate.hpp"

namespace flake {

namespace {

std::optional<std::string> custom_header(lws* wsi, const char* name_with_colon) {
  const int name_length = static_cast<int>(std::string_view(name_with_colon).size());
  const int length = lws_hdr_custom_length(wsi, name_with_colon, name_length);
  if (length < 0) return std::nullopt;
  std::string value(static_cast<size_t>(length) + 1, '\0');
  if (lws_hdr_custom_copy(wsi, value.data(), length + 1, name_with_colon, name_length) < 0)
    return std::nullopt;
  value.resize(static_cast<size_t>(length));
  return std::string(trim_ows(value));
}

HttpMethod method_of(lws* wsi) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) return HttpMethod::kGet;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) return HttpMethod::kPost;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0) return HttpMethod::kOptions;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0) return HttpMethod::kHead;
  return HttpMethod::kOther;
}

// q of one list member's parameters ("q=0.5"); 1 when absent.
double q_value(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    std::string_view param = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      return std::strtod(std::string(param.substr(2)).c_str(), nullptr);
    }
  }
  return 1.0;
}

}  // namespace

HttpRequest capture_request(lws* wsi, std::string_view uri) {
  HttpRequest request;
  request.method = method_of(wsi);
  request.path = std::string(uri);
  for (int i = 0;; ++i) {
    const int length = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (length <= 0) break;
    std::string arg(static_cast<size_t>(length) + 1, '\0');
    if (lws_hdr_copy_fragment(wsi, arg.data(), length + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) break;
    arg.resize(static_cast<size_t>(length));
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      request.query.emplace_back(arg, std::string());
    } else {
      request.query.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
    }
  }
  request.authorization = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  request.content_type = header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
  request.accept = header(wsi, WSI_TOKEN_HTTP_ACCEPT);
  request.accept_encoding = header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
  request.origin = header(wsi, WSI_TOKEN_ORIGIN);
  request.transfer_encoding = header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
  request.last_event_id = custom_header(wsi, "last-event-id:");
  if (auto length = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH)) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(length->c_str(), &end, 10);
    if (end != length->c_str() && *end == '\0') request.content_length = value;
  }
  return request;
}

bool is_json_media_type(std::string_view content_type) {
  return iequals(trim_ows(content_type.substr(0, content_type.find(';'))), "application/json");
}

bool list_allows(std::string_view header, std::string_view token, std::string_view star) {
  std::optional<double> exact;
  std::optional<double> wildcard;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view name = trim_ows(item.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1.0 : q_value(item.substr(semi + 1));
    if (iequals(name, token)) exact = q;
    if (!star.empty() && name == star) wildcard = q;
  }
  if (exact) return *exact > 0;
  return wildcard && *wildcard > 0;
}

std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  authorization = trim_ows(authorization);
  const size_t space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "Bearer"))
    return std::nullopt;
  return trim_ows(authorization.substr(space + 1));
}

}  // namespace flake
