#include "curl_common.hpp"

#include <string>

namespace handover::detail {
namespace {

std::string trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

void appendHeaderLine(HttpHeaders& headers, std::string_view line) {
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
}

Error curlTransferError(CURLcode code, std::string_view context, const char* detail,
                        bool body_too_large) {
  Error e;
  e.category =
      code == CURLE_OPERATION_TIMEDOUT ? ErrorCategory::kTimeout : ErrorCategory::kTransport;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
      e.request_not_sent = true;
      break;
    default:
      break;
  }
  if (!context.empty()) e.message.append(context).append(": ");
  e.message += "libcurl error " + std::to_string(static_cast<int>(code)) + " (" +
               curl_easy_strerror(code) + ")";
  if (detail != nullptr && *detail != '\0') e.message.append(": ").append(detail);
  if (body_too_large) e.message += ": response body exceeds the size limit";
  return e;
}

}  // namespace handover::detail
