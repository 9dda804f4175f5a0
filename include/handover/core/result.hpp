#pragma once
/// @file
/// `Result<T>`: a value or an `Error`, shaped like C++23 `std::expected<T, Error>`.

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "handover/core/error.hpp"
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE

/// A value of type `T` or an `Error`. `value()` throws `handover::Exception` on error.
///
/// Thread-safety: like any value type; distinct objects may be used from distinct threads.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;  ///< The success type, as in `std::expected`.

  /// A success holding `value` (implicit, so a function may `return value;`).
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  /// A failure holding `error` (implicit, so a function may `return error;`).
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  /// True on success.
  bool has_value() const noexcept { return state_.index() == 0; }
  /// True on success, so `if (auto r = client.call(...))` tests for success.
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws `Exception` carrying the error when there is none.
  T& value() & {
    throwIfError();
    return std::get<0>(state_);
  }
  /// The value; throws `Exception` carrying the error when there is none.
  const T& value() const& {
    throwIfError();
    return std::get<0>(state_);
  }
  /// The value, moved out; throws `Exception` carrying the error when there is none.
  T&& value() && {
    throwIfError();
    return std::get<0>(std::move(state_));
  }

  /// The error. Precondition: `!has_value()`.
  const Error& error() const& { return std::get<1>(state_); }
  /// The error, moved out (to return it from a caller). Precondition: `!has_value()`.
  Error&& error() && { return std::get<1>(std::move(state_)); }

  /// A copy of the value, or `fallback` converted to `T` on error. Never throws `Exception`.
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// Member access to the value. Precondition: `has_value()` (else `std::bad_variant_access`).
  T* operator->() { return &std::get<0>(state_); }
  /// Member access to the value. Precondition: `has_value()` (else `std::bad_variant_access`).
  const T* operator->() const { return &std::get<0>(state_); }
  /// The value. Precondition: `has_value()` (else `std::bad_variant_access`).
  T& operator*() & { return std::get<0>(state_); }
  /// The value. Precondition: `has_value()` (else `std::bad_variant_access`).
  const T& operator*() const& { return std::get<0>(state_); }

 private:
  void throwIfError() const {
    if (!has_value()) throw Exception(std::get<1>(state_));
  }
  std::variant<T, Error> state_;
};

/// `Result<void>`: success or an `Error`.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;  ///< No value: success carries nothing.

  /// Success.
  Result() = default;
  /// A failure holding `error` (implicit, so a function may `return error;`).
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  /// True on success.
  bool has_value() const noexcept { return !error_.has_value(); }
  /// True on success.
  explicit operator bool() const noexcept { return has_value(); }
  /// Throws `Exception` when this is an error.
  void value() const {
    if (error_) throw Exception(*error_);
  }
  /// The error. Precondition: `!has_value()`.
  const Error& error() const& { return *error_; }
  /// The error, moved out. Precondition: `!has_value()`.
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

HANDOVER_END_NAMESPACE
