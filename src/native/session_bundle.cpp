// Bundles: flow and group modifications applied atomically and in order, in chunks of
// SessionOptions::bundle_chunk, the refused message named by its xid.

#include "libvtap/model/error.hpp"
#include "session_impl.hpp"

namespace vtap::openflow {

namespace {

struct BundleRun {
  std::shared_ptr<const std::vector<Message>> mods;
  Session::BundleHandler handler;
  std::size_t next = 0;
  BundleResult result;
};

}  // namespace

void Session::bundle_impl(std::shared_ptr<const std::vector<Message>> mods, BundleHandler handler) {
  for (const Message& m : *mods)
    if (!std::holds_alternative<FlowMod>(m) && !std::holds_alternative<GroupMod>(m))
      throw Error("async_bundle: only flow and group modifications go in a bundle, not " + std::string(type_name(m)));
  auto run = std::make_shared<BundleRun>(BundleRun{std::move(mods), std::move(handler), 0, {}});
  auto impl = impl_;
  auto step = std::make_shared<std::function<void()>>();
  *step = [impl, run, step] {
    if (run->next >= run->mods->size()) {
      auto done = std::move(run->handler);
      auto result = std::move(run->result);
      *step = nullptr;  // breaks the cycle, and destroys this lambda: touch no capture after it
      return done({}, std::move(result));
    }
    const std::uint32_t id = impl->next_bundle++;
    constexpr std::uint16_t flags = bundle_atomic | bundle_ordered;
    const std::size_t first = run->next;
    const std::size_t last = std::min(run->mods->size(), first + std::max<std::size_t>(1, impl->opt.bundle_chunk));
    auto fail = [impl, run, step](std::error_code ec) {
      auto done = std::move(run->handler);
      auto result = std::move(run->result);
      *step = nullptr;
      done(ec, std::move(result));
    };
    impl->request(BundleControl{id, BundleControlType::open_request, flags},
                  [impl, run, step, id, first, last, fail](std::error_code ec, std::vector<Frame> frames) {
                    if (ec) return fail(ec);
                    // Nothing else is written meanwhile, so the adds get consecutive xids.
                    std::uint32_t first_xid = 0;
                    for (std::size_t i = first; i < last; ++i) {
                      const std::uint32_t xid = impl->write_bundle_add(id, flags, (*run->mods)[i]);
                      if (i == first) first_xid = xid;
                    }
                    impl->request(BundleControl{id, BundleControlType::commit_request, flags},
                                  [impl, run, step, first, last, first_xid, fail](std::error_code ec2, std::vector<Frame>) {
                                    if (!ec2) {
                                      run->result.messages += last - first;
                                      ++run->result.bundles;
                                      run->next = last;
                                      return (*step)();
                                    }
                                    // The switch names the refused message by its xid.
                                    for (auto it = impl->stray_errors.begin(); it != impl->stray_errors.end(); ++it) {
                                      const std::uint32_t offset = it->xid - first_xid;
                                      if (offset >= last - first) continue;
                                      run->result.failed_index = first + offset;
                                      run->result.error = std::get<ErrorMessage>(it->message);
                                      ec2 = make_error_code(run->result.error->code);
                                      impl->stray_errors.erase(it);
                                      break;
                                    }
                                    fail(ec2);
                                  });
                    (void)frames;
                  });
  };
  (*step)();
}

}  // namespace vtap::openflow
