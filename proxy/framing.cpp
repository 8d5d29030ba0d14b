#include "proxy/framing.h"

namespace edgecache::proxy {

namespace {

FramingCheck fail(int status, std::string reason) {
  FramingCheck c;
  c.errorStatus = status;
  c.reason = std::move(reason);
  return c;
}

int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

ChunkSizeLine badChunk(std::string reason) {
  ChunkSizeLine r;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

FramingCheck validateRequestFraming(const HttpHeaders& requestHeaders, bool http10) {
  auto contentLengths = requestHeaders.getAll("content-length");
  auto transferEncodings = requestHeaders.getAll("transfer-encoding");
  if (!contentLengths.empty() && !transferEncodings.empty()) {
    return fail(400, "Content-Length and Transfer-Encoding both present");
  }
  if (!transferEncodings.empty()) {
    if (http10) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    auto codings = requestHeaders.listMembers("transfer-encoding");
    if (codings.empty()) return fail(400, "Transfer-Encoding: empty value");
    if (!equalsIgnoreCase(codings.back(), "chunked")) return fail(400, "Transfer-Encoding: final coding is not chunked");
    codings.pop_back();
    for (auto coding : codings) {
      if (equalsIgnoreCase(coding, "chunked")) return fail(400, "Transfer-Encoding: chunked applied more than once");
    }
    if (!codings.empty()) {
      return fail(501, "Transfer-Encoding: unsupported coding '" + std::string(codings.front()) + "'");
    }
    FramingCheck ok;
    ok.framing = BodyFraming::kChunked;
    return ok;
  }
  if (contentLengths.empty()) return FramingCheck{};
  if (contentLengths.size() > 1) return fail(400, "Content-Length: more than one field line");
  auto value = trimOws(contentLengths.front());
  if (value.empty()) return fail(400, "Content-Length: empty value");
  std::uint64_t n = 0;
  for (char c : value) {
    if (c == ',') return fail(400, "Content-Length: list value");
    if (c < '0' || c > '9') return fail(400, "Content-Length: not a decimal number");
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return fail(400, "Content-Length: too large");
    n = n * 10 + digit;
  }
  FramingCheck ok;
  ok.framing = BodyFraming::kContentLength;
  ok.contentLengthBytes = n;
  return ok;
}

ChunkSizeLine parseChunkSizeLine(std::string_view line) {
  std::size_t i = 0;
  std::uint64_t size = 0;
  while (i < line.size() && hexValue(line[i]) >= 0) {
    if (size > (UINT64_MAX >> 4)) return badChunk("chunk-size overflows 64 bits");
    size = (size << 4) | static_cast<std::uint64_t>(hexValue(line[i]));
    ++i;
  }
  if (i == 0) return badChunk("chunk-size: no hex digits");
  auto skipBws = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
  while (true) {
    skipBws();
    if (i == line.size()) break;
    if (line[i] != ';') return badChunk("chunk-size: unexpected character after size");
    ++i;
    skipBws();
    std::size_t nameStart = i;
    while (i < line.size() && isTokenChar(line[i])) ++i;
    if (i == nameStart) return badChunk("chunk-ext: missing name");
    skipBws();
    if (i < line.size() && line[i] == '=') {
      ++i;
      skipBws();
      if (i < line.size() && line[i] == '"') {
        ++i;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i];
          if (c == '"') {
            closed = true;
            ++i;
            break;
          }
          if (c == '\\') {
            ++i;
            if (i == line.size()) break;
            c = line[i];
          }
          auto u = static_cast<unsigned char>(c);
          if (u < 0x20 && c != '\t') return badChunk("chunk-ext: control character in quoted value");
          if (u == 0x7f) return badChunk("chunk-ext: control character in quoted value");
          ++i;
        }
        if (!closed) return badChunk("chunk-ext: unterminated quoted value");
      } else {
        std::size_t valueStart = i;
        while (i < line.size() && isTokenChar(line[i])) ++i;
        if (i == valueStart) return badChunk("chunk-ext: missing value");
      }
    }
  }
  ChunkSizeLine ok;
  ok.ok = true;
  ok.sizeBytes = size;
  return ok;
}

}  // namespace edgecache::proxy
