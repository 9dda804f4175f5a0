#include "curl_common.hpp"

#include <mutex>
#include <stdexcept>
#include <string>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {
namespace {

std::string trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

void curlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

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
    // TLS fails before a byte of the request is written: the request was never sent.
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
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
  if (code == CURLE_SSL_CACERT_BADFILE) {
    // Debian's --no-install-recommends images lack it, and then every Graph call fails here.
    e.message +=
        ": no CA certificate bundle to verify TLS with; install the ca-certificates package "
        "or point CurlOptions::ca_bundle_path at a bundle";
  }
  return e;
}

}  // namespace detail
HANDOVER_END_NAMESPACE
