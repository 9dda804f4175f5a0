// Part of Emulator::Impl (emulator_impl.hpp): `GET /_emulator/scenario`, this session as a
// scenario skeleton. Each control action (the user, the inbox, the clock) becomes a step; what
// followed it becomes expectations: the handover events delivered, the messages apps sent, and
// the owner the thread had before the next action. A conversation clicked through in the
// inspector is then a regression test to edit and keep.

#include <rapidjson/prettywriter.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "emulator_impl.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace {

using rapidjson::Value;

std::string field(const Value& v, const char* key) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return {};
  return detail::idText(it->value).value_or("");
}

struct Action {
  std::int64_t time = 0;
  std::string page_id;
  std::string user_id;
  std::int64_t wall_ms = 0;  // real time, apart from the emulator's clock
};

// A real gap this long before what followed an action is kept as a `wait` step: an app acting
// on its own timer (a take-back after its agent went quiet) does so in real time, and the
// emulator's clock advances do not move the app's clock.
constexpr std::int64_t kRecordedWaitMs = 1000;
constexpr std::int64_t kMaxWaitMs =
    std::int64_t{10} * 60 * 1000;  // what a scenario's `wait` accepts

std::int64_t wallOf(const Value& e) {
  const auto it = e.FindMember("wall_ms");
  return it != e.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

using Pretty = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void str(Pretty& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void where(Pretty& w, const Action& a, const Action& defaults) {
  if (a.page_id != defaults.page_id) str(w, "page_id", a.page_id);
  if (a.user_id != defaults.user_id) str(w, "user_id", a.user_id);
}

std::string durationText(std::int64_t seconds) {
  if (seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

// A step from a control entry; false when the action is not one a scenario replays.
bool actionStep(Pretty& w, const Value& e, const Action& a, const Action& defaults) {
  const std::string action = field(e, "action");
  if (action == "advance_clock") {
    w.StartObject();
    str(w, "advance", durationText(e["seconds"].GetInt64()));
    w.EndObject();
    return true;
  }
  const char* step = action == "user_message"      ? "user_says"
                     : action == "user_postback"   ? "user_taps"
                     : action == "inbox_reply"     ? "inbox_replies"
                     : action == "inbox_move_main" ? "inbox_moves"
                     : action == "inbox_move_done" ? "inbox_moves"
                     : action == "lead_gen_pass"   ? "lead_gen_pass"
                                                   : nullptr;
  if (!step) return false;
  w.StartObject();
  w.Key(step);
  w.StartObject();
  if (action == "user_message" || action == "inbox_reply") str(w, "text", field(e, "text"));
  if (action == "user_message" && e.HasMember("quick_reply_payload")) {
    str(w, "quick_reply_payload", field(e, "quick_reply_payload"));
  }
  if (action == "user_postback") {
    str(w, "payload", field(e, "payload"));
    str(w, "title", field(e, "title"));
  }
  if (action == "inbox_move_main" || action == "inbox_move_done") {
    str(w, "folder", action == "inbox_move_main" ? "main" : "done");
  }
  if (action == "lead_gen_pass") {
    str(w, "target_app_id", field(e, "target_app_id"));
    w.Key("complete");
    w.Bool(field(e, "complete") != "false");
  }
  where(w, a, defaults);
  w.EndObject();
  w.EndObject();
  return true;
}

// One expectation that followed an action, placed by when it happened on the world's clock
// (then by timeline order).
struct Follower {
  std::int64_t at = 0;
  std::uint64_t seq = 0;
  std::int64_t wall_ms = 0;  // when the entry that shows it was recorded
  std::string step;          // expect_received or expect_sent
  std::vector<std::pair<const char*, std::string>> fields;
  Action where;
};

// Every handover event delivered, once each (a redelivery is expected once), sorted by its
// stamp: one pass over the timeline, so that each action then finds its own by binary search
// (a session of many actions once took minutes, scanning the whole timeline per action).
std::vector<Follower> deliveredHandovers(const std::vector<rapidjson::Document>& entries) {
  std::vector<Follower> found;
  std::set<std::string> seen;
  for (const auto& e : entries) {
    if (field(e, "kind") != "delivery" || field(e, "outcome") != "delivered" ||
        !e.HasMember("body")) {
      continue;
    }
    for (const auto& entry : e["body"]["entry"].GetArray()) {
      for (const char* channel : {"messaging", "standby"}) {
        if (!entry.HasMember(channel)) continue;
        for (const auto& ev : entry[channel].GetArray()) {
          const std::int64_t ts = ev["timestamp"].GetInt64();
          for (const char* key :
               {"pass_thread_control", "take_thread_control", "request_thread_control"}) {
            if (!ev.HasMember(key)) continue;
            if (!seen.insert(field(e, "app_id") + " " + key + " " + std::to_string(ts)).second) {
              continue;
            }
            Follower f{ts, e["seq"].GetUint64(), wallOf(e), "expect_received", {}, {}};
            f.fields = {{"app_id", field(e, "app_id")}, {"event", key}};
            if (ev[key].HasMember("metadata")) {
              f.fields.emplace_back("metadata", field(ev[key], "metadata"));
            }
            f.where.user_id = field(ev["sender"], "id");
            found.push_back(std::move(f));
          }
        }
      }
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Follower& x, const Follower& y) {
    return x.at != y.at ? x.at < y.at : x.seq < y.seq;
  });
  return found;
}

// What followed an action: the handover events it and the apps' reactions produced (stamped
// in (stamp_from, stamp_to], whenever they were delivered), and the messages apps sent before
// the next action (timeline entries from..to), in the order they happened.
void followers(Pretty& w, const std::vector<rapidjson::Document>& entries,
               const std::vector<Follower>& handovers, std::size_t from, std::size_t to,
               std::int64_t stamp_from, std::int64_t stamp_to, const Action& a,
               const Action& defaults) {
  std::vector<Follower> found;
  const auto first = std::upper_bound(handovers.begin(), handovers.end(), stamp_from,
                                      [](std::int64_t t, const Follower& f) { return t < f.at; });
  for (auto it = first; it != handovers.end() && it->at <= stamp_to; ++it) {
    Follower f = *it;
    f.where.time = a.time;
    f.where.page_id = a.page_id;
    found.push_back(std::move(f));
  }
  for (std::size_t i = from; i < to; ++i) {
    const Value& e = entries[i];
    if (field(e, "kind") != "graph" || e["status"].GetInt() != 200 || !e.HasMember("request")) {
      continue;
    }
    const std::string path = field(e, "path");
    const Value& req = e["request"];
    if (path.size() < 9 || path.compare(path.size() - 9, 9, "/messages") != 0) continue;
    if (!req.HasMember("message") || !req["message"].IsObject()) continue;
    const std::string text = field(req["message"], "text");
    if (text.empty()) continue;
    Follower f{e["time"].GetInt64(), e["seq"].GetUint64(), wallOf(e), "expect_sent", {}, a};
    f.fields = {{"app_id", field(e, "app_id")}, {"contains", text}};
    if (req.HasMember("recipient") && req["recipient"].IsObject()) {
      f.where.user_id = field(req["recipient"], "id");
    }
    found.push_back(std::move(f));
  }
  std::stable_sort(found.begin(), found.end(), [](const Follower& x, const Follower& y) {
    return x.at != y.at ? x.at < y.at : x.seq < y.seq;
  });
  std::int64_t last_wall = a.wall_ms;
  for (const auto& f : found) last_wall = std::max(last_wall, f.wall_ms);
  if (last_wall - a.wall_ms >= kRecordedWaitMs) {
    w.StartObject();
    str(w, "wait", std::to_string(std::min(last_wall - a.wall_ms, kMaxWaitMs)) + "ms");
    w.EndObject();
  }
  for (const auto& f : found) {
    w.StartObject();
    w.Key(f.step.c_str());
    w.StartObject();
    for (const auto& [key, value] : f.fields) str(w, key, value);
    where(w, f.where, defaults);
    w.EndObject();
    w.EndObject();
  }
}

}  // namespace

std::string Emulator::Impl::scenarioSkeleton() {
  std::vector<rapidjson::Document> entries;
  {
    std::lock_guard<std::mutex> lock(timeline_mu);
    for (const auto& t : timeline) {
      if (t.kind == "warning") continue;
      entries.emplace_back();
      entries.back().Parse(t.json.c_str());
    }
  }
  rapidjson::Document conversations;
  conversations.Parse(conversationsJson(std::nullopt).c_str());
  std::vector<std::size_t> actions;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Value& e = entries[i];
    const bool ok = !e.HasMember("ok") || (e["ok"].IsBool() && e["ok"].GetBool());
    if (field(e, "kind") == "control" && ok && field(e, "action") != "set_faults") {
      actions.push_back(i);
    }
  }
  Action defaults;
  for (std::size_t i : actions) {
    if (!field(entries[i], "user_id").empty()) {
      defaults.page_id = field(entries[i], "page_id");
      defaults.user_id = field(entries[i], "user_id");
      break;
    }
  }
  const std::vector<Follower> handovers = deliveredHandovers(entries);
  std::map<std::pair<std::string, std::string>, const Value*> threads;
  for (const auto& c : conversations.GetArray()) {
    threads[{field(c, "page_id"), field(c, "user_id")}] = &c;
  }
  // For each action: the next action on its thread, and the next clock advance (walking back
  // once, instead of searching forward from every action).
  std::vector<std::size_t> next_same(actions.size(), actions.size());
  std::vector<std::size_t> next_advance(actions.size(), actions.size());
  {
    std::map<std::pair<std::string, std::string>, std::size_t> later_on;
    std::size_t advance = actions.size();
    for (std::size_t k = actions.size(); k-- > 0;) {
      const Value& e = entries[actions[k]];
      const std::pair<std::string, std::string> key{field(e, "page_id"), field(e, "user_id")};
      const auto it = later_on.find(key);
      next_same[k] = it == later_on.end() ? actions.size() : it->second;
      next_advance[k] = advance;
      if (e.HasMember("owner_before")) later_on[key] = k;
      if (field(e, "action") == "advance_clock") advance = k;
    }
  }
  rapidjson::StringBuffer buf;
  Pretty w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  str(w, "name", "recorded session");
  str(w, "comment",
      "Recorded by GET /_emulator/scenario. Add \"config\": \"your-world.json\" (or run it with "
      "handover emulator test --config), then keep the expectations that matter.");
  if (!defaults.page_id.empty()) str(w, "page_id", defaults.page_id);
  if (!defaults.user_id.empty()) str(w, "user_id", defaults.user_id);
  w.Key("steps");
  w.StartArray();
  for (std::size_t k = 0; k < actions.size(); ++k) {
    const Value& e = entries[actions[k]];
    Action a{e["time"].GetInt64(), field(e, "page_id"), field(e, "user_id"), wallOf(e)};
    if (a.page_id.empty() && a.user_id.empty()) {
      a = defaults;
      a.wall_ms = wallOf(e);
    }
    if (!actionStep(w, e, a, defaults)) continue;
    const std::size_t next = k + 1 < actions.size() ? actions[k + 1] : entries.size();
    const std::int64_t stamp_to =
        k + 1 < actions.size() ? entries[next]["stamp_before"].GetInt64() : INT64_MAX;
    followers(w, entries, handovers, actions[k] + 1, next, e["stamp_before"].GetInt64(), stamp_to,
              a, defaults);
    if (a.user_id.empty()) continue;
    // The owner this left the thread with: what the next action on the thread found, or, for
    // the last one, the owner now.
    const auto found = threads.find({a.page_id, a.user_id});
    const Value* thread = found == threads.end() ? nullptr : found->second;
    std::optional<std::string> owner;
    const std::size_t same = next_same[k];
    const std::size_t advance = thread ? next_advance[k] : actions.size();
    if (same < advance) {
      owner = field(entries[actions[same]], "owner_before");
    } else if (advance < actions.size()) {
      // The clock moved every thread: the owner is the last change before it moved.
      const Value& later = entries[actions[advance]];
      owner = std::string();
      for (const auto& h : (*thread)["history"].GetArray()) {
        if (h["time_ms"].GetInt64() <= later["from_ms"].GetInt64()) owner = field(h, "owner");
      }
    }
    if (!owner && thread) owner = field(*thread, "owner");
    if (!owner) continue;
    w.StartObject();
    w.Key("expect_owner");
    w.StartObject();
    w.Key("app_id");
    if (owner->empty()) {
      w.Null();
    } else {
      w.String(owner->c_str());
    }
    where(w, a, defaults);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
