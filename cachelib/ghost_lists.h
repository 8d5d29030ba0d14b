#pragma once
// GhostLists: ordered lists of keys of objects that are no longer resident
// ("ghosts"), each with the byte size the object had, used by the adaptive
// policies (ARC's B1/B2, S3-FIFO's ghost FIFO) to recognise a returning key.
// A key is in at most one list. Nodes live in one pooled array linked by
// index, so steady-state operation does not allocate.
//
// "front" is the most recently added end, "back" the oldest end.
// Complexity: every operation O(1) expected (one hash lookup). Memory per
// ghost: kBytesPerGhost (node + hash-map entry), excluded from the policies'
// metadataBytesPerObject (which counts resident objects only).
// Not thread safe; the owning policy is called under the cache's lock.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <absl/container/flat_hash_map.h>

namespace edgecache::cachelib {

class GhostLists {
 public:
  static constexpr int kNotFound = -1;

  explicit GhostLists(std::size_t listCount) : ends_(listCount) {}

  std::size_t size(std::size_t list) const noexcept { return ends_[list].count; }
  bool empty(std::size_t list) const noexcept { return ends_[list].count == 0; }
  std::uint64_t bytes(std::size_t list) const noexcept { return ends_[list].bytes; }

  // The list holding `key`, or kNotFound.
  int find(std::uint64_t key) const noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? kNotFound : static_cast<int>(nodes_[it->second].list);
  }

  // Adds `key` at the front of `list`; a key already present elsewhere is
  // moved (keys stay unique).
  void pushFront(std::size_t list, std::uint64_t key, std::uint64_t bytes) {
    erase(key);
    std::uint32_t n;
    if (!free_.empty()) {
      n = free_.back();
      free_.pop_back();
    } else {
      n = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    Ends& e = ends_[list];
    nodes_[n] = Node{key, bytes, kNil, e.front, static_cast<std::uint32_t>(list)};
    if (e.front != kNil) nodes_[e.front].newer = n; else e.back = n;
    e.front = n;
    ++e.count;
    e.bytes += bytes;
    index_.emplace(key, n);
  }

  // Removes `key`; returns the list it was in, or kNotFound.
  int erase(std::uint64_t key) noexcept {
    auto it = index_.find(key);
    if (it == index_.end()) return kNotFound;
    const std::uint32_t n = it->second;
    index_.erase(it);
    const int list = static_cast<int>(nodes_[n].list);
    unlink(n);
    return list;
  }

  // Drops the oldest ghost of a non-empty list.
  void popBack(std::size_t list) noexcept {
    const std::uint32_t n = ends_[list].back;
    index_.erase(nodes_[n].key);
    unlink(n);
  }

  void clear() noexcept {
    nodes_.clear();
    free_.clear();
    index_.clear();
    for (Ends& e : ends_) e = Ends{};
  }

  // Pooled node plus the hash-map slot (key, node index) and its control byte.
  static constexpr std::size_t kBytesPerGhost = 32 + 16 + 1;

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  struct Node {
    std::uint64_t key;
    std::uint64_t bytes;
    std::uint32_t newer;
    std::uint32_t older;
    std::uint32_t list;
  };
  static_assert(sizeof(Node) <= 32, "kBytesPerGhost assumes a 32-byte node");
  struct Ends {
    std::uint32_t front = kNil;
    std::uint32_t back = kNil;
    std::size_t count = 0;
    std::uint64_t bytes = 0;
  };

  void unlink(std::uint32_t n) noexcept {
    const Node node = nodes_[n];
    Ends& e = ends_[node.list];
    if (node.newer != kNil) nodes_[node.newer].older = node.older; else e.front = node.older;
    if (node.older != kNil) nodes_[node.older].newer = node.newer; else e.back = node.newer;
    --e.count;
    e.bytes -= node.bytes;
    free_.push_back(n);
  }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> index_;
  std::vector<Ends> ends_;
};

}  // namespace edgecache::cachelib
