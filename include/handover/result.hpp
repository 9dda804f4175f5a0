#pragma once
/// @file
/// `Result<T>`: a value or an `Error`, shaped like C++23 `std::expected<T, Error>`.

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "handover/error.hpp"

namespace handover {

/// A value of type `T` or an `Error`. `value()` throws `handover::Exception` on error.
///
/// Thread-safety: like any value type; distinct objects may be used from distinct threads.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws `Exception` carrying the error when there is none.
  T& value() & {
    throwIfError();
    return std::get<0>(state_);
  }
  const T& value() const& {
    throwIfError();
    return std::get<0>(state_);
  }
  T&& value() && {
    throwIfError();
    return std::get<0>(std::move(state_));
  }

  /// The error. Precondition: `!has_value()`.
  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }
  T& operator*() & { return std::get<0>(state_); }
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
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  /// Throws `Exception` when this is an error.
  void value() const {
    if (error_) throw Exception(*error_);
  }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

}  // namespace handover
