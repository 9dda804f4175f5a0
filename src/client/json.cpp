#include "json.hpp"

#include <rapidjson/error/en.h>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

std::optional<Error> parseJson(std::string_view body, rapidjson::Document& doc) {
  Error e;
  e.category = ErrorCategory::kParse;
  if (body.size() > kMaxResponseBytes) {
    e.message = "response body of " + std::to_string(body.size()) + " bytes exceeds the limit";
    return e;
  }
  // Iterative parsing: deeply nested input cannot exhaust the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (!doc.HasParseError()) return std::nullopt;
  e.message = std::string("response body is not valid JSON: ") +
              rapidjson::GetParseError_En(doc.GetParseError());
  e.offset = doc.GetErrorOffset();
  return e;
}

const rapidjson::Value* FieldReader::find(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

void FieldReader::mismatch(const char* name, const char* expected) {
  fail(std::string("field '") + name + "' is not " + expected);
}

void FieldReader::fail(const std::string& message) {
  if (error_) return;
  Error e;
  e.category = ErrorCategory::kParse;
  e.message = what_ + ": " + message;
  error_ = std::move(e);
}

std::optional<std::string> FieldReader::id(const rapidjson::Value& object, const char* name) {
  const auto* v = find(object, name);
  if (v == nullptr) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  mismatch(name, "an id (string or non-negative integer)");
  return std::nullopt;
}

std::optional<std::string> FieldReader::string(const rapidjson::Value& object, const char* name) {
  const auto* v = find(object, name);
  if (v == nullptr) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  mismatch(name, "a string");
  return std::nullopt;
}

std::optional<std::int64_t> FieldReader::int64(const rapidjson::Value& object, const char* name) {
  const auto* v = find(object, name);
  if (v == nullptr) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  mismatch(name, "an integer");
  return std::nullopt;
}

std::optional<bool> FieldReader::boolean(const rapidjson::Value& object, const char* name) {
  const auto* v = find(object, name);
  if (v == nullptr) return std::nullopt;
  if (v->IsBool()) return v->GetBool();
  mismatch(name, "a boolean");
  return std::nullopt;
}

const rapidjson::Value* FieldReader::object(const rapidjson::Value& object, const char* name) {
  const auto* v = find(object, name);
  if (v == nullptr) return nullptr;
  if (v->IsObject()) return v;
  mismatch(name, "an object");
  return nullptr;
}

const rapidjson::Value* FieldReader::array(const rapidjson::Value& object, const char* name) {
  const auto* v = find(object, name);
  if (v == nullptr) return nullptr;
  if (v->IsArray()) return v;
  mismatch(name, "an array");
  return nullptr;
}

}  // namespace detail
HANDOVER_END_NAMESPACE
