#pragma once
// One description per Graph call (handover/client/graph_calls.hpp lists them): how to build its
// request and how to read its answer. Both engines, the sync `Connection` and the async one,
// run every call from these, so they cannot disagree on a path, a body or a reader.

#include <rapidjson/document.h>

#include <string>

#include "handover/client/graph_calls.hpp"
#include "handover/core/http_transport.hpp"
#include "handover/core/result.hpp"
#include "url.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// A call as the engines send it, before the base URL, version and `appsecret_proof`.
struct CallSpec {
  HttpMethod method = HttpMethod::kGet;
  std::string path;   ///< After the version, already encoded, e.g. "me/thread_owner".
  QueryParams query;  ///< Unencoded; `appsecret_proof` is added by the engine.
  std::string body;   ///< JSON; empty for GET and DELETE.
  /// Once the request may have reached the server, never retried, whatever
  /// `RetryOptions::retry_non_idempotent` says (WhatsApp `thread_control`, whatsapp.md §2).
  bool never_resend = false;
};

/// `describe(request, page)`: the call's `CallSpec`, or kInvalidArgument for input Graph would
/// refuse (nothing is sent). `page` is the encoded Page id ("me" or digits).
/// `readAnswer(request, doc)`: the typed answer from a 2xx JSON object.
#define HANDOVER_DETAIL_DECLARE(name_, snake_, Request_, Answer_)              \
  Result<CallSpec> describe(const Request_& request, const std::string& page); \
  Result<Answer_> readAnswer(const Request_& request, const rapidjson::Value& doc);
HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_DECLARE)
#undef HANDOVER_DETAIL_DECLARE

}  // namespace detail
HANDOVER_END_NAMESPACE
