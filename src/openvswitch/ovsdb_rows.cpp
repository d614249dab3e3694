// The rows of one table, shared by copies until changed (ovsdb_rows.hpp).

#include "libvtap/openvswitch/ovsdb_rows.hpp"

#include <algorithm>
#include <stdexcept>

namespace vtap {

void OvsdbRows::const_iterator::settle() {
  while (part_ < parts && (!rows_->parts_[part_] || row_ == rows_->parts_[part_]->size())) {
    ++part_;
    row_ = 0;
  }
}

OvsdbRows::const_iterator OvsdbRows::begin() const {
  const_iterator it(this, 0, 0);
  it.settle();
  return it;
}

OvsdbRows::Part::const_iterator OvsdbRows::lower_bound(const Part& part, const std::string& uuid) {
  return std::lower_bound(part.begin(), part.end(), uuid, [](const auto& row, const std::string& u) { return row->first < u; });
}

OvsdbRows::const_iterator OvsdbRows::find(const std::string& uuid) const {
  const std::size_t part = part_of(uuid);
  if (!parts_[part]) return end();
  auto at = lower_bound(*parts_[part], uuid);
  if (at == parts_[part]->end() || (*at)->first != uuid) return end();
  return {this, part, static_cast<std::size_t>(at - parts_[part]->begin())};
}

const nlohmann::json& OvsdbRows::at(const std::string& uuid) const {
  auto it = find(uuid);
  if (it == end()) throw std::out_of_range("no row " + uuid);
  return it->second;
}

// Only copies of these rows hold their parts and rows, and a copy only ever adds to a count
// while these rows hold one: a count of 1 cannot grow under us.
OvsdbRows::Part& OvsdbRows::own(std::size_t part) {
  std::shared_ptr<const Part>& shared = parts_[part];
  if (!shared || shared.use_count() > 1) shared = std::make_shared<Part>(shared ? *shared : Part());
  return const_cast<Part&>(*shared);  // NOLINT(cppcoreguidelines-pro-type-const-cast): made ours just above
}

nlohmann::json& OvsdbRows::operator[](const std::string& uuid) {
  Part& part = own(part_of(uuid));
  auto at = part.begin() + (lower_bound(part, uuid) - part.cbegin());
  if (at == part.end() || (*at)->first != uuid) {
    ++size_;
    return (*part.insert(at, std::make_shared<value_type>(uuid, nlohmann::json())))->second;
  }
  if (at->use_count() > 1) *at = std::make_shared<value_type>(**at);  // a copy holds it as it was
  return (*at)->second;
}

std::size_t OvsdbRows::erase(const std::string& uuid) {
  const std::size_t part = part_of(uuid);
  if (!parts_[part]) return 0;
  const auto at = lower_bound(*parts_[part], uuid);
  if (at == parts_[part]->end() || (*at)->first != uuid) return 0;
  const auto index = at - parts_[part]->begin();
  Part& rows = own(part);
  rows.erase(rows.begin() + index);
  --size_;
  return 1;
}

void OvsdbRows::clear() noexcept {
  parts_ = {};
  size_ = 0;
}

std::vector<std::string> OvsdbRows::changed_uuids(const OvsdbRows& before) const {
  static const Part none;
  std::vector<std::string> out;
  for (std::size_t p = 0; p < parts; ++p) {
    if (parts_[p] == before.parts_[p]) continue;
    const Part& now = parts_[p] ? *parts_[p] : none;
    const Part& was = before.parts_[p] ? *before.parts_[p] : none;
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
  return out;
}

}  // namespace vtap
