#include "retry.hpp"

#include <algorithm>
#include <random>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

bool shouldRetry(const Error& error, bool idempotent, const RetryOptions& options) noexcept {
  if (!error.isRetryable()) return false;
  return idempotent || error.request_not_sent || options.retry_non_idempotent;
}

std::chrono::milliseconds backoffBound(const RetryOptions& options, int retry) noexcept {
  const double cap = static_cast<double>(std::max<std::int64_t>(0, options.max_backoff.count()));
  double bound = static_cast<double>(std::max<std::int64_t>(0, options.initial_backoff.count()));
  const double multiplier = std::max(1.0, options.multiplier);
  for (int i = 1; i < retry && bound < cap; ++i) bound *= multiplier;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(bound, cap)));
}

std::chrono::milliseconds retryDelay(
    const RetryOptions& options, int retry, const Error& error,
    const std::function<std::chrono::milliseconds(std::chrono::milliseconds)>& jitter) {
  const auto bound = backoffBound(options, retry);
  std::chrono::milliseconds delay{0};
  if (jitter) {
    delay = std::clamp(jitter(bound), std::chrono::milliseconds{0}, bound);
  } else {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> pick(0, bound.count());
    delay = std::chrono::milliseconds(pick(engine));
  }
  if (error.retry_after) delay = std::max(delay, *error.retry_after);
  return delay;
}

}  // namespace detail
HANDOVER_END_NAMESPACE
