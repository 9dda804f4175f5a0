#pragma once
// Event builders and a settable clock for the tracker tests.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker::test {

inline constexpr const char* kPage = "100100100";
inline constexpr const char* kUser = "6543210987654321";
inline constexpr const char* kBotApp = "1111111111";
inline constexpr const char* kAgentApp = "2222222222";
inline constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01, epoch ms
inline constexpr std::int64_t kMinute = 60'000;

/// A clock the test moves by hand.
struct ManualClock {
  std::atomic<std::int64_t> now{kT0};
  std::function<std::int64_t()> fn() {
    return [this] { return now.load(); };
  }
};

inline webhook::Event base(const std::string& page, const std::string& user, std::int64_t ts) {
  webhook::Event e;
  e.page_id = page;
  e.entry_time = ts;
  e.timestamp = ts;
  e.sender.id = user;
  e.recipient.id = page;
  return e;
}

inline webhook::Event userMessage(std::int64_t ts, const std::string& mid,
                                  const std::string& user = kUser, bool standby = false) {
  webhook::Event e = base(kPage, user, ts);
  e.standby = standby;
  webhook::Message m;
  m.mid = mid;
  m.text = "hello";
  e.payload = m;
  return e;
}

inline webhook::Event echo(std::int64_t ts, const std::string& mid,
                           std::optional<std::string> app_id, const std::string& user = kUser) {
  webhook::Event e = base(kPage, user, ts);
  e.sender.id = kPage;  // echoes invert sender and recipient
  e.recipient.id = user;
  webhook::Echo m;
  m.mid = mid;
  m.text = "an answer";
  m.app_id = std::move(app_id);
  e.payload = m;
  return e;
}

inline webhook::Event passEvent(std::int64_t ts, std::optional<std::string> from,
                                std::optional<std::string> to, const std::string& user = kUser) {
  webhook::Event e = base(kPage, user, ts);
  webhook::PassThreadControl p;
  p.previous_owner_app_id = std::move(from);
  p.new_owner_app_id = std::move(to);
  e.payload = p;
  return e;
}

inline webhook::Event takeEvent(std::int64_t ts, std::optional<std::string> from,
                                std::optional<std::string> to, const std::string& user = kUser) {
  webhook::Event e = base(kPage, user, ts);
  webhook::TakeThreadControl t;
  t.previous_owner_app_id = std::move(from);
  t.new_owner_app_id = std::move(to);
  e.payload = t;
  return e;
}

inline webhook::Event requestEvent(std::int64_t ts, const std::string& app,
                                   const std::string& metadata = "please",
                                   const std::string& user = kUser) {
  webhook::Event e = base(kPage, user, ts);
  webhook::RequestThreadControl r;
  r.requested_owner_app_id = app;
  r.metadata = metadata;
  e.payload = r;
  return e;
}

}  // namespace tracker::test
HANDOVER_END_NAMESPACE
