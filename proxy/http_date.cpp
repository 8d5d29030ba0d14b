#include "proxy/http_date.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A tiny cursor over the date text; every reader fails softly.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ == s_.size(); }
  bool literal(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // Reads exactly n digits.
  std::optional<int> digits(std::size_t n) {
    if (pos_ + n > s_.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    return v;
  }
  std::string_view letters() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && ((s_[pos_] >= 'a' && s_[pos_] <= 'z') || (s_[pos_] >= 'A' && s_[pos_] <= 'Z'))) ++pos_;
    return s_.substr(start, pos_ - start);
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

template <std::size_t N>
bool isOneOf(std::string_view word, const std::array<std::string_view, N>& names) {
  for (auto n : names) {
    if (equalsIgnoreCase(word, n)) return true;
  }
  return false;
}

std::optional<unsigned> monthNumber(std::string_view word) {
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (equalsIgnoreCase(word, kMonths[i])) return i + 1;
  }
  return std::nullopt;
}

// time-of-day = hour ":" minute ":" second (RFC 9110 §5.6.7); second may be
// 60 (leap second), which simply rolls into the next minute.
std::optional<seconds> timeOfDay(Cursor& c) {
  auto h = c.digits(2);
  if (!h || !c.literal(':')) return std::nullopt;
  auto m = c.digits(2);
  if (!m || !c.literal(':')) return std::nullopt;
  auto s = c.digits(2);
  if (!s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return hours(*h) + minutes(*m) + seconds(*s);
}

std::optional<HttpTime> assemble(int y, unsigned mon, int d, seconds tod) {
  if (d < 1 || d > 31) return std::nullopt;
  year_month_day ymd{year(y), month(mon), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return HttpTime(sys_days(ymd).time_since_epoch() + tod);
}

bool gmt(Cursor& c) { return equalsIgnoreCase(c.letters(), "GMT"); }

// "06 Nov 1994 08:49:37 GMT" after "Sun, ".
std::optional<HttpTime> imfFixdateRest(Cursor& c) {
  auto d = c.digits(2);
  if (!d || !c.literal(' ')) return std::nullopt;
  auto mon = monthNumber(c.letters());
  if (!mon || !c.literal(' ')) return std::nullopt;
  auto y = c.digits(4);
  if (!y || !c.literal(' ')) return std::nullopt;
  auto tod = timeOfDay(c);
  if (!tod || !c.literal(' ') || !gmt(c) || !c.done()) return std::nullopt;
  return assemble(*y, *mon, *d, *tod);
}

// "06-Nov-94 08:49:37 GMT" after "Sunday, ".
std::optional<HttpTime> rfc850Rest(Cursor& c, HttpTime now) {
  auto d = c.digits(2);
  if (!d || !c.literal('-')) return std::nullopt;
  auto mon = monthNumber(c.letters());
  if (!mon || !c.literal('-')) return std::nullopt;
  auto yy = c.digits(2);
  if (!yy || !c.literal(' ')) return std::nullopt;
  auto tod = timeOfDay(c);
  if (!tod || !c.literal(' ') || !gmt(c) || !c.done()) return std::nullopt;
  // RFC 9110 §5.6.7: more than 50 years in the future means the past century.
  int nowYear = static_cast<int>(year_month_day(floor<days>(now)).year());
  int y = nowYear - nowYear % 100 + *yy;
  if (y > nowYear + 50) y -= 100;
  if (y <= nowYear - 50) y += 100;
  return assemble(y, *mon, *d, *tod);
}

// "Nov  6 08:49:37 1994" after "Sun ".
std::optional<HttpTime> asctimeRest(Cursor& c) {
  auto mon = monthNumber(c.letters());
  if (!mon || !c.literal(' ')) return std::nullopt;
  std::optional<int> d;
  if (c.literal(' ')) {
    d = c.digits(1);
  } else {
    d = c.digits(2);
  }
  if (!d || !c.literal(' ')) return std::nullopt;
  auto tod = timeOfDay(c);
  if (!tod || !c.literal(' ')) return std::nullopt;
  auto y = c.digits(4);
  if (!y || !c.done()) return std::nullopt;
  return assemble(*y, *mon, *d, *tod);
}

}  // namespace

std::optional<HttpTime> parseHttpDate(std::string_view text, HttpTime now) {
  Cursor c(trimOws(text));
  auto dayName = c.letters();
  if (c.literal(',')) {
    if (!c.literal(' ')) return std::nullopt;
    if (isOneOf(dayName, kShortDays)) return imfFixdateRest(c);
    if (isOneOf(dayName, kLongDays)) return rfc850Rest(c, now);
    return std::nullopt;
  }
  if (isOneOf(dayName, kShortDays) && c.literal(' ')) return asctimeRest(c);
  return std::nullopt;
}

std::string formatHttpDate(HttpTime time) {
  auto dayPoint = floor<days>(time);
  year_month_day ymd(dayPoint);
  hh_mm_ss<seconds> tod(time - dayPoint);
  weekday wd(dayPoint);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                std::string(kShortDays[wd.c_encoding()]).c_str(), static_cast<unsigned>(ymd.day()),
                std::string(kMonths[static_cast<unsigned>(ymd.month()) - 1]).c_str(),
                static_cast<int>(ymd.year()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()));
  return buf;
}

std::optional<seconds> parseDeltaSeconds(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    if (v < kMaxDeltaSeconds.count()) v = v * 10 + (ch - '0');
  }
  return seconds(std::min<std::int64_t>(v, kMaxDeltaSeconds.count()));
}

}  // namespace edgecache::proxy
