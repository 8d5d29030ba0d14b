#pragma once
// DRL model files: a small self-describing binary container (no torch here).
//
//   "EDGECACHE-DRL\n\0\0"  16-byte magic
//   u32 format version (kModelFormatVersion)
//   u64 header length, header text: "key=value\n" lines — architecture,
//       feature schema, policy registry ids, free-form training metadata
//   u32 tensor count; per tensor: u32 name length, name, u32 rank,
//       i64 dims[rank], f32 values[product(dims)]
//   u64 FNV-1a 64 checksum of every byte before it
// All integers and floats little-endian (x86-64/aarch64 native).
//
// Reading never trusts the file: every length is bounded by what is left,
// the checksum must match, and then checkCompatible() refuses a model whose
// architecture, feature schema or registry ids differ from this build.
// Every failure is one line: "PATH: what is wrong".

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cachelib/policy.h"
#include "cachelib/status.h"

namespace edgecache::agent {

inline constexpr std::uint32_t kModelFormatVersion = 1;

// The network's shape (see actor_critic.h for what each part is).
struct ModelArchitecture {
  std::uint32_t globalDims = 0;     // global feature block
  std::uint32_t perPolicyDims = 0;  // per-policy feature row
  std::uint32_t policies = 0;       // K, categorical action size
  std::uint32_t trunkHidden = 64;   // width of the two trunk layers
  std::uint32_t embedDims = 8;      // policy embedding fed to the fused head
  std::uint32_t headHidden = 32;    // width of the fused per-policy head layer
  bool operator==(const ModelArchitecture&) const = default;
  // "global=40,per_policy=16,policies=8,trunk=64x2,embed=8,head=32"
  std::string describe() const;
  static cachelib::Result<ModelArchitecture> parse(const std::string& text);
};

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // row-major, product(shape) values
};

struct ModelFile {
  std::uint32_t formatVersion = kModelFormatVersion;
  ModelArchitecture architecture;
  std::string featureSchema;
  std::vector<cachelib::PolicyId> policyIds;
  std::map<std::string, std::string> metadata;  // training command, seed, ... (no '\n' in values)
  std::vector<NamedTensor> tensors;
  const NamedTensor* find(const std::string& name) const noexcept;
};

// Serialises to bytes / writes atomically (temporary file + rename).
std::string encodeModelFile(const ModelFile& model);
cachelib::Status writeModelFile(const std::string& path, const ModelFile& model);
// Parses and checks structure and checksum (not compatibility). `source`
// names the data in messages.
cachelib::Result<ModelFile> decodeModelFile(const std::string& bytes, const std::string& source);
cachelib::Result<ModelFile> readModelFile(const std::string& path);
// OK when `model` was trained for this build: same feature schema, same
// online policy registry ids, architecture dims matching the schema, and
// exactly the tensors `expectedShapes` lists (name -> shape), no more.
cachelib::Status checkCompatible(const ModelFile& model, const std::string& source,
                                 const std::map<std::string, std::vector<std::int64_t>>& expectedShapes);

}  // namespace edgecache::agent
