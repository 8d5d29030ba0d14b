// Fuzzes the DRL model file decoder (agent::decodeModelFile), what the agent
// and the proxy's drl controllers read from disk at start-up. Built from
// agent/model_file.cpp and agent/features.cpp only (neither includes torch);
// the agent library and LibTorch are not linked.
//
// The file ends in an FNV-1a 64 checksum of everything before it, which the
// fuzzer cannot forge, so byte 0 picks how the rest of the input is framed:
//   0x01  append the correct checksum (reach the header and tensor parsing,
//         as a file written by a buggy or older writer would)
//   0x02  prefix the 16-byte magic
//   0x04  (with 0x02) also prefix the u32 format version: 1 if 0x08, else 2
// Without 0x01 the input is decoded as is (torn writes, bit flips).
//
// Checks besides the sanitizers: an error is one line of bounded length that
// starts with the source name; a decoded file has positive architecture dims
// and tensors whose value count is the product of their shape; it re-encodes
// to bytes that decode to the same model; and checkCompatible's errors on it
// are one line too.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "agent/model_file.h"
#include "fuzz/fuzz_support.h"

using namespace edgecache;

namespace {

constexpr char kMagic[16] = {'E', 'D', 'G', 'E', 'C', 'A', 'C', 'H', 'E', '-', 'D', 'R', 'L', '\n', 0, 0};
const std::string kSource = "fuzz.ecdrl";

void appendChecksum(std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
}

// The message with control characters as \xHH, cut to 300 bytes.
std::string printable(const std::string& message) {
  std::string out;
  for (unsigned char c : message.substr(0, 300)) {
    if (c >= 0x20 && c != 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

void requireOneLineError(const std::string& message, const char* what) {
  fuzz::require(message.rfind(kSource + ": ", 0) == 0, what, printable(message));
  for (unsigned char c : message) fuzz::require(c >= 0x20 && c != 0x7f, what, printable(message));
  fuzz::require(message.size() <= kSource.size() + 400, what, printable(message));
}

bool sameValues(const agent::NamedTensor& a, const agent::NamedTensor& b) {
  if (a.values.size() != b.values.size()) return false;
  if (a.storage == agent::TensorStorage::kFloat32)
    return a.values.empty() || std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0;
  if (a.storage == agent::TensorStorage::kFloat16) {
    for (std::size_t i = 0; i < a.values.size(); ++i)
      if (!(a.values[i] == b.values[i] || (a.values[i] != a.values[i] && b.values[i] != b.values[i]))) return false;
  }
  return true;  // int8 is re-quantised on encode: values may move by a step
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((mode & 0x02) != 0) {
    std::string prefix(kMagic, sizeof kMagic);
    if ((mode & 0x04) != 0) {
      const std::uint32_t version = (mode & 0x08) != 0 ? 1 : 2;
      prefix.append(reinterpret_cast<const char*>(&version), 4);
    }
    bytes.insert(0, prefix);
  }
  if ((mode & 0x01) != 0) appendChecksum(bytes);

  auto decoded = agent::decodeModelFile(bytes, kSource);
  if (!decoded) {
    requireOneLineError(decoded.message(), "decode error is not one bounded line naming the source");
    return 0;
  }
  const agent::ModelFile& m = decoded.value();
  const auto& a = m.architecture;
  for (std::uint32_t d : {a.globalDims, a.perPolicyDims, a.policies, a.trunkHidden, a.embedDims, a.headHidden})
    fuzz::require(d >= 1 && d <= 65536, "decoded architecture has a dimension outside 1..65536", a.describe());
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (const auto& t : m.tensors) {
    std::uint64_t n = 1;
    for (auto d : t.shape) {
      fuzz::require(d >= 0, "negative tensor dimension", t.name);
      n *= static_cast<std::uint64_t>(d);
    }
    fuzz::require(n == t.values.size(), "tensor value count differs from its shape", t.name);
    shapes[t.name] = t.shape;
  }
  auto again = agent::decodeModelFile(agent::encodeModelFile(m), kSource);
  fuzz::require(again.isOk(), "a decoded model does not decode after re-encoding",
                again.isOk() ? "" : again.message());
  const agent::ModelFile& b = again.value();
  fuzz::require(b.formatVersion == m.formatVersion && b.architecture == m.architecture &&
                    b.featureSchema == m.featureSchema && b.policyIds == m.policyIds && b.precision == m.precision &&
                    b.engine == m.engine && b.metadata == m.metadata && b.tensors.size() == m.tensors.size(),
                "re-encoded model decodes differently");
  for (std::size_t i = 0; i < m.tensors.size(); ++i) {
    const auto &x = m.tensors[i], &y = b.tensors[i];
    fuzz::require(x.name == y.name && x.shape == y.shape && x.storage == y.storage && sameValues(x, y),
                  "re-encoded tensor decodes differently", x.name);
  }
  if (auto st = agent::checkCompatible(m, kSource, shapes); !st)
    requireOneLineError(st.message(), "checkCompatible error is not one bounded line naming the source");
  return 0;
}
