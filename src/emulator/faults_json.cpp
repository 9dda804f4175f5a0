// The faults object's JSON form, read by the config loader and `POST /_emulator/faults` alike
// (one reader, so both accept exactly the same thing), and written back for
// `GET /_emulator/faults`. Every error names the path inside the object and what was expected.

#include "faults_json.hpp"

#include <rapidjson/error/en.h>

#include <array>

#include "bounds.hpp"
#include "validation.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace detail {

Error faultError(const std::string& path, const std::string& expected) {
  Error e = handover::detail::invalidArgument(path + ": expected " + expected);
  e.category = ErrorCategory::kParse;
  return e;
}

namespace {

using rapidjson::Value;

template <std::size_t N>
Result<void> onlyKeys(const Value& obj, const std::string& path,
                      const std::array<std::string_view, N>& allowed) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    bool ok = false;
    for (auto a : allowed) ok = ok || a == key;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return faultError(path + "." + std::string(key), "no such key (known: " + list + ")");
    }
  }
  return {};
}

// Reads obj[key] into `out` when present; the reader returns false for a wrong value.
template <typename T, typename Read>
Result<void> field(const Value& obj, const std::string& path, const char* key, T& out,
                   const std::string& expected, Read read) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return {};
  if (!read(it->value, out)) return faultError(path + "." + key, expected);
  return {};
}

auto rate() {
  return [](const Value& v, double& out) {
    if (!v.IsNumber() || v.GetDouble() < 0 || v.GetDouble() > 1) return false;
    out = v.GetDouble();
    return true;
  };
}

auto millis(std::int64_t hi) {
  return [hi](const Value& v, std::chrono::milliseconds& out) {
    if (!v.IsInt64() || v.GetInt64() < 0 || v.GetInt64() > hi) return false;
    out = std::chrono::milliseconds(v.GetInt64());
    return true;
  };
}

auto count(std::uint64_t lo, std::uint64_t hi) {
  return [lo, hi](const Value& v, std::size_t& out) {
    if (!v.IsUint64() || v.GetUint64() < lo || v.GetUint64() > hi) return false;
    out = static_cast<std::size_t>(v.GetUint64());
    return true;
  };
}

auto id() {
  return [](const Value& v, std::string& out) {
    auto text = idText(v);
    if (!text || !isValidId(*text)) return false;
    out = *text;
    return true;
  };
}

auto ids() {
  return [](const Value& v, std::vector<std::string>& out) {
    if (!v.IsArray()) return false;
    out.clear();
    for (const auto& item : v.GetArray()) {
      auto text = idText(item);
      if (!text || !isValidId(*text)) return false;
      out.push_back(*text);
    }
    return true;
  };
}

std::string bound(std::int64_t lo, std::int64_t hi) {
  return "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
}

constexpr std::int64_t kMaxFaultCount = 1'000'000;

Result<void> parseDelivery(const Value& v, const std::string& path, DeliveryFaults& out) {
  if (!v.IsObject()) return faultError(path, "an object");
  if (auto r = onlyKeys(v, path, kFaultDeliveryKeys); !r) return r;
  const std::string fraction = "a number from 0 to 1";
  const std::string ms = bound(0, kMaxDeliveryMs) + " (milliseconds)";
  Result<void> r;
  if (r = field(v, path, "drop_rate", out.drop_rate, fraction, rate()); !r) return r;
  if (r = field(v, path, "duplicate_rate", out.duplicate_rate, fraction, rate()); !r) return r;
  if (r = field(v, path, "retry_jitter", out.retry_jitter, fraction, rate()); !r) return r;
  if (r = field(v, path, "delay_ms", out.delay, ms, millis(kMaxDeliveryMs)); !r) return r;
  if (r = field(v, path, "batch_wait_ms", out.batch_wait, ms, millis(kMaxDeliveryMs)); !r) {
    return r;
  }
  if (r = field(v, path, "answer_deadline_ms", out.answer_deadline, ms, millis(kMaxDeliveryMs));
      !r) {
    return r;
  }
  if (r = field(v, path, "reorder_window", out.reorder_window, bound(0, kMaxBatch),
                count(0, kMaxBatch));
      !r) {
    return r;
  }
  if (r = field(v, path, "batch_size", out.batch_size, bound(0, kMaxBatch), count(0, kMaxBatch));
      !r) {
    return r;
  }
  return field(v, path, "apps", out.apps, "an array of app ids (1 to 32 digits)", ids());
}

struct KindName {
  std::string_view name;
  GraphFaultKind kind;
};
constexpr std::array<KindName, 6> kKindNames{
    {{"not_owner", GraphFaultKind::kNotOwner},
     {"rate_limit", GraphFaultKind::kRateLimit},
     {"transient", GraphFaultKind::kTransient},
     {"invalid_token", GraphFaultKind::kInvalidToken},
     {"close_connection", GraphFaultKind::kCloseConnection},
     {"custom", GraphFaultKind::kCustom}}};

Result<GraphFault> parseGraphFault(const Value& v, const std::string& path) {
  if (!v.IsObject()) return faultError(path, "an object");
  if (auto r = onlyKeys(v, path, kGraphFaultKeys); !r) return std::move(r).error();
  GraphFault f;
  if (auto it = v.FindMember("method"); it != v.MemberEnd()) {
    const std::string m = it->value.IsString() ? it->value.GetString() : "";
    if (m != "GET" && m != "POST" && m != "DELETE") {
      return faultError(path + ".method", "\"GET\", \"POST\" or \"DELETE\"");
    }
    f.method = m;
  }
  if (auto it = v.FindMember("edge"); it != v.MemberEnd()) {
    if (!it->value.IsString() || !isValidText(it->value.GetString(), 64)) {
      return faultError(path + ".edge", "a string such as \"pass_thread_control\"");
    }
    f.edge = it->value.GetString();
  }
  if (auto it = v.FindMember("path"); it != v.MemberEnd()) {
    if (!it->value.IsString() || it->value.GetString()[0] != '/' ||
        !isValidText(it->value.GetString(), 256)) {
      return faultError(path + ".path", "a path starting with /, such as \"/me/messages\"");
    }
    f.path = it->value.GetString();
  }
  Result<void> r;
  if (r = field(v, path, "app_id", f.app_id, "an app id (1 to 32 digits)", id()); !r) {
    return std::move(r).error();
  }
  if (r = field(v, path, "count", f.count, bound(1, kMaxFaultCount), count(1, kMaxFaultCount));
      !r) {
    return std::move(r).error();
  }
  auto kind = v.FindMember("error");
  std::string names;
  for (const auto& k : kKindNames) names += (names.empty() ? "" : ", ") + std::string(k.name);
  if (kind == v.MemberEnd()) return faultError(path + ".error", "one of " + names);
  bool known = false;
  for (const auto& k : kKindNames) {
    if (kind->value.IsString() && k.name == kind->value.GetString()) {
      f.kind = k.kind;
      known = true;
    }
  }
  if (!known) return faultError(path + ".error", "one of " + names);
  auto seconds = [](const Value& x, std::chrono::seconds& out) {
    if (!x.IsInt64() || x.GetInt64() < 0 || x.GetInt64() > 86400) return false;
    out = std::chrono::seconds(x.GetInt64());
    return true;
  };
  if (r = field(v, path, "retry_after_s", f.retry_after, bound(0, 86400), seconds); !r) {
    return std::move(r).error();
  }
  auto integer = [](std::int64_t lo, std::int64_t hi) {
    return [lo, hi](const Value& x, int& out) {
      if (!x.IsInt64() || x.GetInt64() < lo || x.GetInt64() > hi) return false;
      out = static_cast<int>(x.GetInt64());
      return true;
    };
  };
  const bool custom = f.kind == GraphFaultKind::kCustom;
  for (const char* key : {"status", "code", "subcode", "message"}) {
    if (!custom && v.HasMember(key)) {
      return faultError(path + "." + key, std::string("no \"") + key +
                                              "\" unless \"error\" is \"custom\" (the named "
                                              "errors carry their own)");
    }
  }
  if (custom) {
    if (!v.HasMember("code")) return faultError(path + ".code", "a Graph error code");
    if (r = field(v, path, "status", f.http_status, bound(400, 599), integer(400, 599)); !r) {
      return std::move(r).error();
    }
    if (r = field(v, path, "code", f.code, bound(1, 99999999), integer(1, 99999999)); !r) {
      return std::move(r).error();
    }
    if (r = field(v, path, "subcode", f.subcode, bound(0, 99999999), integer(0, 99999999)); !r) {
      return std::move(r).error();
    }
    auto text = [](const Value& x, std::string& out) {
      if (!x.IsString() || !isValidText(x.GetString(), 2000)) return false;
      out = x.GetString();
      return true;
    };
    if (r = field(v, path, "message", f.message, "a string of at most 2000 characters", text); !r) {
      return std::move(r).error();
    }
    if (f.message.empty()) f.message = "(#" + std::to_string(f.code) + ") Injected error";
  }
  return f;
}

constexpr std::array<int, 7> kThrottleCodes{4, 17, 32, 613, 80001, 80002, 80006};

Result<RateLimit> parseRateLimit(const Value& v, const std::string& path) {
  if (!v.IsObject()) return faultError(path, "an object");
  if (auto r = onlyKeys(v, path, kRateLimitKeys); !r) return std::move(r).error();
  RateLimit l;
  Result<void> r;
  if (r = field(v, path, "app_id", l.app_id, "an app id (1 to 32 digits)", id()); !r) {
    return std::move(r).error();
  }
  if (!v.HasMember("calls")) return faultError(path + ".calls", bound(1, kMaxFaultCount));
  if (r = field(v, path, "calls", l.calls, bound(1, kMaxFaultCount), count(1, kMaxFaultCount));
      !r) {
    return std::move(r).error();
  }
  if (r = field(v, path, "window_ms", l.window, bound(1, kMaxDeliveryMs),
                [](const Value& x, std::chrono::milliseconds& out) {
                  if (!x.IsInt64() || x.GetInt64() < 1 || x.GetInt64() > kMaxDeliveryMs) {
                    return false;
                  }
                  out = std::chrono::milliseconds(x.GetInt64());
                  return true;
                });
      !r) {
    return std::move(r).error();
  }
  if (r = field(v, path, "code", l.code, "a throttling code: 4, 17, 32, 613, 80001, 80002 or 80006",
                [](const Value& x, int& out) {
                  if (!x.IsInt()) return false;
                  for (int c : kThrottleCodes) {
                    if (c == x.GetInt()) out = c;
                  }
                  return out == x.GetInt();
                });
      !r) {
    return std::move(r).error();
  }
  return l;
}

Result<LeadGenRouting> parseLeadGen(const Value& v, const std::string& path) {
  if (!v.IsObject()) return faultError(path, "an object");
  if (auto r = onlyKeys(v, path, kLeadGenKeys); !r) return std::move(r).error();
  LeadGenRouting l;
  for (const char* key : {"page_id", "target_app_id"}) {
    if (!v.HasMember(key)) return faultError(path + "." + key, "an id (1 to 32 digits)");
  }
  Result<void> r;
  if (r = field(v, path, "page_id", l.page_id, "a page id (1 to 32 digits)", id()); !r) {
    return std::move(r).error();
  }
  if (r = field(v, path, "target_app_id", l.target_app_id, "an app id (1 to 32 digits)", id());
      !r) {
    return std::move(r).error();
  }
  if (r = field(v, path, "complete", l.complete, "true or false",
                [](const Value& x, bool& out) {
                  if (!x.IsBool()) return false;
                  out = x.GetBool();
                  return true;
                });
      !r) {
    return std::move(r).error();
  }
  return l;
}

template <typename T, typename Parse>
Result<void> list(const Value& obj, const std::string& path, const char* key, std::vector<T>& out,
                  Parse parse) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return {};
  if (!it->value.IsArray()) return faultError(path + "." + key, "an array");
  if (it->value.Size() > kMaxFaultRules) {
    return faultError(path + "." + key,
                      "an array of at most " + std::to_string(kMaxFaultRules) + " rules");
  }
  std::size_t i = 0;
  for (const auto& item : it->value.GetArray()) {
    auto parsed = parse(item, path + "." + key + "[" + std::to_string(i++) + "]");
    if (!parsed) return std::move(parsed).error();
    out.push_back(std::move(*parsed));
  }
  return {};
}

}  // namespace

Result<Faults> parseFaultsValue(const rapidjson::Value& v, const std::string& path) {
  if (!v.IsObject()) return faultError(path, "an object");
  if (auto r = onlyKeys(v, path, kFaultKeys); !r) return std::move(r).error();
  Faults f;
  if (auto it = v.FindMember("seed"); it != v.MemberEnd()) {
    if (!it->value.IsUint64()) return faultError(path + ".seed", "a whole number");
    f.seed = it->value.GetUint64();
  }
  if (auto it = v.FindMember("delivery"); it != v.MemberEnd()) {
    if (auto r = parseDelivery(it->value, path + ".delivery", f.delivery); !r) {
      return std::move(r).error();
    }
  }
  if (auto r = list(v, path, "graph", f.graph, parseGraphFault); !r) return std::move(r).error();
  if (auto r = list(v, path, "rate_limits", f.rate_limits, parseRateLimit); !r) {
    return std::move(r).error();
  }
  if (auto r = list(v, path, "lead_gen", f.lead_gen, parseLeadGen); !r) {
    return std::move(r).error();
  }
  if (auto r = field(v, path, "handover_disabled_pages", f.handover_disabled_pages,
                     "an array of page ids (1 to 32 digits)", ids());
      !r) {
    return std::move(r).error();
  }
  return f;
}

const char* toString(GraphFaultKind kind) noexcept {
  for (const auto& k : kKindNames) {
    if (k.kind == kind) return k.name.data();
  }
  return "custom";
}

}  // namespace detail

Result<Faults> parseFaults(std::string_view json, std::string_view where) {
  rapidjson::Document doc;
  detail::parseJson(doc, json);
  if (doc.HasParseError()) {
    Error e = detail::faultError(
        std::string(where), std::string("valid JSON (") +
                                rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                std::to_string(doc.GetErrorOffset()) + ")");
    e.offset = doc.GetErrorOffset();
    return e;
  }
  return detail::parseFaultsValue(doc, std::string(where));
}

std::string faultsJson(const Faults& f) {
  using detail::JsonWriter;
  using detail::writeString;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  auto ids = [&w](const std::vector<std::string>& list) {
    w.StartArray();
    for (const auto& s : list) writeString(w, s);
    w.EndArray();
  };
  w.StartObject();
  w.Key("seed");
  w.Uint64(f.seed);
  const DeliveryFaults& d = f.delivery;
  w.Key("delivery");
  w.StartObject();
  w.Key("drop_rate");
  w.Double(d.drop_rate);
  w.Key("duplicate_rate");
  w.Double(d.duplicate_rate);
  w.Key("delay_ms");
  w.Int64(d.delay.count());
  w.Key("reorder_window");
  w.Uint64(d.reorder_window);
  w.Key("batch_size");
  w.Uint64(d.batch_size);
  w.Key("batch_wait_ms");
  w.Int64(d.batch_wait.count());
  w.Key("answer_deadline_ms");
  w.Int64(d.answer_deadline.count());
  w.Key("retry_jitter");
  w.Double(d.retry_jitter);
  w.Key("apps");
  ids(d.apps);
  w.EndObject();
  w.Key("graph");
  w.StartArray();
  for (const auto& g : f.graph) {
    w.StartObject();
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"method", &g.method},
                              {"edge", &g.edge},
                              {"path", &g.path},
                              {"app_id", &g.app_id}}) {
      if (value->empty()) continue;
      w.Key(key);
      writeString(w, *value);
    }
    w.Key("count");  // what is left of it
    w.Uint64(g.count);
    w.Key("error");
    w.String(detail::toString(g.kind));
    if (g.kind == GraphFaultKind::kRateLimit) {
      w.Key("retry_after_s");
      w.Int64(g.retry_after.count());
    }
    if (g.kind == GraphFaultKind::kCustom) {
      w.Key("status");
      w.Int(g.http_status);
      w.Key("code");
      w.Int(g.code);
      w.Key("subcode");
      w.Int(g.subcode);
      w.Key("message");
      writeString(w, g.message);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("rate_limits");
  w.StartArray();
  for (const auto& l : f.rate_limits) {
    w.StartObject();
    if (!l.app_id.empty()) {
      w.Key("app_id");
      writeString(w, l.app_id);
    }
    w.Key("calls");
    w.Uint64(l.calls);
    w.Key("window_ms");
    w.Int64(l.window.count());
    w.Key("code");
    w.Int(l.code);
    w.EndObject();
  }
  w.EndArray();
  w.Key("handover_disabled_pages");
  ids(f.handover_disabled_pages);
  w.Key("lead_gen");
  w.StartArray();
  for (const auto& l : f.lead_gen) {
    w.StartObject();
    w.Key("page_id");
    writeString(w, l.page_id);
    w.Key("target_app_id");
    writeString(w, l.target_app_id);
    w.Key("complete");
    w.Bool(l.complete);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
