#pragma once
/// @file
/// `Connection`: the interface behind `Client`, one virtual per Graph call. The production one
/// speaks HTTP through an `HttpTransport`; `testing::FakeConnection` lets users script results.

#include <memory>
#include "handover/core/export.hpp"

#include "handover/client/graph_calls.hpp"
#include "handover/client/options.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE

/// One method per call. Implementations are safe to call from many threads at once.
///
/// Each method returns the call's typed answer or an `Error`; `Client` documents the errors a
/// user meets. Implementations must never put a token, app secret or `appsecret_proof` in an
/// error.
class HANDOVER_EXPORT Connection {
 public:
  virtual ~Connection() = default;

  /// @name Graph calls (one per line of HANDOVER_GRAPH_CALLS)
  /// @{
#define HANDOVER_DETAIL_VIRTUAL(name_, snake_, Request_, Answer_) \
  virtual Result<Answer_> name_(const Request_& /*request*/) {    \
    return detail::unimplementedCall(#name_, "Connection");       \
  }
  /// One virtual per line of `HANDOVER_GRAPH_CALLS` (handover/client/graph_calls.hpp), e.g.
  /// `Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest&)`; `Client` documents
  /// each call and the errors a user meets. Each has a default body that answers
  /// `ErrorCategory::kUnimplemented`, so a decorator or mock written today still compiles when
  /// a call is added; override the calls you serve.
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_VIRTUAL)
#undef HANDOVER_DETAIL_VIRTUAL
  /// @}

  /// The options this connection was made with (tokens included: do not print).
  virtual const ClientOptions& options() const = 0;
};

/// The Graph API connection: request building, `appsecret_proof`, retries, deadline.
///
/// Never fails itself: missing options (`access_token`, `page_id`...) surface as
/// kInvalidArgument on each call. `options.transport` empty means `CurlTransport::shared()`.
HANDOVER_EXPORT std::shared_ptr<Connection> makeConnection(ClientOptions options);

HANDOVER_END_NAMESPACE
