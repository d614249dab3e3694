#include "libvtap/native/apply.hpp"

namespace vtap::openflow {

void apply_impl(const std::shared_ptr<Session>& session, std::shared_ptr<const ChangeSet> c, ApplyHandler handler) {
  // Meters first (bundles cannot carry them), confirmed by a barrier.
  for (const MeterMod& m : c->meters_first) session->send(m);
  session->async_barrier([session, handler, c](std::error_code ec, std::vector<Frame>) {
    if (ec) return handler(ec, {});
    // The bundle's messages are shared with `c`, not copied.
    std::shared_ptr<const std::vector<Message>> mods(c, &c->bundle);
    session->async_bundle(std::move(mods), [session, handler, c](std::error_code ec2, BundleResult result) {
      if (ec2) return handler(ec2, std::move(result));
      for (const MeterMod& m : c->meters_last) session->send(m);
      session->async_barrier([handler, result](std::error_code ec3, std::vector<Frame>) { handler(ec3, result); });
    });
  });
}

}  // namespace vtap::openflow
