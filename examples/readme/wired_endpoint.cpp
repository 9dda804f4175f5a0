// README's "endpoint, tracker and router wired together" snippet: one app serving a Page and
// an Instagram account. Run by CTest (readme_wired_endpoint_runs) against fake connections: it
// posts signed bodies for both accounts to the endpoint, and checks that each handler acted
// through its account's client and that the tracker learnt the pass made in the handler.
//
//   usage: readme_wired_endpoint [--help]

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "handover/testing/fake_connection.hpp"
#include "handover/webhook/signature.hpp"

// [readme:wired]
#include "handover/client/client_resolver.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/memory_store.hpp"  // or handover/redis/redis_store.hpp (a fleet)
#include "handover/tracker/thread_tracker.hpp"

using namespace handover::webhook;
namespace tracker = handover::tracker;

struct Bot {
  std::shared_ptr<tracker::ThreadTracker> threads;  // call threads->poll() every few seconds
  std::unique_ptr<Endpoint> endpoint;               // mount it: mountEndpoint(server, path, *it)
};

// The Page's client and the Instagram account's (both address the Page: Instagram calls go
// through the linked Page), the app's id, secret and verify token.
Bot makeBot(handover::Client page, handover::Client instagram, const std::string& app_id,
            const std::string& app_secret, const std::string& verify_token) {
  handover::ClientResolver clients(
      [=](const std::string&, handover::Platform p) -> std::optional<handover::Client> {
        return p == handover::Platform::kInstagram ? instagram : page;
      },
      app_id);  // the tracker tells its own app's echoes and ownership by this id
  auto store = std::make_shared<tracker::MemoryStore>();
  tracker::TrackerOptions policies;
  tracker::IdleTakeBack take_back;  // take the thread back after ten quiet minutes
  take_back.quiet_for = std::chrono::minutes(10);
  policies.policies.idle_take_back = take_back;
  policies.policies.pause_while_human_active = tracker::PauseWhileHumanActive{};
  // Refuses, at start, what would fail later (no app id, a take Meta would refuse).
  auto threads = tracker::ThreadTracker::create(store, clients, policies).value();

  Router router;
  router.onMessage([threads](Context& ctx, const Message& m) -> handover::Result<void> {
    // The tracker learns this pass as if it made it: the take-back timer starts.
    if (m.text == "human please") return ctx.passThreadControlToInbox("escalate");
    auto reply = threads->autoReply({ctx.pageId(), ctx.userId()});
    if (!reply) return reply.error();
    if (*reply != tracker::AutoReply::kReply) return {};  // a human has the conversation
    auto sent = ctx.sendText("Hello! Write \"human please\" to talk to a person.");
    if (!sent) return sent.error();
    return {};
  });

  EndpointOptions options;
  options.app_secret = app_secret;
  options.verify_token = verify_token;
  auto endpoint = std::make_unique<Endpoint>(
      options, std::move(router), clients, std::make_shared<tracker::Deduplicator>(store),
      threads);  // de-duplicated, tracked, then routed, on the endpoint's workers
  return {threads, std::move(endpoint)};
}
// [/readme:wired]

namespace {

std::string body(const std::string& object, const std::string& account, const std::string& user,
                 const std::string& mid, const std::string& text) {
  return R"({"object":")" + object + R"(","entry":[{"id":")" + account +
         R"(","time":1763770000000,"messaging":[{"sender":{"id":")" + user +
         R"("},"recipient":{"id":")" + account +
         R"("},"timestamp":1763769999900,"message":{"mid":")" + mid + R"(","text":")" + text +
         R"("}}]}]})";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << "usage: readme_wired_endpoint [--help]\n"
                 "README's endpoint + tracker + router snippet for a Page and an Instagram\n"
                 "account, run against fake connections: exits 0 when each account's handler\n"
                 "acted through its own client and the tracker learnt the pass.\n";
    return EXIT_SUCCESS;
  }
  using handover::testing::FakeConnection;
  auto page_fake = std::make_shared<FakeConnection>();
  auto ig_fake = std::make_shared<FakeConnection>();
  for (auto* fake : {page_fake.get(), ig_fake.get()}) {
    fake->on_pass_thread_control = [](const handover::PassThreadControlRequest&) {
      return handover::Result<void>{};
    };
    fake->on_send_text = [](const handover::SendTextRequest&) {
      return handover::Result<handover::SendResponse>(handover::SendResponse{});
    };
  }
  const std::string secret = "readme-secret";
  Bot bot = makeBot(handover::Client(page_fake), handover::Client(ig_fake), "4455", secret, "vt");

  const std::string to_page = body("page", "106500000000001", "7000000000000001", "m_1", "hi");
  const std::string to_ig =
      body("instagram", "17841400000000001", "900000000000001", "m_2", "human please");
  int accepted = 0;  // answered 200: queued
  for (const std::string& b : {to_page, to_ig}) {
    const handover::HttpHeaders headers{{"X-Hub-Signature-256", signatureHeaderValue(b, secret)}};
    accepted += bot.endpoint->handlePost(headers, b).status == 200 ? 1 : 0;
  }
  const auto stop = bot.endpoint->stop(std::chrono::seconds(10));
  const auto ig_state = bot.threads->state({"17841400000000001", "900000000000001"}).value();
  const bool tracked = ig_state &&
                       ig_state->owner.isApp(std::string(handover::kInstagramInboxAppId)) &&
                       ig_state->platform == handover::Platform::kInstagram;
  const bool ok = accepted == 2 && stop.drained && page_fake->callCount("sendText") == 1 &&
                  ig_fake->callCount("passThreadControl") == 1 &&
                  ig_fake->callCount("sendText") == 0 && tracked;
  std::cout << "accepted " << accepted << ", page replies " << page_fake->callCount("sendText")
            << ", instagram passes " << ig_fake->callCount("passThreadControl")
            << ", tracker learnt the pass: " << (tracked ? "yes" : "no") << "\n";
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
