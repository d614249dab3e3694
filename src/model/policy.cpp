#include "libvtap/model/policy.hpp"

namespace vtap {

std::string Endpoint::to_string() const {
  if (any) return "*";
  std::string out;
  if (mac) out = mac->to_string();
  if (ip) out += (out.empty() ? "" : " ") + ip->to_string();
  return out.empty() ? "(none)" : out;
}

std::string to_string(Direction d) { return d == Direction::both ? "both" : "forward"; }
std::string to_string(Delivery d) { return d == Delivery::tunnel ? "tunnel" : "marked"; }

}  // namespace vtap
