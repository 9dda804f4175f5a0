// Router::dispatch is documented as safe to call from several threads at once over one Router:
// many threads dispatch parsed batches through shared handlers whose Context calls reach one
// fake connection. The TSan stage runs this (label `concurrency`).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/testing/fake_connection.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/router.hpp"

using namespace handover;
using namespace handover::webhook;

TEST_CASE("one Router dispatches batches from many threads at once", "[concurrency]") {
  const std::string dir = std::string(HANDOVER_FIXTURES_DIR) + "/webhooks/";
  std::vector<Batch> batches;
  for (const char* name : {"handover_mixed", "new_kinds", "standby_second_entry", "echoes"}) {
    batches.push_back(parse(handover::test::readFile(dir + name + ".json")).value());
  }
  auto fake = std::make_shared<testing::FakeConnection>();
  fake->on_pass_thread_control = [](const PassThreadControlRequest&) -> Result<void> { return {}; };
  const Client client(fake);
  std::atomic<int> messages{0}, passes{0}, reactions{0}, any{0};
  Router router;
  router
      .onMessage([&](Context& ctx, const Message&) -> Result<void> {
        ++messages;
        return ctx.passThreadControlToPageInbox("handoff");  // a call from the handler
      })
      .onPassThreadControl([&](Context&, const PassThreadControl&) { ++passes; })
      .onReaction([&](Context&, const Reaction&) { ++reactions; })
      .onAny([&](Context&, const Event&) { ++any; });

  constexpr int kThreads = 4;
  constexpr int kRounds = 50;
  std::atomic<std::size_t> events{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        for (const auto& b : batches) {
          const DispatchReport report = router.dispatch(b, client);
          events += report.events;
          failures += report.failures.size();
        }
      }
    });
  }
  for (auto& th : threads) th.join();

  std::size_t per_round = 0, per_round_messages = 0, per_round_passes = 0, per_round_reactions = 0;
  for (const auto& b : batches) {
    per_round += b.events.size();
    for (const auto& e : b.events) {
      per_round_messages += e.kind() == EventKind::kMessage && !e.standby;
      per_round_passes += e.kind() == EventKind::kPassThreadControl;
      per_round_reactions += e.kind() == EventKind::kReaction && !e.standby;
    }
  }
  const std::size_t rounds = kThreads * kRounds;
  CHECK(failures == 0);
  CHECK(events == per_round * rounds);
  CHECK(static_cast<std::size_t>(any) == per_round * rounds);
  CHECK(static_cast<std::size_t>(messages) == per_round_messages * rounds);
  CHECK(static_cast<std::size_t>(passes) == per_round_passes * rounds);
  CHECK(static_cast<std::size_t>(reactions) == per_round_reactions * rounds);
  CHECK(fake->callCount("passThreadControl") == per_round_messages * rounds);
}
