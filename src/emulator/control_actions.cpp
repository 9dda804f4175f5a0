// Part of Emulator::Impl (emulator_impl.hpp): the control actions, in-process and behind the
// control API: each runs under the world's lock and goes on the timeline with what it changed.

#include <string>

#include "emulator_impl.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

template <typename T>
Result<T> Emulator::Impl::act(const char* action, const std::string& page_id,
                              const std::string& user_id, const std::function<Result<T>()>& fn,
                              const Fields& fields) {
  std::lock_guard<std::mutex> lock(world_mu);
  // The owner before the action is the owner that what followed the last one left.
  const std::string owner_before = world.ownerNow(page_id, user_id);
  const std::int64_t stamp_before = world.lastStamp();
  Result<T> r = fn();
  if (r) flush();
  record("control", [&](JsonWriter& w) {
    w.Key("action");
    w.String(action);
    w.Key("stamp_before");  // events stamped later came of this action or after it
    w.Int64(stamp_before);
    if (!user_id.empty() && world.page(page_id)) {
      w.Key("owner_before");
      writeString(w, owner_before);
    }
    if (!page_id.empty()) {
      w.Key("page_id");
      writeString(w, recordable(page_id));
    }
    if (!user_id.empty()) {
      w.Key("user_id");
      writeString(w, recordable(user_id));
    }
    for (const auto& [key, value] : fields) {
      if (value.empty()) continue;
      w.Key(key);
      writeString(w, recordable(value));
    }
    w.Key("ok");
    w.Bool(r.has_value());
    if (!r) {
      w.Key("error");
      writeString(w, r.error().message);
    }
  });
  return r;
}

Result<InjectedEvent> Emulator::Impl::sendUserMessage(const UserMessage& m) {
  return act<InjectedEvent>("user_message", m.page_id, m.user_id,
                            [&] { return world.userMessage(m); },
                            {{"text", m.text}, {"quick_reply_payload", m.quick_reply_payload}});
}

Result<InjectedEvent> Emulator::Impl::sendWhatsAppMessage(const UserMessage& m,
                                                          const std::string& entry_point) {
  return act<InjectedEvent>("user_message", m.page_id, m.user_id,
                            [&] { return world.waUserMessage(m, entry_point); },
                            {{"text", m.text}, {"entry_point", entry_point}});
}

Result<InjectedEvent> Emulator::Impl::sendUserPostback(const std::string& page,
                                                       const std::string& user,
                                                       const std::string& title,
                                                       const std::string& payload) {
  return act<InjectedEvent>("user_postback", page, user,
                            [&] { return world.userPostback(page, user, title, payload); },
                            {{"title", title}, {"payload", payload}});
}

Result<InjectedEvent> Emulator::Impl::sendUserRead(const std::string& page,
                                                   const std::string& user) {
  return act<InjectedEvent>("user_read", page, user, [&] { return world.userRead(page, user); });
}

Result<InjectedEvent> Emulator::Impl::inboxReply(const std::string& page, const std::string& user,
                                                 const std::string& text) {
  return act<InjectedEvent>("inbox_reply", page, user,
                            [&] { return world.inboxReply(page, user, text); }, {{"text", text}});
}

Result<void> Emulator::Impl::inboxMove(const std::string& page, const std::string& user,
                                       InboxFolder f) {
  return act<void>(f == InboxFolder::kMain ? "inbox_move_main" : "inbox_move_done", page, user,
                   [&] { return world.inboxMove(page, user, f); });
}

Result<void> Emulator::Impl::setRole(const std::string& page, const std::string& app, Role role) {
  return act<void>("set_role", page, "", [&] { return world.setRole(page, app, role); });
}

Result<void> Emulator::Impl::setDefaultApp(const std::string& page, const std::string& app) {
  return act<void>("set_default_app", page, "", [&] { return world.setDefaultApp(page, app); });
}

Result<void> Emulator::Impl::advanceClock(std::chrono::seconds by) {
  const std::int64_t seconds = by.count();
  if (seconds < 0 || seconds > detail::kMaxClockAdvanceSeconds) {
    return handover::detail::invalidArgument(
        detail::boundMessage("seconds", 0, detail::kMaxClockAdvanceSeconds));
  }
  std::int64_t offset = offset_ms.load();
  do {  // concurrent advances add up; none may pass the bound between check and store
    if (!detail::clockAdvanceFits(nowWith(offset), seconds)) {
      return handover::detail::invalidArgument(
          "seconds: the clock would pass 9999-12-31 (epoch ms " +
          std::to_string(detail::kMaxEpochMs) + ")");
    }
  } while (!offset_ms.compare_exchange_weak(offset, offset + seconds * 1000));
  const std::int64_t from_ms = nowWith(offset);
  std::int64_t stamp_before = 0;
  {
    std::lock_guard<std::mutex> lock(world_mu);
    stamp_before = world.lastStamp();
  }
  record("control", [&](JsonWriter& w) {
    w.Key("action");
    w.String("advance_clock");
    w.Key("stamp_before");
    w.Int64(stamp_before);
    w.Key("seconds");
    w.Int64(by.count());
    w.Key("from_ms");  // the clock before: a recorded scenario's owners are judged on it
    w.Int64(from_ms);
  });
  return {};
}

Result<ThreadState> Emulator::Impl::threadState(const std::string& page, const std::string& user) {
  std::lock_guard<std::mutex> lock(world_mu);
  return world.threadState(page, user);
}

template Result<void> Emulator::Impl::act<void>(const char*, const std::string&, const std::string&,
                                                const std::function<Result<void>()>&,
                                                const Fields&);
template Result<InjectedEvent> Emulator::Impl::act<InjectedEvent>(
    const char*, const std::string&, const std::string&,
    const std::function<Result<InjectedEvent>()>&, const Fields&);

}  // namespace emulator
HANDOVER_END_NAMESPACE
