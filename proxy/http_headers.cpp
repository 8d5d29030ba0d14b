#include "proxy/http_headers.h"

#include <algorithm>

namespace edgecache::proxy {

namespace {
char lowerAscii(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

std::string toLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lowerAscii(c);
  return out;
}

std::string_view trimOws(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> splitList(std::string_view value) {
  std::vector<std::string_view> out;
  bool inQuote = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || (!inQuote && value[i] == ',')) {
      auto member = trimOws(value.substr(start, i - start));
      if (!member.empty()) out.push_back(member);
      start = i + 1;
      continue;
    }
    if (value[i] == '"') {
      inQuote = !inQuote;
    } else if (inQuote && value[i] == '\\' && i + 1 < value.size()) {
      ++i;  // quoted-pair: the next octet is literal (could be '"').
    }
  }
  return out;
}

std::string unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  std::string out;
  out.reserve(s.size() - 2);
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

bool isTokenChar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

void HttpHeaders::add(std::string_view name, std::string_view value) {
  fields_.push_back(HttpField{std::string(name), std::string(value)});
}

void HttpHeaders::set(std::string_view name, std::string_view value) {
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [&](const HttpField& f) { return equalsIgnoreCase(f.name, name); });
  if (first == fields_.end()) {
    add(name, value);
    return;
  }
  first->value = std::string(value);
  auto firstIndex = static_cast<std::size_t>(first - fields_.begin());
  std::size_t write = firstIndex + 1;
  for (std::size_t read = firstIndex + 1; read < fields_.size(); ++read) {
    if (equalsIgnoreCase(fields_[read].name, name)) continue;
    if (write != read) fields_[write] = std::move(fields_[read]);
    ++write;
  }
  fields_.resize(write);
}

std::size_t HttpHeaders::remove(std::string_view name) {
  auto before = fields_.size();
  std::erase_if(fields_, [&](const HttpField& f) { return equalsIgnoreCase(f.name, name); });
  return before - fields_.size();
}

bool HttpHeaders::has(std::string_view name) const { return get(name).has_value(); }

std::optional<std::string_view> HttpHeaders::get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (equalsIgnoreCase(f.name, name)) return std::string_view(f.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> HttpHeaders::getAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (equalsIgnoreCase(f.name, name)) out.emplace_back(f.value);
  }
  return out;
}

std::optional<std::string> HttpHeaders::combined(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& f : fields_) {
    if (!equalsIgnoreCase(f.name, name)) continue;
    if (!out) {
      out = f.value;
    } else {
      out->append(", ");
      out->append(f.value);
    }
  }
  return out;
}

std::vector<std::string_view> HttpHeaders::listMembers(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (!equalsIgnoreCase(f.name, name)) continue;
    auto members = splitList(f.value);
    out.insert(out.end(), members.begin(), members.end());
  }
  return out;
}

bool HttpHeaders::hasToken(std::string_view name, std::string_view token) const {
  for (auto m : listMembers(name)) {
    if (equalsIgnoreCase(m, token)) return true;
  }
  return false;
}

}  // namespace edgecache::proxy
