#pragma once
// RapidJSON helpers for Graph responses: bounded iterative parsing and type-checked field access
// that records the first mismatch instead of trusting the server.

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "handover/core/error.hpp"
#include "response_limits.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// Parses `body` into `doc`. A kParse error (with the offset) when it is not JSON or too big.
std::optional<Error> parseJson(std::string_view body, rapidjson::Document& doc);

/// Reads fields of JSON objects; a present field of the wrong type is remembered as an error.
/// Missing fields and JSON null read as "absent".
class FieldReader {
 public:
  explicit FieldReader(std::string what) : what_(std::move(what)) {}

  /// An id: a JSON string, or a non-negative integer rendered in decimal (never via double).
  std::optional<std::string> id(const rapidjson::Value& object, const char* name);
  std::optional<std::string> string(const rapidjson::Value& object, const char* name);
  std::optional<std::int64_t> int64(const rapidjson::Value& object, const char* name);
  std::optional<bool> boolean(const rapidjson::Value& object, const char* name);
  const rapidjson::Value* object(const rapidjson::Value& object, const char* name);
  const rapidjson::Value* array(const rapidjson::Value& object, const char* name);

  /// Records a shape error found by the caller.
  void fail(const std::string& message);
  bool ok() const noexcept { return !error_; }
  /// The first error (kParse). Precondition: `!ok()`.
  const Error& error() const { return *error_; }

 private:
  const rapidjson::Value* find(const rapidjson::Value& object, const char* name);
  void mismatch(const char* name, const char* expected);

  std::string what_;
  std::optional<Error> error_;
};

}  // namespace detail
HANDOVER_END_NAMESPACE
