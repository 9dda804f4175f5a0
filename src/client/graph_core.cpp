#include "graph_core.hpp"

#include <algorithm>
#include <utility>

#include "../core/crypto.hpp"
#include "error_mapping.hpp"
#include "json.hpp"
#include "responses.hpp"
#include "retry.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

GraphCore::GraphCore(ClientOptions options) : options_(std::move(options)) {
  const ClientOptions& o = options_;
  if (o.access_token.empty()) {
    options_error_ = handover::detail::invalidArgument("ClientOptions::access_token is empty");
  } else if (o.page_id.empty()) {
    options_error_ = handover::detail::invalidArgument("ClientOptions::page_id is empty");
  } else if (o.api_version.empty()) {
    options_error_ = handover::detail::invalidArgument("ClientOptions::api_version is empty");
  } else if (o.base_url.empty()) {
    options_error_ = handover::detail::invalidArgument("ClientOptions::base_url is empty");
  }
  if (!o.app_secret.empty() && !o.access_token.empty()) {
    proof_ = appSecretProof(o.access_token, o.app_secret);
  }
  page_ = percentEncode(o.page_id);
  prefix_ = o.base_url;
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  prefix_ += "/" + o.api_version + "/";
  headers_.emplace_back("Authorization", "Bearer " + o.access_token);
  headers_.emplace_back("Accept", "application/json");
  body_headers_ = headers_;
  body_headers_.emplace_back("Content-Type", "application/json");
}

std::string GraphCore::url(const CallSpec& call) const {
  std::string url = prefix_ + call.path;
  if (!call.query.empty()) url.append("?").append(encodeQuery(call.query));
  // In the query string even for POSTs: some endpoints ignore it in a body (protocol §4.3).
  // The proof is lowercase hex: nothing to encode, and no copy of the query to add it to.
  if (!proof_.empty())
    url.append(call.query.empty() ? "?" : "&").append("appsecret_proof=").append(proof_);
  return url;
}

std::string GraphCore::what(const CallSpec& call) const {
  return std::string(toString(call.method)) + " /" + options_.api_version + "/" + call.path;
}

std::optional<Error> GraphCore::readOk(std::string_view body, rapidjson::Document& doc,
                                       const CallSpec& call) const {
  if (auto e = parseJson(body, doc)) {
    e->http_status = 200;
    e->message = what(call) + ": " + e->message;
    return scrub(std::move(*e));
  }
  // Graph occasionally wraps an error in a 2xx; it is still an error.
  if (auto api = graphError(doc, 200)) return scrub(std::move(*api));
  if (!doc.IsObject()) return scrub(parseError(what(call) + ": response is not an object"));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> GraphCore::retryDelay(const Error& error,
                                                               const CallSpec& call, int attempt,
                                                               TimePoint deadline) const {
  const RetryOptions& retry = options_.retry;
  const int max_attempts = std::max(1, retry.max_attempts);
  if (attempt >= max_attempts) return std::nullopt;
  if (call.never_resend ? !(error.isRetryable() && error.request_not_sent)
                        : !shouldRetry(error, call.method == HttpMethod::kGet, retry)) {
    return std::nullopt;
  }
  const auto delay = detail::retryDelay(retry, attempt, error, options_.clock.jitter);
  // Waiting past the deadline only to fail is worse than answering now with the cause.
  if (now() + delay >= deadline) return std::nullopt;
  return delay;
}

std::chrono::milliseconds GraphCore::attemptTimeout(
    std::chrono::milliseconds remaining) const noexcept {
  return options_.attempt_timeout.count() > 0 ? std::min(options_.attempt_timeout, remaining)
                                              : remaining;
}

Error GraphCore::deadlineExceeded(const CallSpec& call, int attempts,
                                  const std::optional<Error>& last) const {
  Error e;
  e.category = ErrorCategory::kTimeout;
  e.message = what(call) + ": deadline of " + std::to_string(options_.deadline.count()) +
              " ms exceeded after " + std::to_string(attempts) + " attempt(s)";
  if (last) e.message += "; last error: " + last->toString();
  return scrub(std::move(e));
}

Error GraphCore::scrub(Error e) const {
  return scrubSecrets(std::move(e), {&options_.access_token, &options_.app_secret, &proof_});
}

GraphCore::TimePoint GraphCore::now() const {
  return options_.clock.now ? options_.clock.now() : std::chrono::steady_clock::now();
}

}  // namespace detail
HANDOVER_END_NAMESPACE
