#pragma once
/// @file
/// The transport seam: the client builds `HttpRequest`s and hands them to an `HttpTransport`.
/// `CurlTransport` (see curl_transport.hpp) is the production one; tests and users may supply
/// their own (see handover/testing/fake_transport.hpp).

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE

/// A header list that keeps order and duplicates; lookups ignore ASCII case.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// First header named `name` (case-insensitive), or nullptr.
HANDOVER_EXPORT const std::string* findHeader(const HttpHeaders& headers,
                                              std::string_view name) noexcept;

/// The methods Graph calls use. Only GET is idempotent: the retry policy reads it from here.
enum class HttpMethod { kGet, kPost, kDelete };

/// "GET", "POST", "DELETE".
constexpr const char* toString(HttpMethod method) noexcept {
  return method == HttpMethod::kGet ? "GET" : method == HttpMethod::kPost ? "POST" : "DELETE";
}

/// One HTTP exchange to perform.
struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;  ///< The request method.
  std::string url;      ///< Absolute URL. May hold `appsecret_proof`; never print it raw.
  HttpHeaders headers;  ///< May hold `Authorization`; never print them raw.
  std::string body;     ///< Request body (JSON for Graph POSTs); empty for none.
  /// Time allowed for this attempt, connection included. Zero means the transport's default.
  std::chrono::milliseconds timeout{0};
};

/// What came back.
struct HttpResponse {
  int status = 0;       ///< HTTP status code of the final response (after any 100 Continue).
  HttpHeaders headers;  ///< Headers of the final response, in order.
  std::string body;     ///< The body; the Graph client parses it as JSON.

  /// First header named `name` (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const noexcept {
    return findHeader(headers, name);
  }
};

/// Performs HTTP requests. Implementations must be safe to call from many threads at once.
///
/// A transport returns an `Error` only when no complete HTTP response was obtained
/// (categories kTransport or kTimeout); any status code, 4xx and 5xx included, is a response.
class HANDOVER_EXPORT HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// Performs one attempt of `request`, honouring `request.timeout`; no retries (the client
  /// retries). An error only when no complete response was obtained.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

HANDOVER_END_NAMESPACE
