#pragma once
/// @file
/// The rows of one table of a replica (ovsdb_update.hpp): row UUID → row, a map whose copies
/// share their parts until one changes. The rows are split by UUID into a fixed number of
/// parts, each copied on write, so that changing a few rows of a copy copies only their parts:
/// a replica that publishes a copy after every update costs what the update changed, not the
/// size of the table.

#include <array>
#include <cstddef>
#include <iterator>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace vtap {

class OvsdbRows {
 public:
  using Part = std::map<std::string, nlohmann::json>;
  using value_type = Part::value_type;
  static constexpr std::size_t parts = 256;

  /// Visits every row once, in an order that only depends on the UUIDs the table holds.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = OvsdbRows::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *at_; }
    pointer operator->() const { return &*at_; }
    const_iterator& operator++() {
      ++at_;
      settle();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator was = *this;
      ++*this;
      return was;
    }
    bool operator==(const const_iterator& other) const {
      return part_ == other.part_ && (part_ == parts || at_ == other.at_);
    }

   private:
    friend class OvsdbRows;
    const_iterator(const OvsdbRows* rows, std::size_t part, Part::const_iterator at)
        : rows_(rows), part_(part), at_(at) {}
    void settle();  // moves past the ends of parts to the next row, or to end()

    const OvsdbRows* rows_ = nullptr;
    std::size_t part_ = parts;
    Part::const_iterator at_{};
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

 private:
  static std::size_t part_of(const std::string& uuid) noexcept { return std::hash<std::string>{}(uuid) % parts; }
  Part& own(std::size_t part);

  std::array<std::shared_ptr<const Part>, parts> parts_;  // null: no row
  std::size_t size_ = 0;
};

}  // namespace vtap
