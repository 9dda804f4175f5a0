// ThreadTracker with a policy acting while events arrive: observer threads feed human replies
// for many conversations while another thread moves the clock and polls. Every conversation is
// taken back exactly once, through one shared fake connection. The TSan stage runs this.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "handover/client/client.hpp"
#include "handover/testing/fake_connection.hpp"
#include "handover/tracker/memory_store.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "tracker_support.hpp"

using namespace handover;
using namespace handover::tracker;
namespace tt = handover::tracker::test;

TEST_CASE("policies act while events arrive on other threads, once per conversation",
          "[concurrency]") {
  ClientOptions client_options;
  client_options.app_id = tt::kBotApp;
  auto fake = std::make_shared<handover::testing::FakeConnection>(client_options);
  std::mutex taken_mu;
  std::multiset<std::string> taken;
  fake->on_take_thread_control =
      [&](const TakeThreadControlRequest& r) -> Result<TakeThreadControlResponse> {
    std::lock_guard<std::mutex> lock(taken_mu);
    taken.insert(r.recipient);
    return TakeThreadControlResponse{};
  };
  tt::ManualClock clock;
  TrackerOptions options;
  options.clock = clock.fn();
  options.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(10), "", "bot is back"};
  std::atomic<int> actions{0}, failed_actions{0};
  options.on_action = [&](const ActionOutcome& o) {
    ++actions;
    if (!o.ok()) ++failed_actions;
  };
  ThreadTracker tracker(std::make_shared<MemoryStore>(), Client(fake), options);

  constexpr int kObservers = 2;
  constexpr int kPerObserver = 100;
  std::atomic<int> observe_errors{0}, fed{0};
  std::vector<std::thread> threads;
  for (int o = 0; o < kObservers; ++o) {
    threads.emplace_back([&, o] {
      for (int i = 0; i < kPerObserver; ++i) {
        const std::string user = "7" + std::to_string(100000 + o * kPerObserver + i);
        const Timestamp at = clock.now.load();
        // A human in the Page Inbox took the thread and answered.
        if (!tracker.observe(
                tt::takeEvent(at, std::string(tt::kBotApp), std::string(kPageInboxAppId), user))) {
          ++observe_errors;
        }
        if (!tracker.observe(tt::echo(at + std::chrono::milliseconds(1), "m_" + user,
                                      std::string(kPageInboxAppId), user))) {
          ++observe_errors;
        }
        ++fed;
      }
    });
  }
  // The poller runs while the observers feed, each round moving the clock a minute, until
  // every conversation was taken back (bounded in time, not in rounds: on a loaded machine
  // the observers may still be feeding after any fixed number of rounds).
  std::atomic<int> poll_errors{0};
  threads.emplace_back([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!(fed == kObservers * kPerObserver && actions == kObservers * kPerObserver) &&
           std::chrono::steady_clock::now() < deadline) {
      clock.now += tt::kMinute;
      if (!tracker.poll()) ++poll_errors;
      std::this_thread::yield();
    }
  });
  for (auto& th : threads) th.join();

  CHECK(observe_errors == 0);
  CHECK(poll_errors == 0);
  CHECK(failed_actions == 0);
  CHECK(actions == kObservers * kPerObserver);
  std::lock_guard<std::mutex> lock(taken_mu);
  CHECK(taken.size() == static_cast<std::size_t>(kObservers * kPerObserver));
  std::set<std::string> distinct(taken.begin(), taken.end());
  CHECK(distinct.size() == taken.size());  // none taken twice
}
