// roomgate mediasoup-shim: stand-in for martinus/unordered_dense (ankerl/unordered_dense.h),
// which Debian 12 does not package. The worker uses only map, set and hash, so these alias the
// standard unordered containers: same semantics the worker relies on (lookup, insert, erase,
// iteration), different performance (node based instead of dense).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ankerl::unordered_dense {

// A class template (not an alias) so that code may still specialize it for its own types.
template <class Key, class Enable = void>
struct hash : std::hash<Key> {};

template <
  class Key,
  class T,
  class Hash = hash<Key>,
  class KeyEqual = std::equal_to<Key>,
  class Allocator = std::allocator<std::pair<const Key, T>>>
using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

template <
  class Key,
  class Hash = hash<Key>,
  class KeyEqual = std::equal_to<Key>,
  class Allocator = std::allocator<Key>>
using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;

} // namespace ankerl::unordered_dense
