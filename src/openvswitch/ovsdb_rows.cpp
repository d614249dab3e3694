// The rows of one table, copied on write part by part (ovsdb_rows.hpp).

#include "libvtap/openvswitch/ovsdb_rows.hpp"

#include <stdexcept>

namespace vtap {

void OvsdbRows::const_iterator::settle() {
  while (part_ < parts && (!rows_->parts_[part_] || at_ == rows_->parts_[part_]->end()))
    if (++part_ < parts && rows_->parts_[part_]) at_ = rows_->parts_[part_]->begin();
}

OvsdbRows::const_iterator OvsdbRows::begin() const {
  const_iterator it(this, 0, parts_[0] ? parts_[0]->begin() : Part::const_iterator{});
  it.settle();
  return it;
}

OvsdbRows::const_iterator OvsdbRows::find(const std::string& uuid) const {
  const std::size_t part = part_of(uuid);
  if (!parts_[part]) return end();
  auto at = parts_[part]->find(uuid);
  return at == parts_[part]->end() ? end() : const_iterator(this, part, at);
}

const nlohmann::json& OvsdbRows::at(const std::string& uuid) const {
  auto it = find(uuid);
  if (it == end()) throw std::out_of_range("no row " + uuid);
  return it->second;
}

// Only copies of these rows hold their parts, and a copy only ever adds to the count while
// these rows hold one: a count of 1 cannot grow under us.
OvsdbRows::Part& OvsdbRows::own(std::size_t part) {
  std::shared_ptr<const Part>& shared = parts_[part];
  if (!shared || shared.use_count() > 1) shared = std::make_shared<Part>(shared ? *shared : Part());
  return const_cast<Part&>(*shared);  // NOLINT(cppcoreguidelines-pro-type-const-cast): made non-const just above
}

nlohmann::json& OvsdbRows::operator[](const std::string& uuid) {
  auto [at, made] = own(part_of(uuid)).try_emplace(uuid);
  if (made) ++size_;
  return at->second;
}

std::size_t OvsdbRows::erase(const std::string& uuid) {
  const std::size_t part = part_of(uuid);
  if (!parts_[part] || !parts_[part]->contains(uuid)) return 0;
  own(part).erase(uuid);
  --size_;
  return 1;
}

void OvsdbRows::clear() noexcept {
  parts_ = {};
  size_ = 0;
}

}  // namespace vtap
