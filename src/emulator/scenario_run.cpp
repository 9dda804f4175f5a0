// Running a scenario (handover/emulator/scenario.hpp) over the emulator's control API, the same
// routes the inspector uses: so it runs against an emulator in this process or one started
// with `handover emulator`, and the apps under test may be written in any language.

#include <httplib.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>

#include "handover/emulator/scenario.hpp"
#include "json_util.hpp"
#include "scenario_trouble.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace {

// An emulator beyond loopback wants its run's token on the control API
// (HANDOVER_EMULATOR_TOKEN, printed by `handover emulator` at start).
void authorize(httplib::Client& client) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread of ours starts.
  const char* token = std::getenv("HANDOVER_EMULATOR_TOKEN");
  if (token != nullptr && *token != '\0') {
    client.set_default_headers({{"X-Handover-Emulator-Token", token}});
  }
}

using Clock = std::chrono::steady_clock;
using rapidjson::Value;

constexpr auto kPoll = std::chrono::milliseconds(20);

std::string quoted(const std::string& s) {
  return detail::escapeJsonString(s.size() > 60 ? s.substr(0, 57) + "..." : s);
}

class Control {
 public:
  explicit Control(const std::string& base_url) : client_(base_url) {
    client_.set_connection_timeout(std::chrono::seconds(5));
    client_.set_read_timeout(std::chrono::seconds(30));
    authorize(client_);
  }

  // POSTs a control action; the failure text when it is refused or unreachable.
  std::optional<std::string> post(const std::string& path, const std::string& body) {
    auto res = client_.Post(path, body, "application/json");
    if (!res) return "the emulator did not answer " + path + ": " + httplib::to_string(res.error());
    if (res->status != 200) {
      return "the emulator refused " + path + " (HTTP " + std::to_string(res->status) +
             "): " + res->body;
    }
    return std::nullopt;
  }

  // GETs JSON; false (with `why`) when unreachable or not JSON.
  bool get(const std::string& path, rapidjson::Document& doc, std::string& why) {
    auto res = client_.Get(path);
    if (!res || res->status != 200) {
      why = "the emulator did not answer GET " + path +
            (res ? " (HTTP " + std::to_string(res->status) + ")"
                 : ": " + httplib::to_string(res.error()));
      return false;
    }
    detail::parseJson(doc, res->body);
    if (doc.HasParseError()) {
      why = "GET " + path + " did not answer JSON";
      return false;
    }
    return true;
  }

 private:
  httplib::Client client_;
};

std::string str(const Value& v, const char* key) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return {};
  return detail::idText(it->value).value_or("");
}

// A member that must be an array; an empty one stands in for anything else, so a server that
// is not the emulator (or an older one) gives a failed expectation, never a crash.
const Value& arrayAt(const Value& v, const char* key) {
  static const Value kEmpty(rapidjson::kArrayType);
  if (!v.IsObject()) return kEmpty;
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsArray() ? it->value : kEmpty;
}

const Value* findThread(const rapidjson::Document& conversations, const std::string& page,
                        const std::string& user) {
  if (!conversations.IsArray()) return nullptr;
  for (const auto& c : conversations.GetArray()) {
    if (str(c, "page_id") == page && str(c, "user_id") == user) return &c;
  }
  return nullptr;
}

// Chat lines per thread ("page/user"), counted at the end of each step.
using ChatMarks = std::map<std::string, std::size_t>;

class Runner {
 public:
  Runner(const Scenario& s, const std::string& base_url, std::ostream* progress)
      : scenario_(s), control_(base_url), progress_(progress) {
    names_[std::string(kPageInboxAppId)] = "Page Inbox";
    names_[std::string(kInstagramInboxAppId)] = "Instagram Inbox";
    rapidjson::Document world;
    std::string why;
    if (control_.get("/_emulator/world", world, why)) {
      for (const auto& a : arrayAt(world, "apps").GetArray()) names_[str(a, "id")] = str(a, "name");
    }
  }

  ScenarioReport run() {
    ScenarioReport report;
    report.name = scenario_.name;
    report.file = scenario_.file;
    const auto started = Clock::now();
    if (progress_)
      *progress_ << "scenario " << quoted(scenario_.name) << " (" << scenario_.file << ")\n";
    bool failed = false;
    for (std::size_t i = 0; i < scenario_.steps.size(); ++i) {
      const ScenarioStep& step = scenario_.steps[i];
      StepReport r;
      r.number = i + 1;
      r.title = title(step);
      if (failed) {
        r.outcome = StepOutcome::kSkipped;
      } else {
        const auto t0 = Clock::now();
        const auto failure = perform(step);
        r.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
        r.outcome = failure ? StepOutcome::kFailed : StepOutcome::kPassed;
        if (failure) {
          r.failure = step.path + " in " + scenario_.file + "\n" + *failure;
          failed = true;
        }
        marks_.push_back(chatMarks());
      }
      if (progress_) print(r);
      report.steps.push_back(std::move(r));
    }
    report.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    if (progress_) {
      std::size_t passed = 0;
      for (const auto& s : report.steps) passed += s.outcome == StepOutcome::kPassed ? 1 : 0;
      if (report.passed()) {
        *progress_ << "PASSED: " << passed << "/" << report.steps.size() << " steps\n";
      } else {
        *progress_ << "FAILED at step " << passed + 1 << " of " << report.steps.size() << "\n";
      }
    }
    return report;
  }

 private:
  std::string app(const std::string& id) const {
    auto it = names_.find(id);
    if (id.empty()) return "nobody (idle)";
    return it == names_.end() || it->second.empty() ? id : id + " (" + it->second + ")";
  }

  static std::string title(const ScenarioStep& s) {
    std::string t = toString(s.kind);
    switch (s.kind) {
      case StepKind::kUserSays:
      case StepKind::kInboxReplies:
        return t + " " + quoted(s.text);
      case StepKind::kUserTaps:
        return t + " " + quoted(s.payload);
      case StepKind::kInboxMoves:
        return t + (s.folder == InboxFolder::kMain ? " main" : " done");
      case StepKind::kAdvance:
      case StepKind::kWait:
        return t + " " + std::to_string(s.duration.count()) + " ms";
      case StepKind::kLeadGenPass:
        return t + " to " + s.app_id;
      case StepKind::kExpectOwner:
        return t + " " + (s.idle ? "idle" : s.app_id) + " within " +
               std::to_string(s.within.count()) + " ms";
      case StepKind::kExpectReceived:
        return t + " " + s.app_id + " " + s.event +
               (s.metadata ? " metadata " + quoted(*s.metadata) : "");
      case StepKind::kExpectSent:
        return t + " " + s.app_id + " contains " + quoted(s.text);
      case StepKind::kExpectNoMessage:
        return t + " " + s.app_id + " after step " + std::to_string(s.after_step);
    }
    return t;
  }

  void print(const StepReport& r) const {
    const char* tag = r.outcome == StepOutcome::kPassed   ? "ok  "
                      : r.outcome == StepOutcome::kFailed ? "FAIL"
                                                          : "skip";
    std::ostringstream line;
    line << "  " << tag << " " << (r.number < 10 ? " " : "") << r.number << "  " << r.title;
    if (r.outcome != StepOutcome::kSkipped) line << "  (" << r.took.count() << " ms)";
    *progress_ << line.str() << "\n";
    if (r.outcome == StepOutcome::kFailed) {
      std::istringstream lines(r.failure);
      for (std::string l; std::getline(lines, l);) *progress_ << "        " << l << "\n";
    }
  }

  std::string thread(const ScenarioStep& s) const {
    return "{" + std::string("\"page_id\":") + detail::escapeJsonString(s.page_id) +
           ",\"user_id\":" + detail::escapeJsonString(s.user_id);
  }

  std::optional<std::string> perform(const ScenarioStep& s) {
    switch (s.kind) {
      case StepKind::kUserSays:
        return control_.post("/_emulator/user/message",
                             thread(s) + ",\"text\":" + detail::escapeJsonString(s.text) +
                                 ",\"quick_reply_payload\":" + detail::escapeJsonString(s.payload) +
                                 "}");
      case StepKind::kUserTaps:
        return control_.post("/_emulator/user/postback",
                             thread(s) + ",\"title\":" + detail::escapeJsonString(s.text) +
                                 ",\"payload\":" + detail::escapeJsonString(s.payload) + "}");
      case StepKind::kInboxReplies:
        return control_.post("/_emulator/inbox/reply",
                             thread(s) + ",\"text\":" + detail::escapeJsonString(s.text) + "}");
      case StepKind::kInboxMoves:
        return control_.post("/_emulator/inbox/move",
                             thread(s) + ",\"folder\":\"" +
                                 (s.folder == InboxFolder::kMain ? "main" : "done") + "\"}");
      case StepKind::kAdvance: {
        const auto seconds = (s.duration.count() + 999) / 1000;
        return control_.post("/_emulator/clock/advance",
                             "{\"seconds\":" + std::to_string(seconds) + "}");
      }
      case StepKind::kLeadGenPass:
        return control_.post("/_emulator/leadgen/pass",
                             thread(s) +
                                 ",\"target_app_id\":" + detail::escapeJsonString(s.app_id) +
                                 ",\"complete\":" + (s.complete ? "true" : "false") + "}");
      case StepKind::kWait:
        std::this_thread::sleep_for(s.duration);
        return std::nullopt;
      case StepKind::kExpectOwner:
        return expectOwner(s);
      case StepKind::kExpectReceived:
        return expectReceived(s);
      case StepKind::kExpectSent:
        return expectSent(s);
      case StepKind::kExpectNoMessage:
        return expectNoMessage(s);
    }
    return std::nullopt;
  }

  // Polls `check` (which returns true when met) until it holds or `within` passes.
  template <typename F>
  bool eventually(std::chrono::milliseconds within, F check) {
    const auto until = Clock::now() + within;
    for (;;) {
      if (check()) return true;
      if (Clock::now() >= until) return false;
      std::this_thread::sleep_for(kPoll);
    }
  }

  std::optional<std::string> expectOwner(const ScenarioStep& s) {
    std::string owner;
    std::string why;
    const std::string want = s.idle ? "" : s.app_id;
    const bool met = eventually(s.within, [&] {
      rapidjson::Document doc;
      if (!control_.get("/_emulator/threads/" + s.page_id + "/" + s.user_id, doc, why)) {
        return false;
      }
      why.clear();
      owner = str(doc, "owner_app_id");
      return owner == want;
    });
    if (met) return std::nullopt;
    std::string out = "expected: the owner of user " + s.user_id + " on page " + s.page_id +
                      " is " + app(want) + " within " + std::to_string(s.within.count()) + " ms\n";
    if (!why.empty()) return out + "actual:   " + why;
    out += "actual:   " + app(owner) + "\n";
    rapidjson::Document conversations;
    if (control_.get("/_emulator/conversations", conversations, why)) {
      if (const Value* t = findThread(conversations, s.page_id, s.user_id)) {
        out += "ownership so far:";
        for (const auto& h : arrayAt(*t, "history").GetArray()) {
          out += " " + str(h, "cause") + " -> " +
                 (str(h, "owner").empty() ? "idle" : str(h, "owner")) + ";";
        }
        out += "\n";
      }
    }
    return out;
  }

  // Every event delivered to `app_id` (2xx answers), as "channel key" plus the event object.
  struct Delivered {
    std::string channel;
    std::string key;
    std::string user;
    std::optional<std::string> metadata;
  };
  std::vector<Delivered> delivered(const std::string& app_id, std::string& why) {
    std::vector<Delivered> out;
    rapidjson::Document doc;
    if (!control_.get("/_emulator/timeline?kind=delivery&app=" + app_id, doc, why)) return out;
    if (!doc.IsArray()) return out;
    for (const auto& e : doc.GetArray()) {
      if (!e.IsObject()) continue;
      const std::string outcome = str(e, "outcome");
      if ((outcome != "delivered" && outcome != "duplicate") || !e.HasMember("body")) continue;
      for (const auto& entry : arrayAt(e["body"], "entry").GetArray()) {
        for (const char* channel : {"messaging", "standby"}) {
          for (const auto& ev : arrayAt(entry, channel).GetArray()) {
            if (ev.IsObject()) out.push_back(describe(channel, ev));
          }
        }
        for (const auto& change : arrayAt(entry, "changes").GetArray()) {
          if (change.IsObject()) describeWhatsApp(change, out);
        }
      }
    }
    return out;
  }

  static Delivered describe(const char* channel, const Value& ev) {
    Delivered d;
    d.channel = channel;
    for (auto m = ev.MemberBegin(); m != ev.MemberEnd(); ++m) {
      const std::string key = m->name.GetString();
      if (key == "sender" || key == "recipient" || key == "timestamp") continue;
      d.key = key;
      if (key == "message" && m->value.IsObject() && m->value.HasMember("is_echo") &&
          m->value["is_echo"].IsBool() && m->value["is_echo"].GetBool()) {
        d.key = "echo";
      }
      if (m->value.IsObject() && m->value.HasMember("metadata") &&
          m->value["metadata"].IsString()) {
        d.metadata = m->value["metadata"].GetString();
      }
    }
    const char* who = d.key == "echo" ? "recipient" : "sender";
    if (ev.HasMember(who) && ev[who].IsObject()) d.user = str(ev[who], "id");
    return d;
  }

  // A WhatsApp change (whatsapp.md §3): a handover by its `type`, else one entry per item of
  // `messages`, `message_echoes` and `statuses` (under `value.standby`: channel standby).
  static void describeWhatsApp(const Value& change, std::vector<Delivered>& out) {
    if (!change.HasMember("value") || !change["value"].IsObject()) return;
    const Value& value = change["value"];
    if (str(change, "field") == "messaging_handovers") {
      Delivered d;
      d.channel = "messaging";
      d.key = str(value, "type");
      if (value.HasMember("sender") && value["sender"].IsObject()) {
        d.user = str(value["sender"], "phone_number");
      }
      if (value.HasMember(d.key.c_str()) && value[d.key.c_str()].IsObject()) {
        const Value& control = value[d.key.c_str()];
        if (control.HasMember("metadata") && control["metadata"].IsString()) {
          d.metadata = control["metadata"].GetString();
        }
      }
      out.push_back(std::move(d));
      return;
    }
    const auto items = [&](const Value& holder, const char* channel) {
      for (auto [array, key, user_in, user_key] :
           {std::tuple<const char*, const char*, const char*, const char*>{"messages", "message",
                                                                           "", "from"},
            {"message_echoes", "echo", "message", "to"},
            {"statuses", "status", "", "recipient_id"}}) {
        for (const auto& item : arrayAt(holder, array).GetArray()) {
          if (!item.IsObject()) continue;
          Delivered d;
          d.channel = channel;
          d.key = key;
          const Value* where = &item;
          if (*user_in != '\0' && item.HasMember(user_in) && item[user_in].IsObject()) {
            where = &item[user_in];
          }
          d.user = str(*where, user_key);
          out.push_back(std::move(d));
        }
      }
    };
    items(value, "messaging");
    if (value.HasMember("standby") && value["standby"].IsObject()) {
      items(value["standby"], "standby");
    }
  }

  std::optional<std::string> expectReceived(const ScenarioStep& s) {
    std::string why;
    std::vector<Delivered> got;
    const bool met = eventually(s.within, [&] {
      got = delivered(s.app_id, why);
      for (const auto& d : got) {
        if (d.key == s.event && d.user == s.user_id &&
            (s.channel.empty() || d.channel == s.channel) &&
            (!s.metadata || d.metadata == s.metadata)) {
          return true;
        }
      }
      return false;
    });
    if (met) return std::nullopt;
    std::string out = "expected: " + app(s.app_id) + " was delivered " + s.event +
                      (s.channel.empty() ? "" : " on " + s.channel) + " for user " + s.user_id +
                      (s.metadata ? " with metadata " + quoted(*s.metadata) : "") + " within " +
                      std::to_string(s.within.count()) + " ms\n";
    if (!why.empty()) return out + "actual:   " + why;
    out += "actual:   " + std::to_string(got.size()) + " events delivered to it";
    out += got.empty() ? "\n" : ", the last ones:\n";
    const std::size_t from = got.size() > 8 ? got.size() - 8 : 0;
    for (std::size_t i = from; i < got.size(); ++i) {
      const auto& d = got[i];
      out += "          " + d.channel + " " + d.key + " user " + d.user +
             (d.metadata ? " metadata " + quoted(*d.metadata) : "") + "\n";
    }
    return out + trouble(s.app_id);
  }

  // The app's failed deliveries and verification, when there were any (scenario_trouble.hpp).
  std::string trouble(const std::string& app_id) {
    rapidjson::Document timeline;
    std::string why;
    const bool plain = std::all_of(app_id.begin(), app_id.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c));
    });
    if (!plain || !control_.get("/_emulator/timeline?app=" + app_id, timeline, why)) return {};
    return detail::deliveryTrouble(timeline, app(app_id));
  }

  std::optional<std::string> expectSent(const ScenarioStep& s) {
    std::string why;
    std::vector<std::string> sent;
    const std::string key = s.page_id + "/" + s.user_id;
    const std::size_t skip = s.after_step ? mark(s.after_step, key) : 0;
    const bool met = eventually(s.within, [&] {
      sent.clear();
      rapidjson::Document conversations;
      if (!control_.get("/_emulator/conversations", conversations, why)) return false;
      why.clear();
      const Value* t = findThread(conversations, s.page_id, s.user_id);
      if (!t) return false;
      const auto& chat = arrayAt(*t, "chat").GetArray();
      for (rapidjson::SizeType i = firstAfter(*t, skip); i < chat.Size(); ++i) {
        if (str(chat[i], "from") == s.app_id) sent.push_back(str(chat[i], "text"));
      }
      for (const auto& text : sent) {
        if (text.find(s.text) != std::string::npos) return true;
      }
      return false;
    });
    if (met) return std::nullopt;
    std::string out = "expected: " + app(s.app_id) + " sent user " + s.user_id +
                      " a message containing " + quoted(s.text) +
                      (s.after_step ? " after step " + std::to_string(s.after_step) : "") +
                      " within " + std::to_string(s.within.count()) + " ms\n";
    if (!why.empty()) return out + "actual:   " + why;
    if (sent.empty()) return out + "actual:   it sent that user nothing\n" + trouble(s.app_id);
    out += "actual:   it sent:\n";
    for (const auto& text : sent) out += "          " + quoted(text) + "\n";
    return out + trouble(s.app_id);
  }

  std::optional<std::string> expectNoMessage(const ScenarioStep& s) {
    std::this_thread::sleep_for(s.within);  // let late replies arrive first
    std::string why;
    rapidjson::Document conversations;
    if (!control_.get("/_emulator/conversations", conversations, why)) return why;
    if (!conversations.IsArray()) return std::string("GET /_emulator/conversations is no array");
    std::vector<std::string> late;
    for (const auto& c : conversations.GetArray()) {
      const std::string key = str(c, "page_id") + "/" + str(c, "user_id");
      if (!s.user_id.empty() && str(c, "user_id") != s.user_id) continue;
      const auto& chat = arrayAt(c, "chat").GetArray();
      for (auto i = firstAfter(c, mark(s.after_step, key)); i < chat.Size(); ++i) {
        if (str(chat[i], "from") == s.app_id) {
          late.push_back("to user " + str(c, "user_id") + ": " + quoted(str(chat[i], "text")));
        }
      }
    }
    if (late.empty()) return std::nullopt;
    std::string out = "expected: no message from " + app(s.app_id) + " after step " +
                      std::to_string(s.after_step) + "\nactual:   it sent " +
                      std::to_string(late.size()) + ":\n";
    for (const auto& l : late) out += "          " + l + "\n";
    return out;
  }

  // Lines a thread dropped past its cap: marks count them, so a long chat does not shift them.
  static std::size_t dropped(const Value& thread) {
    const auto it = thread.FindMember("chat_dropped");
    return it != thread.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
  }
  // The index in `thread`'s chat of the first line after `mark`.
  static rapidjson::SizeType firstAfter(const Value& thread, std::size_t mark) {
    const std::size_t gone = dropped(thread);
    return static_cast<rapidjson::SizeType>(mark > gone ? mark - gone : 0);
  }

  std::size_t mark(std::size_t step, const std::string& key) const {
    if (step == 0 || step > marks_.size()) return 0;
    auto it = marks_[step - 1].find(key);
    return it == marks_[step - 1].end() ? 0 : it->second;
  }

  ChatMarks chatMarks() {
    ChatMarks marks;
    rapidjson::Document conversations;
    std::string why;
    if (!control_.get("/_emulator/conversations", conversations, why) || !conversations.IsArray()) {
      return marks;
    }
    for (const auto& c : conversations.GetArray()) {
      marks[str(c, "page_id") + "/" + str(c, "user_id")] = dropped(c) + arrayAt(c, "chat").Size();
    }
    return marks;
  }

  const Scenario& scenario_;
  Control control_;
  std::ostream* progress_;
  std::map<std::string, std::string> names_;
  std::vector<ChatMarks> marks_;
};

}  // namespace

Result<std::string> recordScenario(const std::string& base_url) {
  httplib::Client client(base_url);
  client.set_connection_timeout(std::chrono::seconds(5));
  authorize(client);
  auto res = client.Get("/_emulator/scenario");
  if (!res) {
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message =
        "the emulator at " + base_url + " did not answer: " + httplib::to_string(res.error());
    return e;
  }
  if (res->status != 200) {
    Error e;
    e.category = ErrorCategory::kHttp;
    e.http_status = res->status;
    e.message = "GET " + base_url + "/_emulator/scenario answered HTTP " +
                std::to_string(res->status) + " (is it a handover emulator?)";
    return e;
  }
  return res->body;
}

ScenarioReport runScenario(const Scenario& scenario, const std::string& base_url,
                           std::ostream* progress) {
  Runner runner(scenario, base_url, progress);
  return runner.run();
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
