// Memory a parse may take, measured with a counting allocator (this executable replaces the
// global operator new/delete): a flood of empty items is refused at the event cap long before
// it costs much, and a large valid body costs a bounded multiple of its size.

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "catch.hpp"
#include "handover/webhook/parser.hpp"

namespace {

std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_peak{0};

void* take(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  const std::size_t live = g_live += malloc_usable_size(p);
  std::size_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return p;
}

void give(void* p) noexcept {
  if (p == nullptr) return;
  g_live -= malloc_usable_size(p);
  std::free(p);
}

// Peak bytes held above what was live before `f` ran.
template <typename F>
std::size_t peakDuring(F&& f) {
  const std::size_t base = g_live.load();
  g_peak = base;
  f();
  return g_peak.load() - base;
}

}  // namespace

void* operator new(std::size_t n) {
  return take(n);
}
void* operator new[](std::size_t n) {
  return take(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p != nullptr) g_live += malloc_usable_size(p);
  return p;
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  give(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  give(p);
}
void operator delete(void* p) noexcept {
  give(p);
}
void operator delete[](void* p) noexcept {
  give(p);
}
void operator delete(void* p, std::size_t) noexcept {
  give(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  give(p);
}

using namespace handover::webhook;

TEST_CASE("a flood of empty items is refused at the cap, in a few MB") {
  std::string flood = R"({"object":"page","entry":[{"id":"1","messaging":[)";
  for (std::size_t i = 0; i < 300000; ++i) flood += i == 0 ? "{}" : ",{}";
  flood += "]}]}";
  REQUIRE(flood.size() < ParseOptions{}.max_body_bytes);
  bool refused = false;
  const std::size_t peak = peakDuring([&] { refused = !parse(flood); });
  CHECK(refused);
  INFO("peak bytes: " << peak << " for a body of " << flood.size());
  // Once 157 MB; now the cap (10,000 events) bounds it. A 16 MB ceiling leaves room for any
  // libstdc++ or sanitizer layout.
  CHECK(peak < 16u * 1024 * 1024);
}

TEST_CASE("a large valid body costs a bounded multiple of its size") {
  const std::string event =
      R"({"sender":{"id":"7000000000000001"},"recipient":{"id":"106500000000001"},)"
      R"("timestamp":1763770003900,"message":{"mid":"m_0123456789abcdef0123456789","text":"hi"}})";
  std::string body = R"({"object":"page","entry":[{"id":"106500000000001","messaging":[)";
  std::size_t events = 0;
  while (body.size() + event.size() + 10 < ParseOptions{}.max_body_bytes && events < 9000) {
    body += events++ == 0 ? event : "," + event;
  }
  body += "]}]}";
  std::size_t parsed = 0;
  const std::size_t peak = peakDuring([&] {
    auto r = parse(body);
    parsed = r ? r->events.size() : 0;
  });
  CHECK(parsed == events);
  INFO("peak bytes: " << peak << " for " << body.size() << " bytes, " << events << " events");
  // The copy of the body, the events (a few hundred bytes each) and the strings they own.
  CHECK(peak < 8 * body.size());
}
