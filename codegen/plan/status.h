// Errors as values: a Status (code + message) and Expected<T> (a value or a Status).
// The codes mirror pj_status of the public C API, one to one.
#pragma once

#include <charconv>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace pj {

enum class Code : int {
  kOk = 0,
  kInvalidArgument,
  kOutOfRange,
  kUnimplemented,
  kResourceExhausted,
  kInternal,
};

namespace detail {
// One part of cat(): numbers through to_chars and text appended directly (kernel names are
// made on every compile), anything else through its ostream operator.
template <typename T>
void append_part(std::string& out, const T& part) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>) {
    char buffer[24];
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, part).ptr);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out.append(std::string_view(part));
  } else if constexpr (std::is_same_v<T, char>) {
    out.push_back(part);
  } else {
    std::ostringstream stream;
    stream << part;
    out.append(stream.str());
  }
}
}  // namespace detail

// Concatenates anything that has an ostream operator, as absl::StrCat does in TensorFlow.
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (detail::append_part(out, parts), ...);
  return out;
}

// An ok Status holds nothing but its code (the message lives out of line), so that the checks
// of a cache-hit create cost next to nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message)
      : code_(code), message_(code == Code::kOk ? nullptr : std::make_unique<std::string>(std::move(message))) {}
  Status(const Status& other)
      : code_(other.code_), message_(other.message_ ? std::make_unique<std::string>(*other.message_) : nullptr) {}
  Status(Status&&) noexcept = default;
  Status& operator=(const Status& other) {
    if (this != &other) *this = Status(other);
    return *this;
  }
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return {}; }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const {
    static const std::string kNone;
    return message_ ? *message_ : kNone;
  }

 private:
  Code code_ = Code::kOk;
  std::unique_ptr<std::string> message_;
};

template <typename... Parts>
Status InvalidArgument(const Parts&... parts) {
  return {Code::kInvalidArgument, cat(parts...)};
}
template <typename... Parts>
Status OutOfRange(const Parts&... parts) {
  return {Code::kOutOfRange, cat(parts...)};
}
template <typename... Parts>
Status Unimplemented(const Parts&... parts) {
  return {Code::kUnimplemented, cat(parts...)};
}
template <typename... Parts>
Status ResourceExhausted(const Parts&... parts) {
  return {Code::kResourceExhausted, cat(parts...)};
}
template <typename... Parts>
Status Internal(const Parts&... parts) {
  return {Code::kInternal, cat(parts...)};
}

// A value or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}
  Expected(Status status) : state_(std::move(status)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(state_);
  }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace pj

// Returns early from the enclosing function when a Status is not ok.
#define PJ_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::pj::Status pj_status_ = (expr);        \
    if (!pj_status_.ok()) return pj_status_; \
  } while (0)
