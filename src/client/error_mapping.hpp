#pragma once
// Turning Graph answers that are not successes into typed `Error`s.

#include <rapidjson/document.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>

#include "handover/core/error.hpp"
#include "handover/core/http_transport.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// The error for a non-2xx response: kApi when the body is a Graph error envelope, else kHttp.
/// `retry_after` is filled from `Retry-After` / `X-Business-Use-Case-Usage`.
Error errorFromResponse(const HttpResponse& response);

/// A kApi error when `doc` is a Graph `{"error":{...}}` envelope.
std::optional<Error> graphError(const rapidjson::Value& doc, int http_status);

/// Wait the server asked for: `Retry-After` delta-seconds, or the largest
/// `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`.
std::optional<std::chrono::milliseconds> retryAfter(const HttpResponse& response);

/// Last line of defence: `e` with every occurrence of each secret (token, app secret, proof)
/// replaced by "***", whatever a server or library echoed. Secrets shorter than 4 characters are
/// left alone: too short to be real, and replacing them would mangle the text.
Error scrubSecrets(Error e, std::initializer_list<const std::string*> secrets);

}  // namespace detail
HANDOVER_END_NAMESPACE
