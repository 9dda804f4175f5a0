#pragma once
// JSON request bodies: a thin layer over RapidJSON's Writer.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// Builds one JSON object; `finish()` closes it and returns the text.
class JsonBody {
 public:
  JsonBody(const JsonBody&) = delete;  // the writer points into this object's buffer
  JsonBody& operator=(const JsonBody&) = delete;
  JsonBody() : writer_(buffer_) { writer_.StartObject(); }

  JsonBody& field(const char* name, const std::string& value) {
    writer_.Key(name);
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  JsonBody& field(const char* name, const char* value) { return field(name, std::string(value)); }
  JsonBody& field(const char* name, std::int64_t value) {
    writer_.Key(name);
    writer_.Int64(value);
    return *this;
  }
  JsonBody& boolean(const char* name, bool value) {
    writer_.Key(name);
    writer_.Bool(value);
    return *this;
  }
  /// Omits the field when `value` is empty: Graph treats absent and empty differently.
  JsonBody& optionalField(const char* name, const std::string& value) {
    return value.empty() ? *this : field(name, value);
  }
  JsonBody& beginObject(const char* name) {
    writer_.Key(name);
    writer_.StartObject();
    return *this;
  }
  JsonBody& endObject() {
    writer_.EndObject();
    return *this;
  }
  /// `"recipient":{"id":"..."}`: an object on every POST edge (protocol §2.1).
  JsonBody& recipient(const std::string& id) {
    return beginObject("recipient").field("id", id).endObject();
  }
  std::string finish() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace detail
HANDOVER_END_NAMESPACE
