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
inline constexpr Timestamp kT0 = fromEpochMillis(1'767'225'600'000);  // 2026-01-01
inline constexpr std::chrono::milliseconds kMinute = std::chrono::minutes(1);

/// A time the test sets and moves by hand; atomic, since tracker threads read it.
class ManualTime {
 public:
  ManualTime& operator=(Timestamp t) {
    ms_ = epochMillis(t);
    return *this;
  }
  ManualTime& operator+=(std::chrono::milliseconds d) {
    ms_ += d.count();
    return *this;
  }
  operator Timestamp() const { return load(); }  // NOLINT(google-explicit-constructor)
  Timestamp load() const { return fromEpochMillis(ms_.load()); }

 private:
  std::atomic<std::int64_t> ms_{epochMillis(kT0)};
};

/// A clock the test moves by hand.
struct ManualClock {
  ManualTime now;
  std::function<Timestamp()> fn() {
    return [this] { return now.load(); };
  }
};

inline webhook::Event base(const std::string& page, const std::string& user, Timestamp ts) {
  webhook::Event e;
  e.page_id = page;
  e.entry_time = ts;
  e.timestamp = ts;
  e.sender.id = user;
  e.recipient.id = page;
  return e;
}

inline webhook::Event userMessage(Timestamp ts, const std::string& mid,
                                  const std::string& user = kUser, bool standby = false) {
  webhook::Event e = base(kPage, user, ts);
  e.standby = standby;
  webhook::Message m;
  m.mid = mid;
  m.text = "hello";
  e.payload = m;
  return e;
}

inline webhook::Event echo(Timestamp ts, const std::string& mid, std::optional<std::string> app_id,
                           const std::string& user = kUser) {
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

inline webhook::Event passEvent(Timestamp ts, std::optional<std::string> from,
                                std::optional<std::string> to, const std::string& user = kUser) {
  webhook::Event e = base(kPage, user, ts);
  webhook::PassThreadControl p;
  p.previous_owner_app_id = std::move(from);
  p.new_owner_app_id = std::move(to);
  e.payload = p;
  return e;
}

inline webhook::Event takeEvent(Timestamp ts, std::optional<std::string> from,
                                std::optional<std::string> to, const std::string& user = kUser) {
  webhook::Event e = base(kPage, user, ts);
  webhook::TakeThreadControl t;
  t.previous_owner_app_id = std::move(from);
  t.new_owner_app_id = std::move(to);
  e.payload = t;
  return e;
}

inline webhook::Event requestEvent(Timestamp ts, const std::string& app,
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
