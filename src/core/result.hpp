// su::Result<T>: a T or an su::Error. g++ 12 at C++20 has no std::expected.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace su {

namespace detail {
// Reading the value of a failed Result (or the error of a successful one) is a bug in the
// caller; it aborts with the error's text instead of running on with garbage.
[[noreturn]] void failedResultAccess(const Error* error);
}  // namespace detail

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
      Result(U&& value)  // NOLINT: `return "text";` for Result<std::string>
      : storage_(std::in_place_index<0>, T(std::forward<U>(value))) {}
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    check();
    return std::get<0>(storage_);
  }
  const T& value() const& {
    check();
    return std::get<0>(storage_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(storage_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    if (ok()) detail::failedResultAccess(nullptr);
    return std::get<1>(storage_);
  }

 private:
  void check() const {
    if (!ok()) detail::failedResultAccess(&std::get<1>(storage_));
  }

  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const {
    if (!failed_) detail::failedResultAccess(nullptr);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace su
