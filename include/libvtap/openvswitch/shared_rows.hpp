#pragma once
/// @file
/// A map whose copies share their rows until one of them changes: the rows of a replicated
/// table (OvsdbRows) and what is read from them (the cluster's PolicyTable). Each row is
/// held once, by every copy that has not changed it, and the rows are indexed in parts
/// (`PartOf` gives a key's part), each part's index copied on write. So a copy costs a pointer
/// per part, changing a few rows of a copy costs those rows and their parts' indexes, and
/// changed_keys() finds what two copies do not share by walking only the parts they do not
/// share.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace vtap {

template <class Key, class Mapped, class PartOf>
class SharedRows {
 public:
  using key_type = Key;
  using mapped_type = Mapped;
  using value_type = std::pair<const Key, Mapped>;

 private:
  using Part = std::vector<std::shared_ptr<value_type>>;  // by key
  struct Keyed {
    std::size_t key;  // PartOf{}(the keys of its rows)
    std::shared_ptr<const Part> rows;
  };
  using Parts = std::vector<Keyed>;  // by key, none empty

 public:
  /// Visits the rows by part, then by key.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = SharedRows::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *(*(*parts_)[part_].rows)[row_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++row_ == (*parts_)[part_].rows->size()) {
        ++part_;
        row_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator was = *this;
      ++*this;
      return was;
    }
    bool operator==(const const_iterator& other) const { return part_ == other.part_ && row_ == other.row_; }

   private:
    friend class SharedRows;
    const_iterator(const Parts* parts, std::size_t part, std::size_t row) : parts_(parts), part_(part), row_(row) {}

    const Parts* parts_ = nullptr;
    std::size_t part_ = 0, row_ = 0;  // end(): part_ == parts_->size()
  };

  const_iterator begin() const { return {&parts_, 0, 0}; }
  const_iterator end() const { return {&parts_, parts_.size(), 0}; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  const_iterator find(const Key& key) const {
    auto part = part_at(parts_, PartOf{}(key));
    if (part == parts_.end() || part->key != PartOf{}(key)) return end();
    auto row = row_at(*part->rows, key);
    if (row == part->rows->end() || (*row)->first != key) return end();
    return {&parts_, static_cast<std::size_t>(part - parts_.begin()), static_cast<std::size_t>(row - part->rows->begin())};
  }
  bool contains(const Key& key) const { return find(key) != end(); }
  /// Throws std::out_of_range when there is no row `key`.
  const Mapped& at(const Key& key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("no such row");
    return it->second;
  }

  /// The row `key` to change, made (Mapped{}) when missing; copied first when a copy of
  /// these rows holds it.
  Mapped& operator[](const Key& key) {
    Part& rows = own(key);
    auto at = rows.begin() + (row_at(std::as_const(rows), key) - rows.cbegin());
    if (at == rows.end() || (*at)->first != key) {
      ++size_;
      return (*rows.insert(at, std::make_shared<value_type>(key, Mapped{})))->second;
    }
    if (at->use_count() > 1) *at = std::make_shared<value_type>(**at);
    return (*at)->second;
  }
  /// Puts `mapped` under `key`, in place of the row there.
  void insert_or_assign(const Key& key, Mapped mapped) {
    auto made = std::make_shared<value_type>(key, std::move(mapped));
    Part& rows = own(key);
    auto at = rows.begin() + (row_at(std::as_const(rows), key) - rows.cbegin());
    if (at != rows.end() && (*at)->first == key) {
      *at = std::move(made);
    } else {
      rows.insert(at, std::move(made));
      ++size_;
    }
  }
  /// Removes row `key`; returns how many went (0 or 1).
  std::size_t erase(const Key& key) {
    if (!contains(key)) return 0;
    auto part = part_at(parts_, PartOf{}(key));
    Part& rows = own(key);
    rows.erase(rows.begin() + (row_at(std::as_const(rows), key) - rows.cbegin()));
    if (rows.empty()) parts_.erase(part);
    --size_;
    return 1;
  }
  void clear() noexcept {
    parts_.clear();
    size_ = 0;
  }

  /// The keys, by part then key, of the rows that differ from those of `before`: added,
  /// removed, or put or changed through operator[] since one was copied from the other
  /// (whatever they were changed to). Between maps that share nothing, every key either holds.
  std::vector<Key> changed_keys(const SharedRows& before) const {
    std::vector<Key> out;
    static const Part none;
    auto now = parts_.begin(), was = before.parts_.begin();
    while (now != parts_.end() || was != before.parts_.end()) {
      const bool in_now = now != parts_.end() && (was == before.parts_.end() || now->key <= was->key);
      const bool in_was = was != before.parts_.end() && (now == parts_.end() || was->key <= now->key);
      if (!in_now || !in_was || now->rows != was->rows)
        merge_changed(in_now ? *now->rows : none, in_was ? *was->rows : none, out);
      if (in_now) ++now;
      if (in_was) ++was;
    }
    return out;
  }

  bool operator==(const SharedRows& other) const
    requires std::equality_comparable<Mapped>
  {
    return size_ == other.size_ && std::equal(begin(), end(), other.begin());
  }

 private:
  static typename Parts::const_iterator part_at(const Parts& parts, std::size_t key) {
    return std::lower_bound(parts.begin(), parts.end(), key, [](const Keyed& p, std::size_t k) { return p.key < k; });
  }
  static typename Part::const_iterator row_at(const Part& rows, const Key& key) {
    return std::lower_bound(rows.begin(), rows.end(), key, [](const auto& row, const Key& k) { return row->first < k; });
  }

  // The part of `key` to change: made when missing, copied first when a copy holds it. Only
  // copies of these rows hold their parts, and a copy only ever adds to a count while these
  // rows hold one: a count of 1 cannot grow under us. Parts are made non-const, and only
  // held as const so that copies cannot change them.
  Part& own(const Key& key) {
    const std::size_t k = PartOf{}(key);
    auto at = parts_.begin() + (part_at(parts_, k) - parts_.cbegin());
    if (at == parts_.end() || at->key != k) at = parts_.insert(at, Keyed{k, std::make_shared<Part>()});
    if (at->rows.use_count() > 1) at->rows = std::make_shared<Part>(*at->rows);
    return const_cast<Part&>(*at->rows);  // NOLINT(cppcoreguidelines-pro-type-const-cast): ours alone, as above
  }

  static void merge_changed(const Part& now, const Part& was, std::vector<Key>& out) {
    auto n = now.begin(), w = was.begin();
    while (n != now.end() || w != was.end()) {
      if (w == was.end() || (n != now.end() && (*n)->first < (*w)->first)) {
        out.push_back((*n++)->first);
      } else if (n == now.end() || (*w)->first < (*n)->first) {
        out.push_back((*w++)->first);
      } else {
        if (*n != *w) out.push_back((*n)->first);
        ++n;
        ++w;
      }
    }
  }

  Parts parts_;
  std::size_t size_ = 0;
};

}  // namespace vtap
