#pragma once
// The intersection closure of a set of matches (docs/design.md §4.11).
//
// Internal to the translator. Each inserted match has a key; the closure holds every
// non-empty intersection of inserted matches. Every element knows the keys whose match
// contains it and its depth: the length of the longest chain of strict supersets above it.
// Giving each element the priority base + depth puts it above every element containing
// it, so for any packet the highest matching element is the intersection of all inserted
// matches that hold the packet.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "libvtap/model/match.hpp"

namespace vtap::detail {

using ClosureKey = std::uint64_t;
// Sorted keys; most elements are one tap's match alone.
using ClosureKeys = boost::container::small_vector<ClosureKey, 2>;

// The closure's hash tables keep each node's hash beside it: hashing a Match reads all its
// bytes, and without the kept hash a lookup hashes again every node of the bucket it walks.
// (libstdc++ keeps the hash for a hasher that may throw, as this one, not noexcept, may.)
struct KeptHash {
  template <class Key>
  std::size_t operator()(const Key& key) const {
    return std::hash<Key>{}(key);
  }
};

// Thrown by Closure::insert when the closure would grow past its bound; nothing changed.
struct ClosureBoundError {
  std::size_t needed;
};

template <class Payload>
class Closure {
 public:
  struct Element {
    ClosureKeys taps;  // the keys whose match contains this element
    unsigned depth = 0;
    std::optional<Payload> out;
  };
  using Elements = std::unordered_map<Match, Element, KeptHash>;
  // An element whose taps or depth changed; `same_taps` when only its depth did.
  struct Changed {
    const Match* match;
    Element* element;
    bool same_taps;
  };

  const std::vector<ClosureKey>& keys() const noexcept { return keys_; }
  Elements& elements() noexcept { return elements_; }
  const Elements& elements() const noexcept { return elements_; }

  // Adds `key` with match `m`; `match_of(k)` gives the match of any key inserted before.
  // Returns the elements whose taps or depth changed, new ones included. Throws
  // ClosureBoundError, changing nothing, when the closure would exceed `bound` elements.
  template <class MatchOf>
  std::vector<Changed> insert(ClosureKey key, const Match& m, MatchOf&& match_of, std::size_t bound) {
    Index& home = index_of(m);
    std::vector<const Match*> overlapping;
    for_each_candidate(home, [&](const Match* c) {
      if (c->overlaps(m)) overlapping.push_back(c);
    });
    if (overlapping.empty()) {  // The common case: disjoint from everything here.
      if (elements_.size() + 1 > bound) throw ClosureBoundError{elements_.size() + 1};
      insert_key(key);
      auto& [added, element] = *emplace(m, {key}, home);
      return {Changed{&added, &element, false}};
    }

    // The closure grows by m and by m's intersection with every element it overlaps:
    // (m ∩ a) ∩ (m ∩ b) = m ∩ (a ∩ b), and a ∩ b is already an element.
    std::vector<Match> fresh;
    std::unordered_set<Match, KeptHash> seen;
    auto consider = [&](Match x) {
      if (!elements_.contains(x) && seen.insert(x).second) fresh.push_back(std::move(x));
    };
    consider(m);
    for (const Match* c : overlapping) consider(*c->intersect(m));
    if (elements_.size() + fresh.size() > bound) throw ClosureBoundError{elements_.size() + fresh.size()};

    insert_key(key);
    // Only keys of overlapping elements (and `key`) can contain a new element.
    std::vector<ClosureKey> related{key};
    for (const Match* c : overlapping) {
      const auto& t = elements_.at(*c).taps;
      related.insert(related.end(), t.begin(), t.end());
    }
    std::sort(related.begin(), related.end());
    related.erase(std::unique(related.begin(), related.end()), related.end());

    std::map<const Match*, Element> before;
    for (const Match* c : overlapping) {
      Element& e = elements_.at(*c);
      before.emplace(c, Element{e.taps, e.depth, std::nullopt});
      if (c->is_subset_of(m)) e.taps.insert(std::upper_bound(e.taps.begin(), e.taps.end(), key), key);
    }
    std::vector<const Match*> affected = overlapping;
    for (Match& x : fresh) {
      ClosureKeys holders;
      for (ClosureKey k : related)
        if (x.is_subset_of(match_of(k))) holders.push_back(k);
      Index& index = index_of(x);
      affected.push_back(&emplace(std::move(x), holders, index)->first);
    }

    // Every strict superset of an affected element overlaps m, so it is affected too:
    // depths only change inside `affected`.
    const auto depths = depths_within(affected);
    std::vector<Changed> changed;
    for (const Match* a : affected) {
      Element& e = elements_.at(*a);
      e.depth = depths.at(a);
      auto it = before.find(a);
      const bool same_taps = it != before.end() && it->second.taps == e.taps;
      if (!same_taps || it->second.depth != e.depth || !e.out) changed.push_back(Changed{a, &e, same_taps});
    }
    return changed;
  }

  // Removes `key`, inserted with match `m` (a key never inserted changes nothing); `match_of(k)` gives the match of every
  // other key. An element stays while it is the intersection of the keys still containing
  // it; the elements that go are moved to `gone`. Returns the elements whose taps or depth
  // changed.
  template <class MatchOf>
  std::vector<Changed> erase(ClosureKey key, const Match& m, MatchOf&& match_of, std::vector<Element>& gone) {
    auto at = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (at == keys_.end() || *at != key) return {};  // never inserted (its insert was refused)
    keys_.erase(at);
    // Elements holding `key` lie within m; the rest of those overlapping m are their
    // supersets, whose depths decide theirs.
    std::vector<const Match*> overlapping;
    for_each_candidate(index_of(m), [&](const Match* c) {
      if (c->overlaps(m)) overlapping.push_back(c);
    });
    std::set<const Match*> held_key;
    std::vector<const Match*> affected, going;
    for (const Match* c : overlapping) {
      Element& e = elements_.at(*c);
      auto held = std::lower_bound(e.taps.begin(), e.taps.end(), key);
      if (held == e.taps.end() || *held != key) {
        affected.push_back(c);
        continue;
      }
      held_key.insert(c);
      e.taps.erase(held);
      if (e.taps.empty() || !is_intersection(*c, e.taps, match_of)) going.push_back(c);
      else affected.push_back(c);
    }
    for (const Match* c : going) {
      auto& index = index_of(*c);
      index.erase(std::find(index.begin(), index.end(), c));
      auto node = elements_.extract(elements_.find(*c));
      gone.push_back(std::move(node.mapped()));
    }
    std::vector<Changed> changed;
    const auto depths = depths_within(affected);
    for (const Match* a : affected) {
      Element& e = elements_.at(*a);
      const unsigned depth = depths.at(a);
      const bool same_taps = !held_key.contains(a);
      if (!same_taps || depth != e.depth) changed.push_back(Changed{a, &e, same_taps});
      e.depth = depth;
    }
    return changed;
  }

 private:
  using Index = boost::container::small_vector<const Match*, 2>;

  // Whether `x` is the intersection of the matches of `keys` (each of which contains it).
  template <class MatchOf>
  static bool is_intersection(const Match& x, const ClosureKeys& keys, MatchOf& match_of) {
    Match meet = match_of(keys.front());
    for (std::size_t i = 1; i < keys.size() && meet != x; ++i) meet = *meet.intersect(match_of(keys[i]));
    return meet == x;
  }

  // The depth of each of `set`, which holds every strict superset of its members.
  static std::map<const Match*, unsigned> depths_within(const std::vector<const Match*>& set) {
    std::map<const Match*, std::vector<const Match*>> supersets;
    for (const Match* a : set)
      for (const Match* b : set)
        if (a != b && a->is_subset_of(*b)) supersets[a].push_back(b);
    std::map<const Match*, unsigned> depth;
    auto depth_of = [&](auto&& self, const Match* a) -> unsigned {
      if (auto it = depth.find(a); it != depth.end()) return it->second;
      unsigned d = 0;
      for (const Match* b : supersets[a]) d = std::max(d, self(self, b) + 1);
      return depth[a] = d;
    };
    for (const Match* a : set) depth_of(depth_of, a);
    return depth;
  }

  void insert_key(ClosureKey key) { keys_.insert(std::upper_bound(keys_.begin(), keys_.end(), key), key); }

  // Adds element `m`, listed in `index` (index_of(m)).
  typename Elements::iterator emplace(Match m, const ClosureKeys& taps, Index& index) {
    auto [it, inserted] = elements_.try_emplace(std::move(m));
    it->second.taps = taps;
    index.push_back(&it->first);
    return it;
  }

  // The list element `m` belongs in (made when missing). Elements whose eth_dst is exact
  // are listed by it; two elements with different exact eth_dst never overlap, which keeps
  // inserts cheap when policies name their receivers.
  Index& index_of(const Match& m) {
    if (auto dst = m.exact_mac(Field::eth_dst)) return by_dst_[*dst];
    return unkeyed_;
  }

  // Calls `f` on every element that may overlap a match listed in `home`.
  template <class F>
  void for_each_candidate(const Index& home, F&& f) const {
    if (&home != &unkeyed_) {
      for (const Match* c : home) f(c);
    } else {
      for (const auto& [mac, list] : by_dst_)
        for (const Match* c : list) f(c);
    }
    for (const Match* c : unkeyed_) f(c);
  }

  std::vector<ClosureKey> keys_;
  Elements elements_;
  std::unordered_map<MacAddress, Index, KeptHash> by_dst_;
  Index unkeyed_;
};

}  // namespace vtap::detail
