// Bytes per tracked conversation in the in-memory store, against a baseline measured in the
// same run: a plain std::unordered_map<std::string, ConversationState> holding the same data.
//
//   tracker_memory_bench [conversations = 1000000]
//
// Heap bytes come from glibc's mallinfo2() (bytes in use, allocator overhead included), so the
// figure is what the process really pays, not sizeof arithmetic.

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "handover/tracker/memory_store.hpp"

using namespace handover::tracker;

using namespace std::chrono_literals;
namespace {

std::size_t heapInUse() {
  return mallinfo2().uordblks;
}

constexpr handover::Timestamp kT0 = handover::fromEpochMillis(1'767'225'600'000);
const char* const kPages[] = {"104857600012345", "104857600067890", "17841400000000001"};

// A typical conversation: a 16-digit PSID, one of three pages, the inbox owned it after a human
// answered, the user and the bot wrote. One in ten has a pending request.
ConversationKey keyOf(std::size_t i) {
  return {kPages[i % 3], std::to_string(6'543'210'000'000'000ULL + i * 7919)};
}
Observation observationOf(std::size_t i) {
  Observation o;
  o.owner = OwnerInfo{Ownership::kApp, "263902037430900", OwnerSource::kWebhook,
                      kT0 + std::chrono::milliseconds(i), std::nullopt};
  o.user_message = kT0 + std::chrono::milliseconds(i) - 5000ms;
  o.own_message = kT0 + std::chrono::milliseconds(i) - 4000ms;
  o.other_message = kT0 + std::chrono::milliseconds(i);
  o.other_app_id = "263902037430900";
  if (i % 10 == 0) o.request = PendingRequest{"2222222222", "", kT0};
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  if (n == 0) {
    std::fprintf(stderr, "usage: %s [conversations]\n", argv[0]);
    return 2;
  }

  std::size_t store_bytes = 0;
  double store_seconds = 0;
  {
    const std::size_t before = heapInUse();
    const auto t0 = std::chrono::steady_clock::now();
    MemoryStoreOptions o;
    o.max_conversations = n;
    MemoryStore store(o);
    for (std::size_t i = 0; i < n; ++i) {
      if (!store.apply(keyOf(i), observationOf(i))) return 1;
      // A pending take-back for every conversation the inbox holds: the timer index counts too.
      if (!store.schedule(keyOf(i), kT0 + std::chrono::milliseconds(i) + 600'000ms)) return 1;
    }
    store_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    store_bytes = heapInUse() - before;
    const auto stats = store.stats();
    if (stats.conversations != n || stats.timers != n || stats.evicted != 0) {
      std::fprintf(stderr, "unexpected store state\n");
      return 1;
    }
  }

  std::size_t naive_bytes = 0;
  {
    const std::size_t before = heapInUse();
    std::unordered_map<std::string, ConversationState> naive;
    for (std::size_t i = 0; i < n; ++i) {
      const ConversationKey k = keyOf(i);
      ConversationState& s = naive[k.page_id + "|" + k.user_id];
      s.key = k;
      merge(s, observationOf(i));
    }
    naive_bytes = heapInUse() - before;
  }

  std::printf("conversations            %zu\n", n);
  std::printf("MemoryStore              %.1f bytes/conversation (%.1f MiB, filled in %.2f s)\n",
              static_cast<double>(store_bytes) / static_cast<double>(n),
              static_cast<double>(store_bytes) / (1024.0 * 1024.0), store_seconds);
  std::printf("baseline unordered_map   %.1f bytes/conversation (std::string key, full state)\n",
              static_cast<double>(naive_bytes) / static_cast<double>(n));
  std::printf("ratio store/baseline     %.2f\n",
              static_cast<double>(store_bytes) / static_cast<double>(naive_bytes));
  return 0;
}
