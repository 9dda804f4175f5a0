#pragma once
// The verification handshake Meta performs when an app subscribes its webhook (protocol.md §4.1,
// WH-M): an app that fails it is not subscribed, and Meta delivers it nothing. The emulator does
// it so that a wrong verify token is caught offline, not on the day the app meets Meta.
// Internal (not installed).

#include <chrono>
#include <string>

#include <utility>

#include "handover/emulator/emulator.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

using Subscription = WebhookSubscription;

const char* toString(Subscription s);

/// "http://host:port/path?q" → ("http://host:port", "/path?q").
inline std::pair<std::string, std::string> splitUrl(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) return {url, "/"};
  return {url.substr(0, path_start), url.substr(path_start)};
}

/// One handshake, for the timeline and the console.
struct HandshakeRecord {
  std::string app_id;
  std::string url;  ///< The webhook URL without the query we add (never the verify token).
  Subscription result = Subscription::kPending;
  int status = 0;     ///< HTTP status; 0 when no response.
  std::string error;  ///< Why it is not verified, in words.
  std::chrono::milliseconds latency{0};
};

/// GET url?hub.mode=subscribe&hub.verify_token=TOKEN&hub.challenge=N; verified when the answer
/// is 200 with exactly N as its body.
HandshakeRecord verifySubscription(const std::string& app_id, const std::string& url,
                                   const std::string& verify_token,
                                   std::chrono::milliseconds timeout);

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
