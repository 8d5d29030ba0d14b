#pragma once
// DRL model files: a small self-describing binary container (no torch here).
//
//   "EDGECACHE-DRL\n\0\0"  16-byte magic
//   u32 format version (kModelFormatVersion)
//   u64 header length, header text: "key=value\n" lines — architecture,
//       feature schema, policy registry ids, (version 2) precision and
//       inference engine, free-form training metadata
//   u32 tensor count; per tensor: u32 name length, name, u32 rank,
//       i64 dims[rank], then
//         version 1: f32 values[product(dims)]
//         version 2: u8 storage (TensorStorage), then
//           kFloat32: f32 values[n]
//           kFloat16: IEEE binary16 values[n] (expanded to float on load)
//           kInt8:    f32 scale[rows], i8 values[n]; value = q * scale[row],
//                     rows = dims[0] (1 for rank <= 1), symmetric per row
//   u64 FNV-1a 64 checksum of every byte before it
// Version 1 files (the original default model) are still read; every file
// is written as version 2.
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

inline constexpr std::uint32_t kModelFormatVersion = 2;
inline constexpr std::uint32_t kOldestModelFormatVersion = 1;

// How one tensor's values are stored in the file (memory always holds floats).
enum class TensorStorage : std::uint8_t { kFloat32 = 0, kFloat16 = 1, kInt8 = 2 };

// Weight precision of a model file as a whole (the header's "precision"):
// kFloat16 stores every network tensor as fp16, kInt8 stores weight matrices
// and the policy embedding as int8 with one fp32 scale per output row (biases
// stay fp32). Normaliser statistics always stay fp32.
enum class Precision : std::uint8_t { kFloat32, kFloat16, kInt8 };
// Which implementation the controller runs the file with (header "engine"):
// LibTorch (ActorCritic, "torch"), the plain C++ forward pass with fp32
// kernels over the (expanded) weights (PlainNetwork, "plain"), or the plain
// pass with int8 weight kernels ("plain-int8"), or LibTorch's prepacked
// linears: QNNPACK int8 dynamic quantisation ("torch-qnnpack") or XNNPACK
// fp32 ("torch-xnnpack") (TorchPackedNetwork).
enum class InferenceEngine : std::uint8_t { kTorch, kPlain, kPlainInt8, kTorchQnnpack, kTorchXnnpack };
const char* precisionName(Precision p) noexcept;   // "fp32", "fp16", "int8"
const char* engineName(InferenceEngine e) noexcept;  // "torch", "plain", "plain-int8", "torch-qnnpack", ...

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
  TensorStorage storage = TensorStorage::kFloat32;  // how encodeModelFile stores them
};

struct ModelFile {
  std::uint32_t formatVersion = kModelFormatVersion;
  ModelArchitecture architecture;
  std::string featureSchema;
  std::vector<cachelib::PolicyId> policyIds;
  Precision precision = Precision::kFloat32;
  InferenceEngine engine = InferenceEngine::kTorch;
  std::map<std::string, std::string> metadata;  // training command, seed, ... (no '\n' in values)
  std::vector<NamedTensor> tensors;
  const NamedTensor* find(const std::string& name) const noexcept;
};

// Sets `model.precision` and every tensor's storage for precision `p`, and
// rounds the in-memory values to what a reload will give (fp16 rounding,
// int8 quantisation), so the returned model computes exactly what the file
// will. Normaliser tensors ("norm.*") stay fp32.
ModelFile withPrecision(ModelFile model, Precision p);

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
