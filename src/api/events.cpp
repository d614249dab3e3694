#include "libvtap/api/events.hpp"

#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

namespace vtap::api {

namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

nlohmann::json event_to_json(const ServiceEvent& event) {
  nlohmann::json j{{"kind", to_string(event.kind)}, {"detail", event.detail}, {"time", utc_now()}};
  if (event.policy_id) j["policy"] = *event.policy_id;
  if (!event.tenant.empty()) j["tenant"] = event.tenant;
  if (!event.switch_name.empty()) j["switch"] = event.switch_name;
  return j;
}

bool visible_to(const ServiceEvent& event, const Caller& caller) {
  return caller.admin || (event.policy_id && event.tenant == caller.tenant);
}

std::uint64_t EventHub::subscribe(Caller caller, Sink sink) {
  std::lock_guard lock(mu_);
  sinks_.emplace(next_handle_, std::pair{std::move(caller), std::move(sink)});
  return next_handle_++;
}

void EventHub::unsubscribe(std::uint64_t handle) {
  std::lock_guard lock(mu_);
  sinks_.erase(handle);
}

std::size_t EventHub::subscribers() const {
  std::lock_guard lock(mu_);
  return sinks_.size();
}

void EventHub::publish(const ServiceEvent& event) {
  const auto data = event_to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mu_);
  const std::string frame = "id: " + std::to_string(next_event_id_++) + "\nevent: " + to_string(event.kind) +
                            "\ndata: " + data + "\n\n";
  for (const auto& [handle, entry] : sinks_)
    if (visible_to(event, entry.first)) entry.second(frame);
}

}  // namespace vtap::api
