#pragma once
// The retry policy: which failures are retried and how long to wait before the next attempt.

#include <chrono>
#include <functional>

#include "handover/client/options.hpp"
#include "handover/core/error.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// Whether `error` may be retried. Non-idempotent requests (POST, DELETE) are retried only when
/// the request provably never left this process, unless the options opt in.
bool shouldRetry(const Error& error, bool idempotent, const RetryOptions& options) noexcept;

/// Upper bound of the backoff before retry number `retry` (1 for the first retry):
/// min(max_backoff, initial_backoff * multiplier^(retry-1)).
std::chrono::milliseconds backoffBound(const RetryOptions& options, int retry) noexcept;

/// The wait before retry number `retry`: full jitter over `backoffBound`, but never less than
/// what the server asked for in `error.retry_after`.
std::chrono::milliseconds retryDelay(
    const RetryOptions& options, int retry, const Error& error,
    const std::function<std::chrono::milliseconds(std::chrono::milliseconds)>& jitter);

}  // namespace detail
HANDOVER_END_NAMESPACE
