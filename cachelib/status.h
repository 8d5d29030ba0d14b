#pragma once
// Status / Result<T>: how expected failures (parse errors, I/O, bad input)
// travel in edgecache without exceptions. The message is one line that names
// the file, line/record and field when there is one.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgecache::cachelib {

// Untrusted text quoted in an error message (a token, key or header from a
// file or a request): at most `maxBytes` bytes (then "..."), control
// characters as '?', so the message stays one line whatever the input holds.
inline std::string printable(std::string_view text, std::size_t maxBytes = std::string_view::npos) {
  const bool cut = text.size() > maxBytes;
  std::string out(text.substr(0, maxBytes));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (cut) out += "...";
  return out;
}

class [[nodiscard]] Status {
 public:
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool isOk() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  const std::string& message() const noexcept { return message_; }

 private:
  Status() = default;
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

// Either a value or an error message. Accessing value() of an error is a
// programming bug (checked by assert-free std::get, which throws).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must be an error status

  static Result error(std::string message) { return Result(Status::error(std::move(message))); }

  bool isOk() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return isOk(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const std::string& message() const {
    static const std::string kEmpty;
    return isOk() ? kEmpty : std::get<1>(v_).message();
  }
  Status status() const { return isOk() ? Status::ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edgecache::cachelib
