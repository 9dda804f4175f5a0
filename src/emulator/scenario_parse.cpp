// Scenario files (handover/emulator/scenario.hpp): JSON to steps. Every error names the file,
// the path inside it and what was expected, so a typo in CI reads like a compiler message.

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <fstream>
#include <sstream>

#include "bounds.hpp"
#include "handover/emulator/scenario.hpp"
#include "json_util.hpp"
#include "scenario_keys.hpp"
#include "validation.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace {

using rapidjson::Value;

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Error error(const std::string& path, const std::string& expected) const {
    Error e = handover::detail::invalidArgument(file_ + ": " + path + ": expected " + expected);
    e.category = ErrorCategory::kParse;
    return e;
  }

  template <typename Keys>
  Result<void> onlyKeys(const Value& obj, const std::string& path, const Keys& allowed) const {
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
      std::string_view key(it->name.GetString(), it->name.GetStringLength());
      bool ok = false;
      std::string list;
      for (auto a : allowed) {
        ok = ok || a == key;
        list += (list.empty() ? "" : ", ") + std::string(a);
      }
      if (!ok) return error(path + "." + std::string(key), "no such key (known: " + list + ")");
    }
    return {};
  }

  Result<std::string> text(const Value& obj, const std::string& path, const char* key,
                           bool required, std::size_t max_chars = detail::kMaxTextChars) const {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) {
      if (required) return error(path + "." + key, "a string (it is required)");
      return std::string();
    }
    if (!it->value.IsString()) {
      return error(path + "." + key,
                   "a string of at most " + std::to_string(max_chars) + " characters");
    }
    const std::string_view value(it->value.GetString(), it->value.GetStringLength());
    if (value.find('\0') != std::string_view::npos) {
      return error(path + "." + key, "a string without NUL characters (\\u0000)");
    }
    if (!detail::isValidText(value, max_chars)) {
      return error(path + "." + key,
                   "a string of at most " + std::to_string(max_chars) + " characters");
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
  }

  Result<std::string> id(const Value& obj, const std::string& path, const char* key) const {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return std::string();
    auto s = detail::idText(it->value);
    if (!s || !detail::isValidId(*s)) return error(path + "." + key, "an id of 1 to 32 digits");
    return *s;
  }

  Result<std::chrono::milliseconds> millis(const Value& obj, const std::string& path,
                                           const char* key, std::chrono::milliseconds fallback,
                                           std::int64_t max_ms) const {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return fallback;
    if (!it->value.IsInt64() || it->value.GetInt64() < 0 || it->value.GetInt64() > max_ms) {
      return error(path + "." + key,
                   "an integer from 0 to " + std::to_string(max_ms) + " (milliseconds)");
    }
    return std::chrono::milliseconds(it->value.GetInt64());
  }

 private:
  std::string file_;
};

constexpr std::int64_t kMaxWithinMs = 10LL * 60 * 1000;
constexpr std::int64_t kMaxAdvanceMs = 100LL * 366 * 24 * 3600 * 1000;

// "25h", "90m", "30s", "500ms", "7d".
std::optional<std::chrono::milliseconds> parseDuration(std::string_view s) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  const std::int64_t n = std::stoll(std::string(s.substr(0, digits)));
  const std::string_view unit = s.substr(digits);
  std::int64_t ms_per = 0;
  if (unit == "ms") ms_per = 1;
  if (unit == "s") ms_per = 1000;
  if (unit == "m") ms_per = 60'000;
  if (unit == "h") ms_per = 3'600'000;
  if (unit == "d") ms_per = 86'400'000;
  if (ms_per == 0 || n > kMaxAdvanceMs / ms_per) return std::nullopt;
  return std::chrono::milliseconds(n * ms_per);
}

struct Defaults {
  std::string page_id;
  std::string user_id;
  std::chrono::milliseconds within{5000};
};

Result<ScenarioStep> parseStep(const Reader& r, const Value& v, const std::string& path,
                               const Defaults& d, std::size_t number) {
  if (!v.IsObject() || v.MemberCount() == 0) {
    return r.error(path, "an object with one step key, e.g. {\"user_says\":\"hello\"}");
  }
  const StepKeys* keys = nullptr;
  const Value* body = nullptr;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (name == "comment") continue;
    const StepKeys* found = stepKeys(name);
    if (!found) {
      return r.error(path + "." + std::string(name), "a step: " + stepNames());
    }
    if (keys)
      return r.error(path, "one step key per step (found " + std::string(keys->name) + " and " +
                               std::string(name) + ")");
    keys = found;
    body = &it->value;
  }
  if (!keys) return r.error(path, "a step key: " + stepNames());
  ScenarioStep s;
  s.kind = keys->kind;
  s.path = path;
  const std::string at = path + "." + std::string(keys->name);
  // The short form: a string stands for the step's main field.
  rapidjson::Document expanded;
  if (body->IsString() && !keys->short_form.empty()) {
    expanded.SetObject();
    expanded.AddMember(
        rapidjson::StringRef(keys->short_form.data(), keys->short_form.size()),
        rapidjson::Value(body->GetString(), body->GetStringLength(), expanded.GetAllocator()),
        expanded.GetAllocator());
    body = &expanded;
  }
  if (!body->IsObject()) {
    return r.error(at, keys->short_form.empty()
                           ? std::string("an object")
                           : "a string (the " + std::string(keys->short_form) + ") or an object");
  }
  const Value& b = *body;
  if (auto ok = r.onlyKeys(b, at, keys->keys); !ok) return std::move(ok).error();
  auto page = r.id(b, at, "page_id");
  if (!page) return std::move(page).error();
  auto user = r.id(b, at, "user_id");
  if (!user) return std::move(user).error();
  s.page_id = page->empty() ? d.page_id : *page;
  s.user_id = user->empty() ? d.user_id : *user;
  const bool needs_thread = s.kind != StepKind::kAdvance && s.kind != StepKind::kWait &&
                            s.kind != StepKind::kExpectNoMessage;
  if (needs_thread && s.page_id.empty()) {
    return r.error(at + ".page_id", "a page id (here or as the scenario's page_id)");
  }
  if (needs_thread && s.user_id.empty()) {
    return r.error(at + ".user_id", "a user id (here or as the scenario's user_id)");
  }
  auto want_text = [&](const char* key, bool required, std::string& out) -> Result<void> {
    auto t = r.text(b, at, key, required);
    if (!t) return std::move(t).error();
    out = *t;
    return {};
  };
  auto duration = [&](const char* key) -> Result<std::chrono::milliseconds> {
    auto it = b.FindMember(key);
    std::optional<std::chrono::milliseconds> ms;
    if (it != b.MemberEnd() && it->value.IsString()) ms = parseDuration(it->value.GetString());
    if (!ms) {
      return r.error(at + "." + key,
                     "a duration such as \"25h\", \"90m\", \"30s\" or \"500ms\" (units ms, s, "
                     "m, h, d; at most 100 years)");
    }
    return *ms;
  };
  auto within = [&]() -> Result<void> {
    auto w = r.millis(b, at, "within_ms", d.within, kMaxWithinMs);
    if (!w) return std::move(w).error();
    s.within = *w;
    return {};
  };
  auto app = [&](bool required) -> Result<void> {
    auto a = r.id(b, at, "app_id");
    if (!a) return std::move(a).error();
    if (required && a->empty()) return r.error(at + ".app_id", "an app id of 1 to 32 digits");
    s.app_id = *a;
    return {};
  };
  auto after = [&](bool required) -> Result<void> {
    auto it = b.FindMember("after_step");
    if (it == b.MemberEnd()) {
      if (required) return r.error(at + ".after_step", "a step number (it is required)");
      return {};
    }
    if (!it->value.IsUint64() || it->value.GetUint64() == 0 || it->value.GetUint64() >= number) {
      return r.error(at + ".after_step",
                     "the number of an earlier step, from 1 to " + std::to_string(number - 1));
    }
    s.after_step = static_cast<std::size_t>(it->value.GetUint64());
    return {};
  };
  Result<void> ok;
  switch (s.kind) {
    case StepKind::kUserSays:
      if (ok = want_text("text", true, s.text); !ok) break;
      ok = want_text("quick_reply_payload", false, s.payload);
      break;
    case StepKind::kUserTaps:
      if (ok = want_text("payload", true, s.payload); !ok) break;
      ok = want_text("title", false, s.text);
      if (ok && s.text.empty()) s.text = s.payload;
      break;
    case StepKind::kInboxReplies:
      ok = want_text("text", true, s.text);
      break;
    case StepKind::kInboxMoves: {
      std::string folder;
      if (ok = want_text("folder", true, folder); !ok) break;
      if (folder != "main" && folder != "done") {
        ok = r.error(at + ".folder", "\"main\" or \"done\"");
        break;
      }
      s.folder = folder == "main" ? InboxFolder::kMain : InboxFolder::kDone;
      break;
    }
    case StepKind::kAdvance:
    case StepKind::kWait: {
      auto ms = duration("by");
      if (!ms) {
        ok = std::move(ms).error();
        break;
      }
      if (s.kind == StepKind::kWait && ms->count() > kMaxWithinMs) {
        ok = r.error(at + ".by", "a wait of at most 10 minutes");
        break;
      }
      s.duration = *ms;
      break;
    }
    case StepKind::kLeadGenPass: {
      auto target = r.id(b, at, "target_app_id");
      if (!target || target->empty()) {
        ok = r.error(at + ".target_app_id", "an app id of 1 to 32 digits");
        break;
      }
      s.app_id = *target;
      if (auto it = b.FindMember("complete"); it != b.MemberEnd()) {
        if (!it->value.IsBool()) {
          ok = r.error(at + ".complete", "true or false");
          break;
        }
        s.complete = it->value.GetBool();
      }
      break;
    }
    case StepKind::kExpectOwner: {
      auto it = b.FindMember("app_id");
      if (it == b.MemberEnd()) {
        ok = r.error(at + ".app_id", "an app id, or null for an idle thread");
        break;
      }
      s.idle = it->value.IsNull();
      if (!s.idle) ok = app(true);
      if (ok) ok = within();
      break;
    }
    case StepKind::kExpectReceived: {
      if (ok = app(true); !ok) break;
      if (ok = want_text("event", true, s.event); !ok) break;
      if (!isEventName(s.event)) {
        ok = r.error(at + ".event", "an event: " + eventNames());
        break;
      }
      if (b.HasMember("metadata")) {
        std::string m;
        if (ok = want_text("metadata", false, m); !ok) break;
        s.metadata = m;
      }
      if (ok = want_text("channel", false, s.channel); !ok) break;
      if (!s.channel.empty() && s.channel != "messaging" && s.channel != "standby") {
        ok = r.error(at + ".channel", "\"messaging\" or \"standby\"");
        break;
      }
      ok = within();
      break;
    }
    case StepKind::kExpectSent:
      if (ok = app(true); !ok) break;
      if (ok = want_text("contains", true, s.text); !ok) break;
      if (ok = after(false); !ok) break;
      ok = within();
      break;
    case StepKind::kExpectNoMessage: {
      if (ok = app(true); !ok) break;
      if (ok = after(true); !ok) break;
      auto quiet = r.millis(b, at, "for_ms", std::chrono::milliseconds(500), kMaxWithinMs);
      if (!quiet) {
        ok = std::move(quiet).error();
        break;
      }
      s.within = *quiet;
      break;
    }
  }
  if (!ok) return std::move(ok).error();
  return s;
}

std::string directoryOf(const std::string& file) {
  const auto slash = file.rfind('/');
  return slash == std::string::npos ? std::string() : file.substr(0, slash + 1);
}

}  // namespace

Result<Scenario> parseScenario(std::string_view json, const std::string& file) {
  Reader r(file);
  // The webhook parser's rules: a NUL byte is no JSON (named where it is), no key repeats.
  if (const auto nul = json.find('\0'); nul != std::string_view::npos) {
    Error e =
        r.error("(top level)", "JSON text (a NUL byte at offset " + std::to_string(nul) + ")");
    e.offset = nul;
    return e;
  }
  rapidjson::Document doc;
  detail::parseJson(doc, json);
  if (doc.HasParseError()) {
    Error e =
        r.error("(top level)", std::string("valid JSON (") +
                                   rapidjson::GetParseError_En(doc.GetParseError()) +
                                   " at offset " + std::to_string(doc.GetErrorOffset()) + ")");
    e.offset = doc.GetErrorOffset();
    return e;
  }
  if (!doc.IsObject()) return r.error("(top level)", "an object");
  if (const auto key = detail::repeatedKey(doc)) {
    return r.error("(top level)", "JSON whose objects do not repeat a key (\"" + *key +
                                      "\" appears twice in one object)");
  }
  if (auto ok = r.onlyKeys(doc, "(top level)", kScenarioTopKeys); !ok) {
    return std::move(ok).error();
  }
  Scenario s;
  s.file = file;
  auto name = r.text(doc, "name", "name", false, 200);
  if (!name) return r.error("name", "a string of at most 200 characters");
  s.name = name->empty() ? file : *name;
  Defaults d;
  auto page = r.id(doc, "(top level)", "page_id");
  if (!page) return std::move(page).error();
  auto user = r.id(doc, "(top level)", "user_id");
  if (!user) return std::move(user).error();
  d.page_id = *page;
  d.user_id = *user;
  auto within = r.millis(doc, "(top level)", "within_ms", d.within, kMaxWithinMs);
  if (!within) return std::move(within).error();
  d.within = *within;
  if (doc.HasMember("config") && doc.HasMember("world")) {
    return r.error("world", "either \"config\" (a file) or \"world\" (inline), not both");
  }
  if (auto it = doc.FindMember("config"); it != doc.MemberEnd()) {
    if (!it->value.IsString()) return r.error("config", "a path to a config file");
    std::string path = it->value.GetString();
    if (!path.empty() && path[0] != '/') path = directoryOf(file) + path;
    auto config = loadConfigFile(path);
    if (!config) return r.error("config", "a valid config: " + config.error().message);
    s.config = std::move(*config);
  }
  if (auto it = doc.FindMember("world"); it != doc.MemberEnd()) {
    rapidjson::StringBuffer buf;
    detail::JsonWriter w(buf);
    it->value.Accept(w);
    auto config = parseConfig(std::string_view(buf.GetString(), buf.GetSize()));
    if (!config) return r.error("world", "a valid config: " + config.error().message);
    s.config = std::move(*config);
  }
  auto steps = doc.FindMember("steps");
  if (steps == doc.MemberEnd() || !steps->value.IsArray() || steps->value.Empty()) {
    return r.error("steps", "a non-empty array of steps");
  }
  if (steps->value.Size() > detail::kMaxScenarioSteps) {
    return r.error("steps", "at most " + std::to_string(detail::kMaxScenarioSteps) + " steps");
  }
  std::size_t i = 0;
  for (const auto& item : steps->value.GetArray()) {
    auto step = parseStep(r, item, "steps[" + std::to_string(i) + "]", d, i + 1);
    if (!step) return std::move(step).error();
    s.steps.push_back(std::move(*step));
    ++i;
  }
  return s;
}

Result<Scenario> loadScenarioFile(const std::string& path) {
  auto text = detail::readBoundedFile(path, detail::kMaxFileBytes);
  if (!text) {
    return handover::detail::invalidArgument("scenario: " + text.error().message);
  }
  return parseScenario(*text, path);
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
