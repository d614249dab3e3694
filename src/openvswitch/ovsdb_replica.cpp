// OvsdbReplica: ovs_cs.h run on a thread of its own, applying updates to an immutable
// snapshot that readers share, and matching transaction replies to their callers.

#include "libvtap/openvswitch/ovsdb_replica.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "ovs_codec.hpp"
#include "ovs_cs.h"

namespace vtap {

using nlohmann::json;

struct OvsdbReplica::Impl {
  struct Pending {
    std::string id;  // request id, JSON text; "" until sent
    std::string operations;
    std::promise<json> reply;
  };

  std::string database, remotes;
  vtap_ovs_cs* client = nullptr;

  mutable std::mutex mu;
  mutable std::condition_variable changed;
  std::shared_ptr<const OvsdbSnapshot> snapshot = std::make_shared<OvsdbSnapshot>();
  bool synced = false;
  std::vector<std::shared_ptr<Pending>> pending;
  std::vector<std::function<void()>> handlers;
  std::atomic<bool> stopping{false};
  std::thread thread;

  // Thread-only state.
  OvsdbSchema schema;
  OvsdbSnapshot working;

  void publish() {
    std::vector<std::function<void()>> to;
    {
      std::lock_guard lock(mu);
      snapshot = std::make_shared<OvsdbSnapshot>(working);
      synced = true;
      to = handlers;
    }
    changed.notify_all();
    for (const auto& h : to) h();
  }

  void answer(const std::string& id, json result) {
    std::shared_ptr<Pending> p;
    {
      std::lock_guard lock(mu);
      auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& q) { return q->id == id; });
      if (it == pending.end()) return;
      p = *it;
      pending.erase(it);
    }
    p->reply.set_value(std::move(result));
  }

  void fail_sent(const std::string& why) {
    std::vector<std::shared_ptr<Pending>> lost;
    {
      std::lock_guard lock(mu);
      for (auto it = pending.begin(); it != pending.end();)
        if (!(*it)->id.empty()) {
          lost.push_back(*it);
          it = pending.erase(it);
        } else {
          ++it;
        }
    }
    for (auto& p : lost) p->reply.set_exception(std::make_exception_ptr(OvsdbError("", why, true)));
  }

  void send_queued() {
    std::lock_guard lock(mu);
    for (auto& p : pending) {
      if (!p->id.empty()) continue;
      if (!vtap_ovs_cs_may_send(client)) return;
      char* id = vtap_ovs_cs_send(client, p->operations.c_str());
      if (!id) return;
      p->id = id;
      std::free(id);
    }
  }

  void run() {
    static const vtap_ovs_cs_handlers callbacks{
        [](void* self, const char* text) {
          try {
            static_cast<Impl*>(self)->schema = OvsdbSchema(json::parse(text));
          } catch (const std::exception&) {
            // Not a schema: every column is then read as an atom.
          }
        },
        [](void* self, bool clear, const char* updates, int version) {
          auto* im = static_cast<Impl*>(self);
          try {
            im->schema.apply(im->working, clear, json::parse(updates), version);
          } catch (const std::exception&) {
            // A server speaking another dialect: what was applied stays; never unwind through C.
          }
          im->publish();
        },
        [](void* self, const char* id, const char* result, const char* error) {
          json reply = json::parse(result ? result : error, nullptr, false);
          if (!result || reply.is_discarded()) reply = {{"rpc_error", reply.is_discarded() ? json("unreadable") : reply}};
          static_cast<Impl*>(self)->answer(id, std::move(reply));
        },
        [](void* self) {
          static_cast<Impl*>(self)->fail_sent("OVSDB " + static_cast<Impl*>(self)->remotes +
                                              ": connection lost before the transaction's reply");
        },
    };
    ovs::SigpipeGuard guard;
    while (!stopping) {
      vtap_ovs_cs_run(client, &callbacks, this);
      send_queued();
      vtap_ovs_cs_block(client, 1000);
    }
  }
};

OvsdbReplica::OvsdbReplica(std::string database, std::string remotes) : impl_(std::make_unique<Impl>()) {
  ovs::init_once();
  impl_->database = std::move(database);
  impl_->remotes = std::move(remotes);
  impl_->client = vtap_ovs_cs_open(impl_->database.c_str(), impl_->remotes.c_str());
  impl_->thread = std::thread([im = impl_.get()] { im->run(); });
}

OvsdbReplica::~OvsdbReplica() {
  impl_->stopping = true;
  vtap_ovs_cs_wake(impl_->client);
  impl_->thread.join();
  impl_->fail_sent("OVSDB client closed");
  for (auto& p : impl_->pending) p->reply.set_exception(std::make_exception_ptr(OvsdbError("", "OVSDB client closed", true)));
  vtap_ovs_cs_close(impl_->client);
}

std::shared_ptr<const OvsdbSnapshot> OvsdbReplica::snapshot() const {
  std::lock_guard lock(impl_->mu);
  return impl_->snapshot;
}

bool OvsdbReplica::synced() const {
  std::lock_guard lock(impl_->mu);
  return impl_->synced;
}

std::shared_ptr<const OvsdbSnapshot> OvsdbReplica::wait_until(const std::function<bool(const OvsdbSnapshot&)>& ready,
                                                              std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  std::shared_ptr<const OvsdbSnapshot> found;
  impl_->changed.wait_for(lock, timeout, [&] {
    if (impl_->synced && ready(*impl_->snapshot)) found = impl_->snapshot;
    return found != nullptr;
  });
  return found;
}

json OvsdbReplica::transact(const json& operations, std::chrono::milliseconds timeout) {
  auto p = std::make_shared<Impl::Pending>();
  json params = json::array({impl_->database});
  for (const json& op : operations) params.push_back(op);
  p->operations = params.dump();
  std::future<json> reply = p->reply.get_future();
  {
    std::lock_guard lock(impl_->mu);
    impl_->pending.push_back(p);
  }
  vtap_ovs_cs_wake(impl_->client);
  if (reply.wait_for(timeout) != std::future_status::ready) {
    std::lock_guard lock(impl_->mu);
    auto it = std::find(impl_->pending.begin(), impl_->pending.end(), p);
    if (it != impl_->pending.end()) {
      const bool sent = !p->id.empty();
      impl_->pending.erase(it);
      throw OvsdbError("", "OVSDB " + impl_->remotes + ": no reply within " + std::to_string(timeout.count()) + " ms",
                       sent);
    }
  }
  json result = reply.get();
  if (result.is_object() && result.contains("rpc_error"))
    throw OvsdbError("rpc error", "OVSDB " + impl_->remotes + ": " + result["rpc_error"].dump());
  for (const json& r : result)
    if (r.is_object() && r.contains("error")) {
      auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
      std::string message = "OVSDB transaction: " + text(r["error"]);
      if (r.contains("details")) message += ": " + text(r["details"]);
      throw OvsdbError(text(r["error"]), message);
    }
  return result;
}

void OvsdbReplica::on_update(std::function<void()> handler) {
  std::lock_guard lock(impl_->mu);
  impl_->handlers.push_back(std::move(handler));
}

}  // namespace vtap
