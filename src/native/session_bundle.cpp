// Bundles: flow and group modifications applied atomically and in order, in chunks of
// SessionOptions::bundle_chunk, the refused message named by its xid. Each chunk is opened,
// filled, checked by a barrier (an add refused on arrival discards the chunk) and committed.

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
                    // The switch names a refused message by its xid: at its arrival (a barrier
                    // after the adds flushes those errors) or at the commit.
                    auto refused = [impl, run, first, last, first_xid]() -> std::error_code {
                      for (auto it = impl->stray_errors.begin(); it != impl->stray_errors.end(); ++it) {
                        const std::uint32_t offset = it->xid - first_xid;
                        if (offset >= last - first) continue;
                        run->result.failed_index = first + offset;
                        run->result.error = std::get<ErrorMessage>(it->message);
                        impl->stray_errors.erase(it);
                        return make_error_code(run->result.error->code);
                      }
                      return {};
                    };
                    auto commit = [impl, run, step, id, first, last, fail, refused] {
                      impl->request(BundleControl{id, BundleControlType::commit_request, flags},
                                    [run, step, first, last, fail, refused](std::error_code ec2, std::vector<Frame>) {
                                      if (ec2) {
                                        const std::error_code named = refused();
                                        return fail(named ? named : ec2);
                                      }
                                      run->result.messages += last - first;
                                      ++run->result.bundles;
                                      run->next = last;
                                      (*step)();
                                    });
                    };
                    impl->request(BarrierRequest{}, [impl, id, fail, refused, commit](std::error_code ec2, std::vector<Frame>) {
                      if (ec2) return fail(ec2);
                      const std::error_code at_arrival = refused();
                      if (!at_arrival) return commit();
                      // Nothing of this bundle goes in: discard it, then report the refusal.
                      impl->request(BundleControl{id, BundleControlType::discard_request, flags},
                                    [fail, at_arrival](std::error_code, std::vector<Frame>) { fail(at_arrival); });
                    });
                    (void)frames;
                  });
  };
  (*step)();
}

}  // namespace vtap::openflow
