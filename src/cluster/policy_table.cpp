// Policy rows by id, copied on write part by part (policy_table.hpp).

#include "libvtap/cluster/policy_table.hpp"

#include <algorithm>
#include <stdexcept>

namespace vtap {

namespace {

template <class Rows>
auto row_at(Rows& rows, std::uint32_t id) {
  return std::lower_bound(rows.begin(), rows.end(), id, [](const auto& row, std::uint32_t key) { return row->first < key; });
}

}  // namespace

PolicyTable::const_iterator& PolicyTable::const_iterator::operator++() {
  if (++row_ == (*parts_)[part_].rows->size()) {
    ++part_;
    row_ = 0;
  }
  return *this;
}

PolicyTable::const_iterator PolicyTable::find(std::uint32_t id) const {
  const std::uint32_t key = id / part_span;
  auto part = std::lower_bound(parts_.begin(), parts_.end(), key, [](const Keyed& p, std::uint32_t k) { return p.key < k; });
  if (part == parts_.end() || part->key != key) return end();
  auto row = row_at(*part->rows, id);
  if (row == part->rows->end() || (*row)->first != id) return end();
  return {&parts_, static_cast<std::size_t>(part - parts_.begin()), static_cast<std::size_t>(row - part->rows->begin())};
}

const PolicyRow& PolicyTable::at(std::uint32_t id) const {
  auto it = find(id);
  if (it == end()) throw std::out_of_range("no policy row " + std::to_string(id));
  return it->second;
}

std::vector<PolicyTable::Keyed>::iterator PolicyTable::part_for(std::uint32_t key) {
  return std::lower_bound(parts_.begin(), parts_.end(), key, [](const Keyed& p, std::uint32_t k) { return p.key < k; });
}

// Only copies of this table hold its parts, and a copy only ever adds to the count while
// this table holds one: a count of 1 cannot grow under us.
PolicyTable::Part& PolicyTable::own(Keyed& part) {
  if (part.rows.use_count() > 1) part.rows = std::make_shared<Part>(*part.rows);
  return const_cast<Part&>(*part.rows);  // NOLINT(cppcoreguidelines-pro-type-const-cast): ours alone, as above
}

void PolicyTable::insert_or_assign(PolicyRow row) {
  const std::uint32_t id = row.id;
  auto made = std::make_shared<const value_type>(id, std::move(row));
  auto part = part_for(id / part_span);
  if (part == parts_.end() || part->key != id / part_span) {
    parts_.insert(part, Keyed{id / part_span, std::make_shared<const Part>(Part{std::move(made)})});
    ++size_;
    return;
  }
  Part& rows = own(*part);
  auto at = row_at(rows, id);
  if (at != rows.end() && (*at)->first == id) {
    *at = std::move(made);
  } else {
    rows.insert(at, std::move(made));
    ++size_;
  }
}

std::size_t PolicyTable::erase(std::uint32_t id) {
  auto part = part_for(id / part_span);
  if (part == parts_.end() || part->key != id / part_span) return 0;
  auto at = row_at(*part->rows, id);
  if (at == part->rows->end() || (*at)->first != id) return 0;
  const auto index = at - part->rows->begin();
  Part& rows = own(*part);
  rows.erase(rows.begin() + index);
  if (rows.empty()) parts_.erase(part);
  --size_;
  return 1;
}

std::vector<std::uint32_t> PolicyTable::changed_ids(const PolicyTable& before) const {
  std::vector<std::uint32_t> out;
  auto all = [&](const Part& rows) {
    for (const Row& row : rows) out.push_back(row->first);
  };
  auto now = parts_.begin(), was = before.parts_.begin();
  while (now != parts_.end() || was != before.parts_.end()) {
    if (was == before.parts_.end() || (now != parts_.end() && now->key < was->key)) {
      all(*(now++)->rows);
    } else if (now == parts_.end() || was->key < now->key) {
      all(*(was++)->rows);
    } else {
      if (now->rows != was->rows) {
        auto n = now->rows->begin(), w = was->rows->begin();
        while (n != now->rows->end() || w != was->rows->end()) {
          if (w == was->rows->end() || (n != now->rows->end() && (*n)->first < (*w)->first)) {
            out.push_back((*n++)->first);
          } else if (n == now->rows->end() || (*w)->first < (*n)->first) {
            out.push_back((*w++)->first);
          } else {
            if (*n != *w) out.push_back((*n)->first);
            ++n;
            ++w;
          }
        }
      }
      ++now;
      ++was;
    }
  }
  return out;
}

bool PolicyTable::operator==(const PolicyTable& other) const {
  return size_ == other.size_ && std::equal(begin(), end(), other.begin());
}

}  // namespace vtap
