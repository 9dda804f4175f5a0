// README's other C++ snippets, each a marked region of this file (tests/readme checks that
// README shows them exactly). CTest runs main, which drives every region against fakes and the
// in-process emulator; the working directory is the source tree (for the emulator's config).

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "handover/client/client.hpp"
#include "handover/emulator/emulator.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/router.hpp"
// [readme:fakes]
#include "handover/testing/fake_connection.hpp"

handover::Client clientForTests() {
  auto fake = std::make_shared<handover::testing::FakeConnection>();
  fake->on_pass_thread_control = [](const handover::PassThreadControlRequest& r) {
    return r.target_app_id == handover::kPageInboxAppId
               ? handover::Result<void>{}
               : handover::Result<void>{handover::Error::make(
                     handover::ErrorCategory::kInvalidArgument, "unexpected target")};
  };
  return handover::Client(fake);  // your bot code under test takes a Client
}
// [/readme:fakes]

// [readme:tracker]
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/memory_store.hpp"  // or handover/redis/redis_store.hpp (handover::redis)
#include "handover/tracker/thread_tracker.hpp"

namespace tracker = handover::tracker;

tracker::TrackerOptions takeBackAfterTenQuietMinutes() {
  tracker::TrackerOptions opts;
  tracker::IdleTakeBack take_back;  // kTake by default
  take_back.quiet_for = std::chrono::minutes(10);
  opts.policies.idle_take_back = take_back;
  opts.policies.pause_while_human_active = tracker::PauseWhileHumanActive{};
  return opts;
}

// In the webhook POST handler, after verifySignature and parse: the HTTP status to answer.
int handleOnce(const handover::webhook::Batch& batch, tracker::Deduplicator& dedup,
               tracker::ThreadTracker& threads, const handover::webhook::Router& router,
               const handover::Client& client) {
  auto admitted = dedup.admit(batch);  // claims each event once
  if (!admitted) return 500;           // store down: Meta redelivers
  if (!threads.observe(admitted->fresh)) {
    (void)dedup.abandon(*admitted);  // nothing was handled: all are redelivered
    return 500;
  }
  auto report = router.dispatch(admitted->fresh, client);  // only new events
  if (!dedup.settle(*admitted, report)) return 500;        // failed handlers: redelivered
  return admitted->in_flight > 0 ? 503 : 200;              // held by another server: retry
}

// A timer thread on every server: due take-backs run once, whichever server claims them.
void pollUntil(tracker::ThreadTracker& threads, const std::atomic<bool>& stop) {
  while (!stop) {
    (void)threads.poll();  // a store failure is retried on the next pass
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
}
// [/readme:tracker]

int emulatorStory() {
  // [readme:emulator]
  auto emu = handover::emulator::Emulator::fromFile("examples/emulator/config.json").value();
  emu->start("127.0.0.1", 0).value();
  handover::ClientOptions o;
  o.base_url = emu->baseUrl();  // point the SDK at the emulator
  o.access_token = "bot-routing-page-token";
  handover::Client bot(o);
  emu->sendUserMessage({"100000000000002", "6543210987654321", "I need a human", ""}).value();
  if (auto passed = bot.passThreadControlToPageInbox("6543210987654321"); !passed) {
    std::cerr << passed.error().toString() << "\n";
    return 1;
  }
  emu->advanceClock(std::chrono::hours(25)).value();  // control expired: the thread is idle
  // [/readme:emulator]
  const auto state = emu->threadState("100000000000002", "6543210987654321").value();
  return state.owner_app_id.empty() ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc > 1) {
    std::cout << "usage: readme_snippets\nREADME's C++ snippets, each run once against fakes and "
                 "the emulator (no options).\n";
    return std::string(argv[1]) == "--help" ? EXIT_SUCCESS : 2;
  }
  handover::Client client = clientForTests();
  if (!client.passThreadControlToPageInbox("6543210987654321")) return EXIT_FAILURE;

  auto store = std::make_shared<tracker::MemoryStore>();
  tracker::ThreadTracker threads(store, client, takeBackAfterTenQuietMinutes());
  tracker::Deduplicator dedup(store);
  handover::webhook::Router router;
  int messages = 0;
  router.onMessage(
      [&](handover::webhook::Context&, const handover::webhook::Message&) { ++messages; });
  const auto batch = handover::webhook::parse(
      R"({"object":"page","entry":[{"id":"1","time":2,"messaging":[{"sender":{"id":"3"},)"
      R"("recipient":{"id":"1"},"timestamp":4,"message":{"mid":"m_1","text":"hi"}}]}]})");
  if (!batch) return EXIT_FAILURE;
  const int first = handleOnce(*batch, dedup, threads, router, client);
  const int again = handleOnce(*batch, dedup, threads, router, client);  // a redelivery
  std::atomic<bool> stop{true};
  pollUntil(threads, stop);  // returns at once: stop is set
  const int story = emulatorStory();
  std::cout << "first " << first << ", redelivery " << again << ", handled " << messages
            << ", emulator story " << (story == 0 ? "ok" : "failed") << "\n";
  return first == 200 && again == 200 && messages == 1 && story == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
