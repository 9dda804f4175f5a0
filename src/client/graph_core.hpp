#pragma once
// What both engines do around a call, written once: option checks, the URL (base, version,
// path, query, `appsecret_proof`), the headers, reading a 2xx answer, the retry decision, the
// deadline error and the scrubbing of secrets. The sync `Connection` loops over attempts with
// an `HttpTransport`; the async one schedules them on its `curl_multi` loop; neither decides
// anything this class decides.

#include <rapidjson/document.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "graph_calls.hpp"
#include "handover/client/options.hpp"
#include "handover/core/error.hpp"
#include "handover/core/http_transport.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

class GraphCore {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  /// Keeps `options`; computes the proof once.
  explicit GraphCore(ClientOptions options);

  const ClientOptions& options() const noexcept { return options_; }
  /// kInvalidArgument for a missing token, page, version or base URL; checked before anything
  /// else in a call.
  const std::optional<Error>& optionsError() const noexcept { return options_error_; }
  /// The Page path segment, percent-encoded ("me" or digits).
  const std::string& page() const noexcept { return page_; }

  /// The absolute URL of `call`, `appsecret_proof` in the query (protocol.md §4.3).
  std::string url(const CallSpec& call) const;
  /// "POST /v26.0/me/pass_thread_control", for messages: no host, no query, nothing secret.
  std::string what(const CallSpec& call) const;
  /// Header lines every request carries ("Authorization: Bearer ...", "Accept: ...") and, for a
  /// request with a body, its Content-Type. The token goes in a header, never in the URL: URLs
  /// end up in logs and proxies.
  const HttpHeaders& headers(bool with_body) const noexcept {
    return with_body ? body_headers_ : headers_;
  }

  /// A 2xx `body` parsed into `doc`; the error otherwise (not JSON, a Graph error wrapped in a
  /// 2xx, not an object), scrubbed.
  std::optional<Error> readOk(std::string_view body, rapidjson::Document& doc,
                              const CallSpec& call) const;

  /// After attempt number `attempt` failed with `error`: the wait before the next attempt, or
  /// nullopt to give up (not retryable, attempts used up, or the wait would pass `deadline`).
  std::optional<std::chrono::milliseconds> retryDelay(const Error& error, const CallSpec& call,
                                                      int attempt, TimePoint deadline) const;
  /// Time allowed for the next attempt, `remaining` of the deadline.
  std::chrono::milliseconds attemptTimeout(std::chrono::milliseconds remaining) const noexcept;

  /// kTimeout: the deadline passed after `attempts` attempts; names the last error.
  Error deadlineExceeded(const CallSpec& call, int attempts,
                         const std::optional<Error>& last) const;
  /// Last line of defence: no secret leaves in an error, whatever a server or library echoed.
  Error scrub(Error e) const;

  TimePoint now() const;
  TimePoint deadlineFromNow() const { return now() + options_.deadline; }

 private:
  ClientOptions options_;
  std::optional<Error> options_error_;
  std::string proof_;
  std::string page_;
  std::string prefix_;  // base URL without trailing slashes, "/", version, "/"
  HttpHeaders headers_;
  HttpHeaders body_headers_;
};

}  // namespace detail
HANDOVER_END_NAMESPACE
