#pragma once
/// @file
/// The rows of the VTAP database's Policy table, read (docs/cluster.md), by policy id: a map
/// whose copies share their rows, and their index part by part, until one of them changes.
/// Copying it costs a pointer per 64 ids, and changed_ids() finds what differs between two
/// copies by looking only at the parts they do not share: so an agent or a vtapd that keeps
/// the table of its last view pays, per update, for the rows the update changed.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "libvtap/model/policy.hpp"

namespace vtap {

/// One row of the Policy table.
struct PolicyRow {
  std::string uuid;
  std::uint32_t id = 0;
  std::string tenant;
  std::optional<TapPolicy> spec;      ///< What the policy is to be; none while it is removed.
  std::optional<TapPolicy> previous;  ///< What some node may still hold; none when settled.
  bool prepare = false;               ///< phase=prepare (else commit).
  std::uint64_t generation = 0;       ///< The global generation that wrote this step.
  std::set<std::string> nodes;        ///< The nodes this step touches.
  std::set<std::string> marks;        ///< UUIDs of the Mark rows its copies use.
  /// True when the row needs no further step.
  bool settled() const { return !prepare && !previous && spec; }
  bool operator==(const PolicyRow&) const = default;
};

/// Policy rows by id, in id order, copied on write.
class PolicyTable {
 public:
  using value_type = std::pair<const std::uint32_t, PolicyRow>;

 private:
  using Row = std::shared_ptr<const value_type>;
  using Part = std::vector<Row>;  // by id; the ids of one part share id / part_span
  struct Keyed {
    std::uint32_t key;  // id / part_span
    std::shared_ptr<const Part> rows;
  };

 public:
  static constexpr std::uint32_t part_span = 64;

  /// Visits the rows in id order.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = PolicyTable::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *(*(*parts_)[part_].rows)[row_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++();
    const_iterator operator++(int) {
      const_iterator was = *this;
      ++*this;
      return was;
    }
    bool operator==(const const_iterator& other) const { return part_ == other.part_ && row_ == other.row_; }

   private:
    friend class PolicyTable;
    const_iterator(const std::vector<Keyed>* parts, std::size_t part, std::size_t row)
        : parts_(parts), part_(part), row_(row) {}

    const std::vector<Keyed>* parts_ = nullptr;
    std::size_t part_ = 0, row_ = 0;  // end: part_ == parts_->size()
  };

  const_iterator begin() const { return {&parts_, 0, 0}; }
  const_iterator end() const { return {&parts_, parts_.size(), 0}; }
  const_iterator find(std::uint32_t id) const;
  bool contains(std::uint32_t id) const { return find(id) != end(); }
  /// Throws std::out_of_range when there is no row `id`.
  const PolicyRow& at(std::uint32_t id) const;
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Puts `row` under its id, in place of the row there.
  void insert_or_assign(PolicyRow row);
  /// Removes row `id`; returns how many went (0 or 1).
  std::size_t erase(std::uint32_t id);

  /// The ids, in order, whose rows differ from those of `before`: added, removed or replaced
  /// since one table was copied from the other. Costs a comparison per part and a walk of the
  /// parts the two do not share. Between tables that share nothing, every id either holds.
  std::vector<std::uint32_t> changed_ids(const PolicyTable& before) const;

  bool operator==(const PolicyTable& other) const;

 private:
  std::vector<Keyed>::iterator part_for(std::uint32_t key);
  Part& own(Keyed& part);

  std::vector<Keyed> parts_;  // by key, none empty
  std::size_t size_ = 0;
};

}  // namespace vtap
