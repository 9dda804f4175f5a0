#pragma once
// How the emulator reads Graph requests and writes Graph answers: parameters from a JSON body or
// query/form fields, the `{"error":{...}}` body, cursor paging. Internal (not installed).

#include <httplib.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <optional>
#include <string>

#include "handover/core/result.hpp"
#include "json_util.hpp"
#include "validation.hpp"
#include "world.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

inline std::string errorBody(const Error& e) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  writeString(w, e.message);
  w.Key("type");
  writeString(w, e.type.empty() ? "EmulatorError" : e.type);
  w.Key("code");
  w.Int(e.code);
  if (e.subcode != 0) {
    w.Key("error_subcode");
    w.Int(e.subcode);
  }
  if (e.is_transient) {
    w.Key("is_transient");
    w.Bool(*e.is_transient);
  }
  if (!e.fbtrace_id.empty()) {
    w.Key("fbtrace_id");
    writeString(w, e.fbtrace_id);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// A query parameter that must be a whole number (absent: `fallback`), or nothing when it is not.
inline std::optional<std::uint64_t> wholeParam(const httplib::Request& req, const char* name,
                                               std::uint64_t fallback = 0) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  if (v.empty() || v.size() > 19 ||
      !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoull(v);
}

// Request parameters the way Graph reads them: a JSON body, or query/form params whose object
// values are JSON-encoded text (protocol.md §2.1).
class Params {
 public:
  explicit Params(const httplib::Request& req) : req_(req) {
    const auto& ct = req.get_header_value("Content-Type");
    if (!req.body.empty() && (ct.find("json") != std::string::npos || req.body[0] == '{')) {
      parseJson(doc_, req.body);
      json_ok_ = !doc_.HasParseError() && doc_.IsObject();
      if (json_ok_) repeated_ = repeatedKey(doc_);
      json_ok_ = json_ok_ && !repeated_;
      json_bad_ = !json_ok_;
    }
  }
  bool badJson() const { return json_bad_; }
  /// A key the JSON body repeats (the body is then `badJson()` too).
  const std::optional<std::string>& repeatedJsonKey() const { return repeated_; }

  const rapidjson::Value* json(const char* name) const {
    if (!json_ok_) return nullptr;
    auto it = doc_.FindMember(name);
    return it == doc_.MemberEnd() ? nullptr : &it->value;
  }
  /// A scalar parameter as text; objects are returned as their JSON text.
  std::optional<std::string> get(const char* name) const {
    if (const auto* v = json(name)) {
      if (v->IsNull()) return std::nullopt;
      if (auto id = idText(*v)) return id;
      if (v->IsBool()) return std::string(v->GetBool() ? "true" : "false");
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      v->Accept(w);
      return std::string(buf.GetString(), buf.GetSize());
    }
    if (req_.has_param(name)) return req_.get_param_value(name);
    return std::nullopt;
  }
  /// A form or query parameter that is not valid UTF-8 (JSON bodies are checked as parsed).
  std::optional<std::string> badParam() const {
    for (const auto& [name, value] : req_.params) {
      if (!isValidUtf8(name) || !isValidUtf8(value)) return isValidUtf8(name) ? name : "(name)";
    }
    return std::nullopt;
  }
  /// `recipient`: an object `{"id": ...}` (POST edges) or, with `allow_plain`, a bare id.
  Result<std::string> recipient(bool allow_plain) const {
    rapidjson::Document parsed;
    const rapidjson::Value* obj = json("recipient");
    if (!obj) {
      if (!req_.has_param("recipient")) {
        return graphError(100, 0, "(#100) The parameter recipient is required");
      }
      const std::string text = req_.get_param_value("recipient");
      if (allow_plain && !text.empty() && text[0] != '{') return checkedId(text);
      parseJson(parsed, text);
      if (parsed.HasParseError()) {
        return graphError(100, 0, "(#100) param recipient must be a JSON object");
      }
      obj = &parsed;
    }
    if (allow_plain) {
      if (auto id = idText(*obj)) return checkedId(*id);
    }
    // FN1 lists "recipient as a string instead of an object" as a real failure: refuse it.
    if (!obj->IsObject()) {
      return graphError(100, 0, "(#100) param recipient must be a JSON object");
    }
    auto it = obj->FindMember("id");
    if (it == obj->MemberEnd() || !idText(it->value) || idText(it->value)->empty()) {
      return graphError(100, 0, "(#100) param recipient[id] must be a valid id");
    }
    return checkedId(*idText(it->value));
  }

 private:
  static Result<std::string> checkedId(std::string id) {
    if (!isValidId(id)) return graphError(100, 2018001, "(#100) No matching user found");
    return id;
  }

  const httplib::Request& req_;
  rapidjson::Document doc_;
  bool json_ok_ = false;
  std::optional<std::string> repeated_;
  bool json_bad_ = false;
};

inline std::string successBody() {
  return "{\"success\":true}";
}

// Graph-style cursor paging over a list; cursors are plain indexes (opaque to clients).
struct PageRange {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t total = 0;
  std::size_t limit = 25;
};

inline Result<PageRange> paginate(std::size_t total, const Params& params) {
  PageRange r;
  r.total = total;
  auto number = [](const std::string& text, std::size_t& out) {
    if (text.empty() || text.size() > 9) return false;
    for (char ch : text) {
      if (ch < '0' || ch > '9') return false;
    }
    out = static_cast<std::size_t>(std::stoul(text));
    return true;
  };
  if (auto l = params.get("limit")) {
    if (!number(*l, r.limit) || r.limit == 0) {
      return graphError(100, 0, "(#100) param limit must be a positive integer");
    }
  }
  if (auto a = params.get("after")) {
    if (!number(*a, r.begin) || r.begin > total) {
      return graphError(100, 0, "(#100) Invalid cursor");
    }
  }
  r.end = std::min(total, r.begin + r.limit);
  return r;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
