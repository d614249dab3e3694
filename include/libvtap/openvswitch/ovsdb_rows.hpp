#pragma once
/// @file
/// The rows of one table of a replica (ovsdb_update.hpp): row UUID → row, a map whose copies
/// share their rows until one changes. The rows are split by UUID into a fixed number of
/// parts, each an index of shared rows copied on write, so that changing a few rows of a copy
/// copies their parts' indexes and those rows alone: a replica that publishes a copy after
/// every update costs what the update changed, not the size of the table, and so does a
/// reader that asks two copies what differs (changed_uuids()).

#include <array>
#include <cstddef>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vtap {

class OvsdbRows {
 public:
  using value_type = std::pair<const std::string, nlohmann::json>;
  static constexpr std::size_t parts = 256;

 private:
  using Part = std::vector<std::shared_ptr<value_type>>;  // by UUID

 public:
  /// Visits every row once, in an order that only depends on the UUIDs the table holds.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = OvsdbRows::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *(*rows_->parts_[part_])[row_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      ++row_;
      settle();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator was = *this;
      ++*this;
      return was;
    }
    bool operator==(const const_iterator& other) const { return part_ == other.part_ && row_ == other.row_; }

   private:
    friend class OvsdbRows;
    const_iterator(const OvsdbRows* rows, std::size_t part, std::size_t row) : rows_(rows), part_(part), row_(row) {}
    void settle();  // moves past the ends of parts to the next row, or to end()

    const OvsdbRows* rows_ = nullptr;
    std::size_t part_ = parts, row_ = 0;
  };

  const_iterator begin() const;
  const_iterator end() const { return {}; }
  const_iterator find(const std::string& uuid) const;
  bool contains(const std::string& uuid) const { return find(uuid) != end(); }
  /// Throws std::out_of_range when there is no such row.
  const nlohmann::json& at(const std::string& uuid) const;
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// The row `uuid` to change, made (null) when missing.
  nlohmann::json& operator[](const std::string& uuid);
  /// Removes row `uuid`; returns how many went (0 or 1).
  std::size_t erase(const std::string& uuid);
  void clear() noexcept;

  /// The UUIDs of the rows that differ from those of `before`: added, removed, or changed
  /// through operator[] since one was copied from the other. Costs a comparison per part and
  /// a walk of the parts the two do not share. Between tables that share nothing, every UUID
  /// either holds.
  std::vector<std::string> changed_uuids(const OvsdbRows& before) const;

 private:
  static std::size_t part_of(const std::string& uuid) noexcept { return std::hash<std::string>{}(uuid) % parts; }
  static Part::const_iterator lower_bound(const Part& part, const std::string& uuid);
  Part& own(std::size_t part);

  std::array<std::shared_ptr<const Part>, parts> parts_;  // null: no row
  std::size_t size_ = 0;
};

}  // namespace vtap
