#pragma once
// The tracker's side effects run once per event (issue #24): an endpoint with a tracker whose
// pass-on-request policy passes when a `request_thread_control` arrives, and a handler that
// fails the first time it sees that event, so the body is delivered again. Shared by the
// in-memory test (tests/endpoint) and the Redis one (tests/redis): the same scenario on both
// stores.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "core/crypto.hpp"
#include "handover/client/client.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "recording_server.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {

struct OncePerEventRun {
  std::size_t dispatches = 0;  ///< How often the handler saw the request event.
  std::size_t passes = 0;      ///< pass_thread_control calls Graph received.
};

/// Delivers one body carrying a request for the thread; the handler fails on its first
/// dispatch. `store` holds de-duplication and the tracker's state.
inline OncePerEventRun passOnRequestWithAFailingHandler(std::shared_ptr<tracker::Store> store) {
  RecordingServer graph;
  // Connection: close, or the server's stop waits out the client's idle keep-alive (5 s).
  graph.setHandler([](const RecordedRequest&) {
    return jsonResponse(200, R"({"success":true})", {{"Connection", "close"}});
  });
  ClientOptions co;
  co.base_url = graph.baseUrl();
  co.access_token = "page-token";
  co.app_id = "1111";
  const Client client(co);
  tracker::TrackerOptions to;
  to.policies.pass_on_request = tracker::PassOnRequest{};
  auto threads = tracker::ThreadTracker::create(store, client, to).value();

  std::atomic<std::size_t> dispatches{0};
  webhook::Router router;
  router.onAny([&](webhook::Context&, const webhook::Event&) -> Result<void> {
    if (dispatches++ == 0)
      return Error::make(ErrorCategory::kInvalidArgument, "the handler failed once");
    return {};
  });
  webhook::EndpointOptions eo;
  eo.app_secret = "secret";
  eo.workers = 1;
  eo.retry_delay = std::chrono::milliseconds(10);
  auto dedup = std::make_shared<tracker::Deduplicator>(store);
  webhook::Endpoint endpoint(eo, std::move(router), client, dedup, threads);
  const std::string body =
      R"({"object":"page","entry":[{"id":"2222","time":1,"messaging":[{"sender":{"id":"3333"},)"
      R"("recipient":{"id":"2222"},"timestamp":1700000000000,"request_thread_control":)"
      R"({"requested_owner_app_id":"4444","metadata":"mine please"}}]}]})";
  const std::string sig = "sha256=" + handover::detail::hmacSha256Hex("secret", body);
  if (endpoint.handlePost({{"X-Hub-Signature-256", sig}}, body).status != 200) return {};
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (dispatches.load() < 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  (void)endpoint.stop(std::chrono::seconds(5));
  OncePerEventRun run;
  run.dispatches = dispatches.load();
  for (const auto& r : graph.requests()) {
    if (r.path.find("pass_thread_control") != std::string::npos) ++run.passes;
  }
  return run;
}

}  // namespace test
HANDOVER_END_NAMESPACE
