#include "agent/model_file.h"


#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "agent/features.h"

namespace edgecache::agent {

using cachelib::Result;
using cachelib::Status;

namespace {

constexpr char kMagic[16] = {'E', 'D', 'G', 'E', 'C', 'A', 'C', 'H', 'E', '-', 'D', 'R', 'L', '\n', 0, 0};
constexpr std::uint32_t kMaxRank = 8;
constexpr std::uint64_t kMaxHeaderBytes = 1 << 20;

std::uint64_t fnv1a(const char* data, std::size_t n) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

std::string idsText(const std::vector<cachelib::PolicyId>& ids) {
  std::string s;
  for (auto id : ids) {
    if (!s.empty()) s += ',';
    s += std::to_string(id);
  }
  return s;
}

// IEEE binary16 <-> float, round to nearest even (no dependency on _Float16
// or F16C: the file format must not depend on the compiler or CPU).
std::uint16_t floatToHalf(float f) noexcept {
  std::uint32_t x = 0;
  std::memcpy(&x, &f, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000u, absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return std::uint16_t(sign | (absx > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (absx >= 0x477ff000u) return std::uint16_t(sign | 0x7c00u);  // rounds past 65504: infinity
  if (absx < 0x38800000u) {  // below 2^-14: subnormal half (or zero)
    float a = 0.0f;
    std::memcpy(&a, &absx, 4);
    return std::uint16_t(sign | std::uint32_t(std::nearbyint(a * 16777216.0f)));
  }
  const std::uint32_t mant = absx & 0x7fffffu, rem = mant & 0x1fffu;
  std::uint32_t h = (((absx >> 23) - 127 + 15) << 10) | (mant >> 13);
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is correct
  return std::uint16_t(sign | h);
}

float halfToFloat(std::uint16_t h) noexcept {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {
    const float v = std::ldexp(float(m), -24);
    return sign ? -v : v;
  }
  const std::uint32_t bits = e == 31 ? (sign | 0x7f800000u | (m << 13)) : (sign | ((e - 15 + 127) << 23) | (m << 13));
  float f = 0.0f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::size_t rowsOf(const NamedTensor& t) noexcept {
  return t.shape.size() >= 2 && t.shape[0] > 0 ? std::size_t(t.shape[0]) : 1;
}

// Symmetric per-row int8: scale = max|v| / 127, q = round(v / scale).
void quantiseRows(const NamedTensor& t, std::vector<float>& scales, std::vector<std::int8_t>& q) {
  const std::size_t rows = rowsOf(t), n = t.values.size(), cols = rows ? n / rows : 0;
  scales.assign(rows, 0.0f);
  q.assign(n, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    float maxAbs = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) maxAbs = std::max(maxAbs, std::fabs(t.values[r * cols + c]));
    const float scale = maxAbs / 127.0f;
    scales[r] = scale;
    if (!(scale > 0.0f) || !std::isfinite(scale)) continue;
    for (std::size_t c = 0; c < cols; ++c)
      q[r * cols + c] = std::int8_t(std::clamp(std::lround(t.values[r * cols + c] / scale), -127L, 127L));
  }
}

// Bounds-checked reader over the file bytes.
class Reader {
 public:
  Reader(const std::string& bytes, std::size_t end) : bytes_(bytes), end_(end) {}
  template <typename T>
  bool get(T& v) {
    if (end_ - pos_ < sizeof(T)) return false;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool getBytes(std::size_t n, std::string& out) {
    if (end_ - pos_ < n) return false;
    out.assign(bytes_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool getFloats(std::size_t n, std::vector<float>& out) {
    if (n > (end_ - pos_) / sizeof(float)) return false;
    out.resize(n);
    if (n) std::memcpy(out.data(), bytes_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
    return true;
  }
  bool getHalfs(std::size_t n, std::vector<float>& out) {
    if (n > (end_ - pos_) / 2) return false;
    out.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t h = 0;
      std::memcpy(&h, bytes_.data() + pos_ + 2 * i, 2);
      out[i] = halfToFloat(h);
    }
    pos_ += n * 2;
    return true;
  }
  // kInt8 payload: scales[rows] then int8 values[n], dequantised.
  bool getInt8Rows(std::size_t rows, std::size_t n, std::vector<float>& out) {
    std::vector<float> scales;
    if (!getFloats(rows, scales) || n > end_ - pos_) return false;
    out.resize(n);
    const std::size_t cols = rows ? n / rows : 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto q = static_cast<std::int8_t>(bytes_[pos_ + i]);
      out[i] = float(q) * scales[cols ? std::min(rows - 1, i / cols) : 0];
    }
    pos_ += n;
    return true;
  }
  std::size_t pos() const noexcept { return pos_; }

 private:
  const std::string& bytes_;
  std::size_t end_;
  std::size_t pos_ = 0;
};

bool isNormTensor(const std::string& name) { return name.rfind("norm.", 0) == 0; }

// One id of the header's policy_ids: decimal digits only, within PolicyId.
// (std::stoul took signs, white space and trailing junk, and the cast
// truncated ids above 65535 to other, valid-looking ids.)
std::optional<cachelib::PolicyId> parsePolicyId(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + std::uint32_t(c - '0');
  }
  if (v > std::numeric_limits<cachelib::PolicyId>::max()) return std::nullopt;
  return static_cast<cachelib::PolicyId>(v);
}

// File text quoted in an error: at most `max` bytes (then "..."), control
// characters as '?', so the message stays one short line whatever the file
// holds (a header "line" may be 1 MiB of binary).
std::string excerpt(std::string_view text, std::size_t max = 60) { return cachelib::printable(text, max); }

}  // namespace

const char* precisionName(Precision p) noexcept {
  switch (p) {
    case Precision::kFloat16: return "fp16";
    case Precision::kInt8: return "int8";
    default: return "fp32";
  }
}

const char* engineName(InferenceEngine e) noexcept {
  switch (e) {
    case InferenceEngine::kPlain: return "plain";
    case InferenceEngine::kPlainInt8: return "plain-int8";
    case InferenceEngine::kTorchQnnpack: return "torch-qnnpack";
    case InferenceEngine::kTorchXnnpack: return "torch-xnnpack";
    default: return "torch";
  }
}

ModelFile withPrecision(ModelFile m, Precision p) {
  m.precision = p;
  for (auto& t : m.tensors) {
    t.storage = TensorStorage::kFloat32;
    if (isNormTensor(t.name) || p == Precision::kFloat32) continue;
    if (p == Precision::kFloat16) {
      t.storage = TensorStorage::kFloat16;
      for (float& v : t.values) v = halfToFloat(floatToHalf(v));
    } else if (t.shape.size() >= 2 && t.values.size() >= 2) {  // int8: matrices only, biases stay fp32
      t.storage = TensorStorage::kInt8;
      std::vector<float> scales;
      std::vector<std::int8_t> q;
      quantiseRows(t, scales, q);
      const std::size_t cols = t.values.size() / scales.size();
      for (std::size_t i = 0; i < t.values.size(); ++i) t.values[i] = float(q[i]) * scales[i / cols];
    }
  }
  return m;
}

std::string ModelArchitecture::describe() const {
  return "global=" + std::to_string(globalDims) + ",per_policy=" + std::to_string(perPolicyDims) +
         ",policies=" + std::to_string(policies) + ",trunk=" + std::to_string(trunkHidden) +
         "x2,embed=" + std::to_string(embedDims) + ",head=" + std::to_string(headHidden);
}

Result<ModelArchitecture> ModelArchitecture::parse(const std::string& text) {
  ModelArchitecture a;
  std::map<std::string, std::uint32_t*> fields = {{"global", &a.globalDims},   {"per_policy", &a.perPolicyDims},
                                                  {"policies", &a.policies},   {"trunk", &a.trunkHidden},
                                                  {"embed", &a.embedDims},     {"head", &a.headHidden}};
  std::stringstream ss(text);
  std::string item;
  std::size_t seen = 0;
  std::set<std::string> given;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) return Result<ModelArchitecture>::error("architecture: bad item '" + excerpt(item) + "'");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "trunk") {
      if (value.size() < 3 || value.substr(value.size() - 2) != "x2")
        return Result<ModelArchitecture>::error("architecture: unsupported trunk '" + excerpt(value) + "'");
      value.resize(value.size() - 2);
    }
    auto it = fields.find(key);
    if (it == fields.end()) return Result<ModelArchitecture>::error("architecture: unknown field '" + excerpt(key) + "'");
    // Counting items is not enough: a repeated field would stand in for a
    // missing one, which then keeps its default (0 for the feature dims).
    if (!given.insert(key).second)
      return Result<ModelArchitecture>::error("architecture: field '" + key + "' given twice");
    try {
      std::size_t used = 0;
      const unsigned long v = std::stoul(value, &used);
      if (used != value.size() || v == 0 || v > 65536) throw std::out_of_range("dims");
      *it->second = static_cast<std::uint32_t>(v);
    } catch (const std::exception&) {
      return Result<ModelArchitecture>::error("architecture: bad value '" + excerpt(item) + "'");
    }
    ++seen;
  }
  if (seen != fields.size()) return Result<ModelArchitecture>::error("architecture: missing fields in '" + excerpt(text, 120) + "'");
  return a;
}

const NamedTensor* ModelFile::find(const std::string& name) const noexcept {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::string encodeModelFile(const ModelFile& m) {
  // Version 1 has no per-tensor storage byte: only the pinned old layout is
  // written as version 1 (tests), everything else as the current version.
  const bool v1 = m.formatVersion == 1;
  std::string header = "architecture=" + m.architecture.describe() + "\nfeature_schema=" + m.featureSchema +
                       "\npolicy_ids=" + idsText(m.policyIds) + "\n";
  if (!v1) header += std::string("precision=") + precisionName(m.precision) + "\nengine=" + engineName(m.engine) + "\n";
  for (const auto& [k, v] : m.metadata) header += "meta." + k + "=" + v + "\n";
  std::string out(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, m.formatVersion);
  put<std::uint64_t>(out, header.size());
  out += header;
  put<std::uint32_t>(out, static_cast<std::uint32_t>(m.tensors.size()));
  for (const auto& t : m.tensors) {
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.name.size()));
    out += t.name;
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.shape.size()));
    for (auto d : t.shape) put<std::int64_t>(out, d);
    const TensorStorage storage = v1 ? TensorStorage::kFloat32 : t.storage;
    if (!v1) put<std::uint8_t>(out, static_cast<std::uint8_t>(storage));
    if (storage == TensorStorage::kFloat16) {
      for (float v : t.values) put<std::uint16_t>(out, floatToHalf(v));
    } else if (storage == TensorStorage::kInt8) {
      std::vector<float> scales;
      std::vector<std::int8_t> q;
      quantiseRows(t, scales, q);
      for (float s : scales) put<float>(out, s);
      out.append(reinterpret_cast<const char*>(q.data()), q.size());
    } else {
      out.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
    }
  }
  put<std::uint64_t>(out, fnv1a(out.data(), out.size()));
  return out;
}

Status writeModelFile(const std::string& path, const ModelFile& model) {
  const std::string bytes = encodeModelFile(model);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::error(path + ": cannot write (" + std::strerror(errno) + ")");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return Status::error(path + ": write failed (" + std::strerror(errno) + ")");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::error(path + ": cannot rename " + tmp + " (" + ec.message() + ")");
  return Status::ok();
}

Result<ModelFile> decodeModelFile(const std::string& bytes, const std::string& source) {
  using R = Result<ModelFile>;
  auto bad = [&](const std::string& why) { return R::error(source + ": " + why); };
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return bad("not an edgecache DRL model file (bad magic)");
  if (bytes.size() < sizeof kMagic + 4 + 8 + 4 + 8) return bad("truncated model file (" + std::to_string(bytes.size()) + " bytes)");
  const std::size_t body = bytes.size() - 8;
  Reader r(bytes, body);
  std::string skip;
  (void)r.getBytes(sizeof kMagic, skip);
  ModelFile m;
  (void)r.get(m.formatVersion);
  if (m.formatVersion < kOldestModelFormatVersion || m.formatVersion > kModelFormatVersion)
    return bad("model format version " + std::to_string(m.formatVersion) + ", this build reads versions " +
               std::to_string(kOldestModelFormatVersion) + " to " + std::to_string(kModelFormatVersion));
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + body, 8);
  if (stored != fnv1a(bytes.data(), body)) return bad("checksum mismatch: the model file is truncated or corrupt");

  std::uint64_t headerLen = 0;
  std::string header;
  if (!r.get(headerLen) || headerLen > kMaxHeaderBytes || !r.getBytes(headerLen, header))
    return bad("corrupt header length");
  std::stringstream hs(header);
  std::string line;
  bool haveArch = false, haveSchema = false, haveIds = false;
  while (std::getline(hs, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) return bad("corrupt header line '" + excerpt(line) + "'");
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "architecture") {
      auto a = ModelArchitecture::parse(value);
      if (!a) return bad(a.message());
      m.architecture = a.value();
      haveArch = true;
    } else if (key == "feature_schema") {
      m.featureSchema = value;
      haveSchema = true;
    } else if (key == "policy_ids") {
      std::stringstream ids(value);
      std::string id;
      while (std::getline(ids, id, ',')) {
        const auto policy = parsePolicyId(id);
        if (!policy) return bad("corrupt policy_ids '" + excerpt(value) + "'");
        m.policyIds.push_back(*policy);
      }
      haveIds = true;
    } else if (key == "precision" && m.formatVersion >= 2) {
      if (value == "fp32") m.precision = Precision::kFloat32;
      else if (value == "fp16") m.precision = Precision::kFloat16;
      else if (value == "int8") m.precision = Precision::kInt8;
      else return bad("unknown precision '" + excerpt(value, 20) + "' (this build knows fp32, fp16, int8)");
    } else if (key == "engine" && m.formatVersion >= 2) {
      if (value == "torch") m.engine = InferenceEngine::kTorch;
      else if (value == "plain") m.engine = InferenceEngine::kPlain;
      else if (value == "plain-int8") m.engine = InferenceEngine::kPlainInt8;
      else if (value == "torch-qnnpack") m.engine = InferenceEngine::kTorchQnnpack;
      else if (value == "torch-xnnpack") m.engine = InferenceEngine::kTorchXnnpack;
      else return bad("unknown inference engine '" + excerpt(value, 20) +
                      "' (this build knows torch, plain, plain-int8, torch-qnnpack, torch-xnnpack)");
    } else if (key.rfind("meta.", 0) == 0) {
      m.metadata[key.substr(5)] = value;
    } else {
      return bad("unknown header field '" + excerpt(key) + "'");
    }
  }
  if (!haveArch || !haveSchema || !haveIds) return bad("header lacks architecture, feature_schema or policy_ids");

  std::uint32_t count = 0;
  if (!r.get(count) || count > 4096) return bad("corrupt tensor count");
  for (std::uint32_t i = 0; i < count; ++i) {
    NamedTensor t;
    std::uint32_t nameLen = 0, rank = 0;
    if (!r.get(nameLen) || nameLen > 256 || !r.getBytes(nameLen, t.name) || !r.get(rank) || rank > kMaxRank)
      return bad("corrupt tensor record " + std::to_string(i));
    std::uint64_t n = 1;
    for (std::uint32_t d = 0; d < rank; ++d) {
      std::int64_t dim = 0;
      if (!r.get(dim) || dim < 0 || dim > (1 << 24)) return bad("corrupt shape of tensor '" + excerpt(t.name) + "'");
      t.shape.push_back(dim);
      n *= std::uint64_t(dim);
      if (n > (1u << 26)) return bad("tensor '" + excerpt(t.name) + "' is implausibly large");
    }
    std::uint8_t storage = 0;
    if (m.formatVersion >= 2 && (!r.get(storage) || storage > 2))
      return bad("corrupt storage type of tensor '" + excerpt(t.name) + "'");
    t.storage = static_cast<TensorStorage>(storage);
    bool ok = false;
    if (t.storage == TensorStorage::kFloat16) ok = r.getHalfs(n, t.values);
    else if (t.storage == TensorStorage::kInt8) ok = r.getInt8Rows(rowsOf(t), n, t.values);
    else ok = r.getFloats(n, t.values);
    if (!ok) return bad("truncated data of tensor '" + excerpt(t.name) + "'");
    m.tensors.push_back(std::move(t));
  }
  if (r.pos() != body) return bad(std::to_string(body - r.pos()) + " unexpected trailing bytes");
  return m;
}

Result<ModelFile> readModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result<ModelFile>::error(path + ": cannot open model file (" + std::strerror(errno) + ")");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Result<ModelFile>::error(path + ": read error");
  return decodeModelFile(bytes, path);
}

Status checkCompatible(const ModelFile& m, const std::string& source,
                       const std::map<std::string, std::vector<std::int64_t>>& expected) {
  auto bad = [&](const std::string& why) { return Status::error(source + ": " + why); };
  if (m.featureSchema != kFeatureSchema)
    return bad("feature schema '" + excerpt(m.featureSchema, 40) + "...' differs from this build's '" +
               std::string(kFeatureSchema).substr(0, 40) + "...' (retrain the model)");
  const auto ids = actionPolicyIds();
  if (m.policyIds != ids)
    return bad("model was trained for policy registry ids [" + idsText(m.policyIds) + "], this build has [" +
               idsText(ids) + "] (retrain the model)");
  const auto& a = m.architecture;
  if (a.globalDims != kGlobalDims || a.perPolicyDims != kPerPolicyDims || a.policies != ids.size())
    return bad("architecture " + a.describe() + " does not fit this build's features (global=" +
               std::to_string(kGlobalDims) + ",per_policy=" + std::to_string(kPerPolicyDims) +
               ",policies=" + std::to_string(ids.size()) + ")");
  if (m.tensors.size() != expected.size())
    return bad("architecture " + a.describe() + " expects " + std::to_string(expected.size()) + " tensors, file has " +
               std::to_string(m.tensors.size()));
  // Same count, each name expected and none twice => every expected tensor
  // is present exactly once (the loaders rely on that).
  std::set<std::string> seen;
  for (const auto& t : m.tensors) {
    auto it = expected.find(t.name);
    if (it == expected.end()) return bad("unexpected tensor '" + excerpt(t.name) + "' for architecture " + a.describe());
    if (!seen.insert(t.name).second) return bad("tensor '" + excerpt(t.name) + "' appears twice");
    if (it->second != t.shape) {
      auto dims = [](const std::vector<std::int64_t>& shape) {
        std::string s;
        for (auto d : shape) {
          if (!s.empty()) s += 'x';
          s += std::to_string(d);
        }
        return s;
      };
      const std::string got = dims(t.shape), want = dims(it->second);
      return bad("tensor '" + excerpt(t.name) + "' has shape [" + got + "], architecture " + a.describe() + " needs [" + want +
                 "]");
    }
  }
  return Status::ok();
}

}  // namespace edgecache::agent
