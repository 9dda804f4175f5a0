#pragma once
// What the sync transport and the async client share about libcurl: header lines and errors.

#include <curl/curl.h>

#include <cstddef>
#include <string_view>

#include "handover/core/error.hpp"
#include "handover/core/http_transport.hpp"
#include "response_limits.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// `curl_global_init` once per process for both engines; throws std::runtime_error on failure.
void curlGlobalInit();

/// Adds a raw "Name: value\r\n" header line to `headers`; other lines are ignored.
void appendHeaderLine(HttpHeaders& headers, std::string_view line);

/// The error for a failed transfer. kTimeout for timeouts, kTransport otherwise, with
/// `request_not_sent` when the connection was never made (so a POST may be retried).
/// `context` prefixes the message (may be empty); `detail` is curl's error buffer, which names
/// host and port, never the path or query.
Error curlTransferError(CURLcode code, std::string_view context, const char* detail,
                        bool body_too_large);

}  // namespace detail
HANDOVER_END_NAMESPACE
