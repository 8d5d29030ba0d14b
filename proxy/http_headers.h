#pragma once
// HttpHeaders: the header section of one HTTP message as an ordered list of
// (name, value) field lines, the form every caching rule in proxy/ works on.
// The Beast glue converts to and from it; nothing here knows about sockets.
//
// Contract:
//  - Field names compare ASCII case-insensitively (RFC 9110 §5.1); the
//    spelling of the first insertion is kept for output.
//  - Order of field lines is preserved (RFC 9110 §5.3: order of lines with the
//    same name is significant for list-based fields).
//  - Values are stored as given; callers trim nothing. Lookups return views
//    into the container, valid until the next mutation.
//  - No exceptions beyond std::bad_alloc; lookups are O(number of lines).
//  - Not thread safe for concurrent mutation; concurrent const use is fine.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgecache::proxy {

struct HttpField {
  std::string name;
  std::string value;
  friend bool operator==(const HttpField&, const HttpField&) = default;
};

class HttpHeaders {
 public:
  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<HttpField> fields) : fields_(fields) {}

  // Appends a field line (never merges with existing lines).
  void add(std::string_view name, std::string_view value);
  // Replaces every line named `name` by one line with `value`, at the
  // position of the first existing line (or appended when absent).
  void set(std::string_view name, std::string_view value);
  // Removes every line named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);

  bool has(std::string_view name) const;
  // Value of the first line named `name`.
  std::optional<std::string_view> get(std::string_view name) const;
  // Values of every line named `name`, in order.
  std::vector<std::string_view> getAll(std::string_view name) const;
  // All lines combined as RFC 9110 §5.3 allows ("a, b"); nullopt if absent.
  std::optional<std::string> combined(std::string_view name) const;
  // Members of a list-based field across all its lines: split on commas
  // outside quoted strings, OWS-trimmed, empty members dropped (RFC 9110 §5.6.1).
  std::vector<std::string_view> listMembers(std::string_view name) const;
  // True when some list member of `name` equals `token` case-insensitively.
  bool hasToken(std::string_view name, std::string_view token) const;

  const std::vector<HttpField>& fields() const noexcept { return fields_; }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }

  friend bool operator==(const HttpHeaders&, const HttpHeaders&) = default;

 private:
  std::vector<HttpField> fields_;
};

// ASCII case-insensitive equality (field names, tokens, directive names).
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;
// ASCII lower-casing.
std::string toLowerAscii(std::string_view s);
// Strips leading/trailing optional whitespace (SP / HTAB, RFC 9110 §5.6.3).
std::string_view trimOws(std::string_view s) noexcept;
// Splits one field value on commas that are outside quoted strings
// (RFC 9110 §5.6.4 quoting, backslash quoted-pairs honoured), trims OWS and
// drops empty members. An unterminated quote runs to the end of the value.
std::vector<std::string_view> splitList(std::string_view value);
// Removes the surrounding quotes and quoted-pair backslashes of a
// quoted-string; returns the input unchanged when it is not quoted.
std::string unquote(std::string_view s);
// tchar per RFC 9110 §5.6.2.
bool isTokenChar(char c) noexcept;
bool isToken(std::string_view s) noexcept;

}  // namespace edgecache::proxy
